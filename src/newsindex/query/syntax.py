"""Parsing what a user types into a query tree (the grammar is in the package docstring)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import attrs

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.errors import QuerySyntaxError
from newsindex.fields import DATE_FIELD, FIELD_ALIASES, TEXT_FIELDS
from newsindex.query.tree import (
    And,
    Dates,
    Node,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    Term,
    has_positive,
    leaves,
)

LONG_QUERY_WORDS = 5
"""A typed query of at least this many plain words is ranked by any-word matching in ``auto``
mode: at that length it reads as a description, and requiring every word finds little."""

_STOP_WORDS_TEXT = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself "
    "she her hers herself it its itself they them their theirs themselves what which who whom "
    "this that these those am is are was were be been being have has had having do does did "
    "doing a an the and but if or because as until while of at by for with about against "
    "between into through during before after above below to from up down in out on off over "
    "under again further then once here there when where why how all any both each few more "
    "most other some such no nor not only own same so than too very s t can will just don "
    "should now"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
"""Function words left out of ranked queries (outside phrases): NLTK's English list.

The index keeps them (phrases stay exact); only ranked any-word matching drops them, where they
would otherwise let almost every article in and add noise to the order."""

MAX_DEPTH = 32
"""Parentheses nest at most this deep."""

MAX_CLAUSES = 64
"""A query with boolean structure (``OR``, groups) holds at most this many different words,
phrases, prefixes and date clauses: the cost of a conjunction grows much faster than its
length, and no one types more. A longer query without such structure (a pasted paragraph) is
prose: ranked by any-word matching, never an error."""

_MIN_PREFIX = 2

_SLOP = re.compile(r"~(\d{1,3})?(?![^\s()^])")
_BOOST = re.compile(r"\^(\d{1,3}(?:\.\d{1,3})?)(?![^\s()])")
_FUZZY = re.compile(r"~\d*$")
_FIELD_PREFIX = re.compile(r"([A-Za-z_]+):")
_RANGE_SPLIT = re.compile(r"\s+to\s+", re.IGNORECASE)
_QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb'
"""Quotation marks that open or close a phrase: straight, curly (English and German) and
guillemets; a phrase runs from one to the next, whichever they are."""
_WORD_END = frozenset("()" + _QUOTES)
_OPERATORS = {"OR": "or", "AND": "and", "NOT": "not"}


@attrs.frozen
class _Tok:
    kind: str  # "(", ")", "word", "phrase", "field", "range", "or", "and", "not"
    text: str
    pos: int
    slop: int = 0
    field: str = ""
    boost: float = 1.0


# --- lexing and parsing ------------------------------------------------------------------------


def _lex(q: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Tok(c, c, i))
            i += 1
            if c == ")" and i < n and q[i] in "^~":
                raise QuerySyntaxError(
                    q, i, f"'{q[i]}' applies to a word or a phrase, not to a group"
                )
        elif c in _QUOTES:
            close = next((j for j in range(i + 1, n) if q[j] in _QUOTES), -1)
            end = n if close < 0 else close
            text, start, i = q[i + 1 : end], i, min(n, end + 1)
            slop = _SLOP.match(q, i) if close >= 0 else None
            if slop:
                i = slop.end()
            elif close >= 0 and q.startswith("~", i):
                raise QuerySyntaxError(q, i, "'~' after a phrase takes a number up to 999")
            raised = _BOOST.match(q, i) if close >= 0 else None
            if raised:
                i = raised.end()
            elif close >= 0 and q.startswith("^", i):
                raise QuerySyntaxError(q, i, "'^' takes a number, as in \"...\"^2")
            tokens.append(
                _Tok(
                    "phrase",
                    text,
                    start,
                    int(slop.group(1) or 0) if slop else 0,
                    boost=float(raised.group(1)) if raised else 1.0,
                )
            )
        elif c in "-+" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] not in "-+)":
            if c == "-":
                tokens.append(_Tok("not", c, i))
            i += 1
        elif (m := _FIELD_PREFIX.match(q, i)) and m.group(1).lower() in FIELD_ALIASES:
            tokens.append(_Tok("field", m.group(0), i, field=FIELD_ALIASES[m.group(1).lower()]))
            i = m.end()
            if i >= n or q[i].isspace() or q[i] == ")":
                raise QuerySyntaxError(q, m.start(), f"'{m.group(0)}' has nothing after it")
            if q[i] in "[{":
                closer = "]" if q[i] == "[" else "}"
                end = q.find(closer, i)
                if end < 0:
                    raise QuerySyntaxError(q, i, f"the range opened here has no closing '{closer}'")
                tokens.append(_Tok("range", q[i + 1 : end], i + 1))
                i = end + 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in _WORD_END:
                j += 1
            word, boost = q[i:j], 1.0
            if (found := _BOOST.search(word)) and found.end() == len(word) and found.start():
                word, boost = word[: found.start()], float(found.group(1))
            if _FUZZY.search(word) and word[0].isalnum():
                raise QuerySyntaxError(
                    q,
                    i + word.rindex("~"),
                    f"'{word}' asks for fuzzy matching, which newsindex does not do yet: search "
                    'the word alone, or quote words with ~N ("a b"~3) to find them near each other',
                )
            kind = _OPERATORS.get(word, "word")
            tokens.append(_Tok(kind, word, i, boost=boost))
            i = j
    return tokens


def _boosted(node: Node | None, tok: _Tok) -> Node | None:
    """``node`` with the boost its token was given (``word^2``)."""
    if tok.boost == 1.0 or not isinstance(node, (Term, Phrase, Prefix)):
        return node
    return attrs.evolve(node, boost=tok.boost)


def parse_period(text: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The [start, end) of a year, month, day or moment written in ISO form; None if invalid."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
            return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            year, month = int(m.group(1)), int(m.group(2))
            start = dt.datetime(year, month, 1)
            return start, dt.datetime(year + month // 12, month % 12 + 1, 1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            start = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
            return start, start + dt.timedelta(days=1)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment, moment + dt.timedelta(seconds=1)


class _Parser:
    def __init__(
        self, q: str, analyzers: Callable[[str | None], NewsAnalyzer], *, syntax: bool = True
    ) -> None:
        self.q = q
        self.tokens = _lex(q) if syntax else []
        self.i = 0
        self.analyzers = analyzers
        self.field: str | None = None  # set inside title:( ... )
        self.depth = 0  # open parentheses around the current position

    def error(self, pos: int, reason: str) -> QuerySyntaxError:
        return QuerySyntaxError(self.q, pos, reason)

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node | None:
        tree = self.sequence()
        if (tok := self.peek()) is not None:
            raise self.error(tok.pos, "')' has no matching '('")
        return tree

    def sequence(self) -> Node | None:
        items: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind != ")":
            if tok.kind == "and":
                self.take()
                if not items or (nxt := self.peek()) is None or nxt.kind in (")", "or", "and"):
                    raise self.error(tok.pos, "'AND' needs a word on each side")
                continue
            node = self.clause()
            if node is not None:
                items.append(node)
        return items[0] if len(items) == 1 else (And(tuple(items)) if items else None)

    def clause(self) -> Node | None:
        items = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            if (nxt := self.peek()) is None or nxt.kind in (")", "or", "and"):
                raise self.error(tok.pos, "'OR' needs a word on each side")
            items.append(self.unary())
        kept = tuple(item for item in items if item is not None)
        return kept[0] if len(kept) == 1 else (Or(kept) if kept else None)

    def unary(self) -> Node | None:
        negated = False
        while (tok := self.peek()) is not None and tok.kind == "not":  # NOT NOT x is x
            self.take()
            if (nxt := self.peek()) is None or nxt.kind in (")", "or", "and"):
                raise self.error(tok.pos, f"'{tok.text}' needs a word after it")
            negated = not negated
        inner = self.primary()
        return Not(inner) if negated and inner is not None else inner

    def primary(self) -> Node | None:
        tok = self.take()
        if tok.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(tok.pos, f"the query nests more than {MAX_DEPTH} levels deep")
            inner = self.sequence()
            self.depth -= 1
            if (close := self.peek()) is None or close.kind != ")":
                raise self.error(tok.pos, "'(' is never closed")
            self.take()
            if inner is None:
                raise self.error(tok.pos, "the parentheses hold nothing to search for")
            return inner
        if tok.kind == "field":
            return self.fielded(tok)
        if tok.kind == "phrase":
            return _boosted(self.text(self.field, tok.text, tok.slop, phrase=True), tok)
        if tok.kind == "word":
            return _boosted(self.word(self.field, tok), tok)
        raise self.error(tok.pos, f"'{tok.text}' needs a word on each side")

    def fielded(self, ftok: _Tok) -> Node | None:
        field = ftok.field
        tok = self.take()
        if tok.kind == "range":
            if field != DATE_FIELD:
                raise self.error(
                    tok.pos - 1, f"'{ftok.text}' does not take a range; only date: does"
                )
            return self.date_range(tok)
        if field == DATE_FIELD:
            if tok.kind != "word" or (period := parse_period(tok.text)) is None:
                raise self.error(
                    tok.pos, "date: takes 2025, 2025-03, 2025-03-16 or [2025-03-01 TO 2025-03-31]"
                )
            return Dates(period[0], period[1], tok.text)
        if tok.kind == "word":
            return _boosted(self.word(field, tok), tok)
        if tok.kind == "phrase":
            return _boosted(self.text(field, tok.text, tok.slop, phrase=True), tok)
        if tok.kind == "(":
            self.i -= 1
            outer, self.field = self.field, field
            try:
                return self.primary()
            finally:
                self.field = outer
        if tok.kind == "not":
            raise self.error(tok.pos, f"put '-' before '{ftok.text}', not after it")
        raise self.error(ftok.pos, f"'{ftok.text}' has nothing after it")

    def date_range(self, tok: _Tok) -> Dates:
        sides = _RANGE_SPLIT.split(tok.text.strip())
        if len(sides) != 2:
            raise self.error(tok.pos, "a date range looks like [2025-03-01 TO 2025-03-31]")
        bounds: list[tuple[dt.datetime, dt.datetime] | None] = []
        for side in sides:
            if side.strip() in ("", "*"):
                bounds.append(None)
            elif (period := parse_period(side)) is None:
                raise self.error(tok.pos + tok.text.find(side), f"'{side}' is not a date")
            else:
                bounds.append(period)
        start = bounds[0][0] if bounds[0] else None
        end = bounds[1][1] if bounds[1] else None
        if start and end and start >= end:
            raise self.error(tok.pos, "the range starts after it ends")
        label = f"[{sides[0].strip() or '*'} TO {sides[1].strip() or '*'}]"
        return Dates(start, end, label)

    def word(self, field: str | None, tok: _Tok) -> Node | None:
        if field == "id":
            return Term("id", tok.text)
        if field == DATE_FIELD:
            raise self.error(tok.pos, "date: needs to come right before the date")
        base = tok.text.rstrip("*")
        if base != tok.text and base:
            analyzer = self.analyzers(field)
            prefix = analyzer.normalize(base)
            if re.fullmatch(r"\w+", prefix):
                if len(prefix) < _MIN_PREFIX:
                    raise self.error(
                        tok.pos, f"a prefix needs at least {_MIN_PREFIX} letters before '*'"
                    )
                stems = analyzer.terms(base)
                return Prefix(field, tuple(dict.fromkeys((prefix, *stems[-1:]))))
        return self.text(field, tok.text, 0, phrase=False)

    def words(self) -> Node | None:
        """The whole text as bare words side by side, ignoring every operator."""
        texts = (self.text(None, chunk, 0, phrase=False) for chunk in self.q.split())
        items = [item for item in texts if item is not None]
        return items[0] if len(items) == 1 else (And(tuple(items)) if items else None)

    def text(self, field: str | None, text: str, slop: int, *, phrase: bool) -> Node | None:
        if field == "id":  # ids are exact keys, never analysed
            return Term("id", text.strip()) if text.strip() else None
        analyzer = self.analyzers(field)
        words = analyzer.terms(text)
        if not words:
            return None
        if len(words) == 1:
            forms = analyzer.forms(text) if field is None or field in TEXT_FIELDS else ()
            return Term(field, words[0], form=forms[0] if len(forms) == 1 else None)
        return Phrase(field, words, slop if phrase else 0)


def parse_query(
    text: str, analyzers: Callable[[str | None], NewsAnalyzer], *, syntax: bool = True
) -> ParsedQuery:
    """Parse ``text``; ``analyzers(field)`` gives the analyzer for a field (None: title/body).

    With ``syntax=False`` the text is only words: quotes, parentheses, ``field:``, ``-``, ``*``
    and ``OR``/``AND``/``NOT`` lose their meaning and are read like any other text, so pasted
    prose or a test collection's query can never raise a syntax error or change its meaning.
    (A hyphenated or dotted word still becomes a phrase of its parts, as in a typed query.)
    """
    if not isinstance(text, str):
        raise QuerySyntaxError(str(text), 0, "the query must be text")
    if not syntax or len(text.split()) <= MAX_CLAUSES:
        return _parse(text, analyzers, syntax=syntax)
    try:
        return _parse(text, analyzers, syntax=True)
    except QuerySyntaxError as error:
        if "different words or clauses" in error.reason:
            raise  # boolean structure over too many clauses: the cap is what it is for
        return _parse(text, analyzers, syntax=False)  # pasted text, read as its words


def _parse(
    text: str, analyzers: Callable[[str | None], NewsAnalyzer], *, syntax: bool
) -> ParsedQuery:
    parser = _Parser(text, analyzers, syntax=syntax)
    if syntax:
        tree = parser.parse()
        plain = all(tok.kind == "word" and not tok.text.endswith("*") for tok in parser.tokens)
    else:
        tree = parser.words()
        plain = True
    if tree is None:
        raise QuerySyntaxError(text, 0, "the query has no words to search for")
    if not has_positive(tree):
        raise QuerySyntaxError(text, 0, "the query only excludes words; add a word to search for")
    if (clauses := len(leaves(tree))) > MAX_CLAUSES:
        if syntax and _has_or(tree):
            raise QuerySyntaxError(
                text,
                0,
                f"the query has {clauses} different words or clauses, more than {MAX_CLAUSES}",
            )
        if syntax:  # a pasted paragraph, not a list of requirements: prose
            return _parse(text, analyzers, syntax=False)
    return ParsedQuery(text, tree, plain, prose=not syntax)


def _has_or(tree: Node) -> bool:
    """Whether ``tree`` has an ``OR``: boolean structure someone wrote, not pasted prose (whose
    quotes, parentheses and dashes are punctuation)."""
    if isinstance(tree, Or):
        return True
    if isinstance(tree, And):
        return any(_has_or(item) for item in tree.items)
    if isinstance(tree, Not):
        return _has_or(tree.item)
    return False
