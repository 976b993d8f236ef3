"""Text analysis: one analyzer turns article text and query text into the same terms.

A regular expression finds the words of a text and their character spans; each distinct
surface form then goes once through the slow pipeline (case folding, Latin accent folding,
apostrophe and dot removal, Snowball stemming) and the result is memoised::

    >>> analyze("Ukraine's U.K.-led coalition-of-the-willing, 1,000 peacekeepers")
    ('ukrain', 'uk', 'led', 'coalit', 'of', 'the', 'will', '1000', 'peacekeep')

Stop words are kept so that phrase queries stay exact. The span of a possessive covers
the word without its ``'s`` (``Ukraine`` in ``Ukraine's``); an acronym's span keeps its
dots (``U.K.``); the parts of a hyphenated word get their own spans and positions.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from newsindex import _whoosh

_whoosh.import_whoosh()

from whoosh.analysis import Analyzer, Token  # noqa: E402

from newsindex.analysis.marks import mark_ranges  # noqa: E402

__all__ = ["NewsAnalyzer", "analyze", "plain_analyzer", "stemming_analyzer"]


# Python's \w has no combining marks, so "Pin\u0303era" (decomposed input) or Hindi words
# would fall apart at every accent. They come from a table per Unicode version (marks); no
# combining mark is a regex metacharacter, so the ranges need no escaping.
_MARKS = "".join(f"{chr(first)}-{chr(last)}" for first, last in mark_ranges())
_LETTER = r"[^\W\d_]"
_WORD = rf"[^\W_]+(?:[{_MARKS}]+[^\W_]*)*"
_APOSTROPHES = "'\u2019"
_POSSESSIVE = rf"[{_APOSTROPHES}][sS](?![^\W_])"


def _token_pattern(word: str) -> re.Pattern[str]:
    """The pattern of a token, with `word` for a plain word."""
    # Alternatives are tried in order, so the specific shapes come before the plain word.
    return re.compile(
        "|".join(
            [
                # U.K. / e.g. / U.S (single letters joined by dots); "I.The" is two words.
                rf"{_LETTER}(?=\.{_LETTER})(?:\.{_LETTER})+(?![^\W_])\.?",
                # 1,000 / 1,000.5 / 3.5 / 3.5bn: the separators belong to the number.
                r"(?=\d+[.,]\d)(?:\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)+)[^\W_]*",
                # A possessive 's after a word: matched here only so that it is dropped.
                _POSSESSIVE,
                # Words, with inner apostrophes joined (O'Brien, don't) unless they start 's.
                rf"{word}(?:[{_APOSTROPHES}](?![sS](?![^\W_])){word})*",
            ]
        )
    )


_TOKEN = _token_pattern(_WORD)
_UNMARKED_TOKEN = _token_pattern(r"[^\W_]+")
"""`_TOKEN` for a text without combining marks, where `_WORD` can match no mark: the same
matches, found in about half the time (testing for a mark after every word is costly)."""
_MARK = re.compile(f"[{_MARKS}]")
_DROPPED = frozenset(a + s for a in _APOSTROPHES for s in "sS")


_ASCII_BYTES = bytes(range(128))


def _non_ascii(text: str) -> set[str]:
    """The non-ASCII characters of `text`, from its UTF-8 bytes (ASCII bytes never occur
    inside a character's): much quicker than a set of all its characters."""
    utf8 = text.encode("utf-8", "surrogatepass")
    return set(utf8.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))


def _tokens_in(text: str, others: set[str] | None = None) -> re.Pattern[str]:
    """The token pattern to use on `text` (`others`: its non-ASCII characters, if known)."""
    if text.isascii():
        return _UNMARKED_TOKEN
    if others is None:
        others = _non_ascii(text)
    return _TOKEN if _MARK.search("".join(others)) else _UNMARKED_TOKEN


def _tokens_starting_with(
    text: str, heads: frozenset[str], depth: int = 1
) -> Iterator[re.Match[str]]:
    """The matches of ``_TOKEN`` in `text` at word starts whose term may start with one of
    `heads`, judged on the first `depth` letters (see `_HEAD_DEPTH`).

    A non-ASCII first letter is a candidate when it may fold to a head's first letter (``É``
    folds to ``e``); a non-ASCII letter or a character the folding drops (``.``, ``'``)
    after the first letter makes the word a candidate whatever follows. The caller's term
    comparison rules out the words that do not match.

    Each first letter, in either case, is looked for on its own: the regex engine finds a
    pattern's leading literal character at the speed of a string search, and checks the next
    letters and the word start only there, so other words and other scripts (a Hindi passage
    in an English article) cost next to nothing. One pattern starting with a class of all
    the letters would look at every character, three times slower over a long article.
    """
    heads = frozenset(head[:depth] for head in heads if head)
    initials = frozenset(head[0] for head in heads)
    found = set() if text.isascii() else _non_ascii(text)
    others = "".join(sorted(c for c in found if _may_start(c, initials)))
    token = _tokens_in(text, found)
    patterns = _candidate_words(tuple(sorted(heads)), others)
    starts = sorted(match.start() for pattern in patterns for match in pattern.finditer(text))
    end = 0
    for start in starts:
        if start < end:
            continue  # inside the last token (the K of U.K.)
        match = token.match(text, start)
        if match is not None:
            end = match.end()
            yield match


def _may_start(char: str, initials: frozenset[str]) -> bool:
    """Whether a word starting with the non-ASCII `char` may fold to one starting with one of
    `initials` (any may if an initial is not ASCII)."""
    if not all(initial.isascii() for initial in initials):
        return True
    # Folding can leave a capital (NFKD of a modifier letter: "ᴬ" -> "A"), which a stemmer
    # then lowers.
    folded = "".join(_fold(char).translate(_STRIP_WORD).split())
    return not folded or folded[0] in initials or folded[0].lower() in initials


_HEAD_DEPTH = 3
"""How many first letters of a word decide whether its Snowball stem may start with a head.

Snowball changes a word's first three letters only by turning ``y`` into ``i`` or back
(``cry`` -> ``cri``, ``skies`` -> ``sky``) and by an ``e`` put where an ending was removed
(``using`` -> ``use``, ``dying`` -> ``die``), never the first; `_later_letter` allows for
both, and tests check every word of the bundled sample and all short letter strings. A
stemmer passed in is only trusted to keep the first letter."""

_DROPPED_OR_OTHER = r"[^\x00-\x26\x28-\x2b\x2d\x2f-\x7f]"
"""A character after a word's first that makes it a candidate whatever follows: one that
`_normalize` removes (``'``, ``,``, ``.``, and ``’`` and ``ʼ`` among the non-ASCII), or
one that folding may turn into an ASCII letter: any non-ASCII one. (A negated class, which
compiles a hundred times faster than a range up to U+10FFFF.)"""


def _later_letter(letter: str) -> str | None:
    """A class of the characters that may stand for `letter`, after a term's first, in the
    word it came from (None: any character may)."""
    if not letter.isascii():
        return None
    chars = {letter, letter.upper()}
    if letter in "iy":
        chars.update("iIyY")
    elif letter == "e":
        chars.update("iI")
    return "[" + re.escape("".join(sorted(chars))) + "]"


def _rest_pattern(rest: str) -> str:
    """A pattern for the letters of a head after its first: each must stand for the head's,
    unless a dropped or non-ASCII character comes first ("" matches anything)."""
    letter = _later_letter(rest[0]) if rest else None
    if letter is None:
        return ""
    return f"(?:{letter}{_rest_pattern(rest[1:])}|{_DROPPED_OR_OTHER})"


_WORD_START = r"(?<![^\W_].)"
"""After a pattern's first character: no word character comes before that one."""


@functools.lru_cache(maxsize=256)
def _candidate_words(heads: tuple[str, ...], others: str) -> tuple[re.Pattern[str], ...]:
    """Patterns for the first letter of a word that may start with one of `heads`, and for
    one of `others` (which start a candidate whatever follows), where no word character comes
    before it: one pattern per ASCII letter and case, starting with that letter."""
    rests: dict[str, set[str]] = {}
    for head in heads:
        if head[0].isascii():
            rests.setdefault(head[0], set()).add(_rest_pattern(head[1:]))
        else:
            others += head[0]
    patterns: list[re.Pattern[str]] = []
    for first, options in sorted(rests.items()):
        rest = "" if "" in options else "(?:" + "|".join(sorted(options)) + ")"
        patterns.extend(
            re.compile(re.escape(letter) + _WORD_START + rest)
            for letter in sorted({first, first.upper()})
        )
    if others:
        # Rare (accented initials in this text): one class holds them all.
        others = "".join(sorted(set(others)))
        patterns.append(re.compile("[" + re.escape(others) + "]" + _WORD_START))
    return tuple(patterns)


_STRIP_WORD = str.maketrans("", "", ".,'\u2019\u02bc")
_STRIP_NUMBER = str.maketrans("", "", ",'\u2019\u02bc")
# Latin letters that carry their "accent" in the letter itself, so NFKD cannot split it off.
_LATIN_LETTERS = str.maketrans(
    {"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i", "ħ": "h"}
)
_LATIN = "a-z\u00c0-\u024f\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff"
_LATIN_ACCENTS = re.compile(rf"(?<=[{_LATIN}])[{_MARKS}]+")


def _fold(surface: str) -> str:
    """Return `surface` case-folded, with accents stripped from Latin letters only."""
    if surface.isascii():
        return surface.lower()
    # NFKD splits "ñ" into "n" + tilde (and "ﬁ" into "fi"); a mark is only removed when it
    # sits on a Latin letter, so Cyrillic "й" and Greek "ή" recompose unchanged under NFC.
    text = unicodedata.normalize("NFKD", surface.casefold())
    text = _LATIN_ACCENTS.sub("", text).translate(_LATIN_LETTERS)
    return unicodedata.normalize("NFC", text)


def _normalize(surface: str) -> str:
    """Return the unstemmed term for one surface form ("" when it yields no term)."""
    if surface in _DROPPED:
        return ""
    # Only numbers keep their dot (3.5); in words it comes from an acronym (U.K.).
    table = _STRIP_NUMBER if surface[:1].isdigit() else _STRIP_WORD
    # Whitespace only reaches here in a whole value (tokenize=False) or from NFKD of a few
    # compatibility forms (the Arabic ligature U+FDFA is four spaced words); terms have none.
    return "".join(_fold(surface).translate(table).split())


class NewsAnalyzer(Analyzer):
    """The Whoosh analyzer for news text: words with spans, folded, optionally stemmed.

    `stemmer` is any ``str -> str`` callable; by default Snowball English, built on first
    use. `cache_size` bounds the memo of surface form -> term; it is emptied when full.
    Only `stem`, `cache_size` and an injected `stemmer` are pickled (Whoosh stores the
    analyzer inside the index), so a default analyzer pickles to a few bytes.
    """

    def __init__(
        self,
        *,
        stem: bool = True,
        stemmer: Callable[[str], str] | None = None,
        cache_size: int = 100_000,
    ) -> None:
        self.stem = stem
        self.stemmer = stemmer
        self.cache_size = cache_size
        self._cache: dict[str, str] = {}
        self._folded: dict[str, str] = {}  # surface -> unstemmed term, for `spans(initials=)`
        self._stem_word: Callable[[str], str] | None = stemmer

    def __getstate__(self) -> dict[str, Any]:
        return {"stem": self.stem, "stemmer": self.stemmer, "cache_size": self.cache_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        NewsAnalyzer.__init__(self, **state)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((type(self), self.stem, self.cache_size))

    def __repr__(self) -> str:
        stemmer = "" if self.stemmer is None else f", stemmer={self.stemmer!r}"
        return f"NewsAnalyzer(stem={self.stem!r}{stemmer}, cache_size={self.cache_size!r})"

    def has_morph(self) -> bool:
        """Whoosh asks this to decide whether spelling needs unstemmed words."""
        return self.stem

    def known_terms(self) -> dict[str, str]:
        """The memo of surface form -> term built so far (an import saves it beside the index)."""
        return dict(self._cache)

    def learn(self, terms: dict[str, str]) -> None:
        """Fill the memo with surface form -> term pairs this analyzer produced before.

        Words found there need no stemmer: a search answered from them never imports NLTK,
        which takes from 0.25 s to a second (NLTK's package import also loads SciPy when it
        is installed).
        """
        room = self.cache_size - len(self._cache)
        if room > 0:
            self._cache.update(itertools.islice(terms.items(), room))

    def normalize(self, word: str) -> str:
        """Return `word` folded and lowercased as one term, without stemming (for prefixes)."""
        return _normalize(word)

    def forms(self, text: str) -> tuple[str, ...]:
        """Return the words of `text` folded as `terms` folds them but never stemmed, one per
        term, in order (the exact forms a query word is boosted by)."""
        found = (_normalize(surface) for surface in _tokens_in(text).findall(text))
        return tuple(form for form in found if form)

    def terms(self, text: str) -> tuple[str, ...]:
        """Return the terms `text` becomes, in order."""
        # The indexer's hot path: findall hands over all the words at once, offsets unneeded.
        cache = self._cache
        terms = []
        for surface in _tokens_in(text).findall(text):
            term = cache.get(surface)
            if term is None:
                term = self._analyze_surface(surface)
            if term:
                terms.append(term)
        return tuple(terms)

    def spans(
        self, text: str, *, initials: frozenset[str] | None = None
    ) -> Iterator[tuple[str, int, int]]:
        """Yield ``(term, startchar, endchar)`` for each term, offsets into `text`.

        With `initials` (for highlighting a few known terms), a word whose folded form starts
        with another letter is not stemmed and yields ``""`` as its term, keeping its place:
        a stem always starts with the word's first letter, and stemming is the costly part.
        """
        cache = self._cache
        for match in _tokens_in(text).finditer(text):
            surface = match.group()
            term = cache.get(surface)
            if term is None:
                if initials is not None:
                    folded = self._folded.get(surface)
                    if folded is None:
                        if len(self._folded) >= self.cache_size:
                            self._folded.clear()
                        folded = self._folded[surface] = _normalize(surface)
                    if folded and folded[0] not in initials:
                        yield ("", *match.span())
                        continue
                term = self._analyze_surface(surface)
            if term:
                yield (term, *match.span())

    def spans_starting(self, text: str, heads: frozenset[str]) -> Iterator[tuple[str, int, int]]:
        """Like `spans`, but only for the words whose terms may start with one of `heads`.

        For highlighting a few terms: the regex engine skips the other words, so a long article
        costs little more than its matches. Some words whose terms do not start with a head
        are yielded too; positions between words are lost.
        """
        cache = self._cache
        depth = _HEAD_DEPTH if self.stemmer is None else 1
        for match in _tokens_starting_with(text, heads, depth):
            surface = match.group()
            term = cache.get(surface)
            if term is None:
                term = self._analyze_surface(surface)
            if term:
                yield (term, *match.span())

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        """Yield one reused Whoosh `Token` per term of `value` (the same in every `mode`)."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize or kwargs.get("no_morph"):
            # Rare paths (range query ends, spelling words): no need for the inlined loop.
            yield from self._call_slow(token, value, tokenize, start_pos, start_char)
            return
        cache = self._cache
        pos = start_pos
        for match in _tokens_in(value).finditer(value):
            surface = match.group()
            term = cache.get(surface)
            if term is None:
                term = self._analyze_surface(surface)
            if not term:
                continue
            token.text = term
            if positions:
                token.pos = pos
            if chars:
                start, end = match.span()
                token.startchar, token.endchar = start_char + start, start_char + end
            if keeporiginal:
                token.original = surface
            pos += 1
            yield token

    def _call_slow(
        self, token: Token, value: str, tokenize: bool, start_pos: int, start_char: int
    ) -> Iterator[Token]:
        """Yield tokens for ``tokenize=False`` (one token) or ``no_morph`` (no stemming)."""
        if tokenize:
            found = [(m.group(), m.start(), m.end()) for m in _tokens_in(value).finditer(value)]
        else:
            found = [(value, 0, len(value))]
        stem = self.stem and not token.__dict__.get("no_morph")
        pos = start_pos
        for surface, start, end in found:
            term = _normalize(surface)
            if term and stem:
                term = self._stem(term)
            if term:
                token.text, token.original, token.pos = term, surface, pos
                token.startchar, token.endchar = start_char + start, start_char + end
                pos += 1
                yield token

    def _analyze_surface(self, surface: str) -> str:
        """Compute, memoise and return the final term of a surface form not yet cached."""
        term = _normalize(surface)
        if term and self.stem:
            term = self._stem(term)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[surface] = term
        return term

    def _stem(self, term: str) -> str:
        """Return the stem of `term`, building the default Snowball stemmer on first use."""
        if self._stem_word is None:
            # Imported here: nltk takes ~0.25 s to import and plain analyzers never need it.
            from nltk.stem.snowball import EnglishStemmer

            self._stem_word = EnglishStemmer(ignore_stopwords=False).stem
        return self._stem_word(term) or term


def stemming_analyzer() -> NewsAnalyzer:
    """Return the analyzer for prose fields (title, body): folded and Snowball-stemmed."""
    return NewsAnalyzer(stem=True)


def plain_analyzer() -> NewsAnalyzer:
    """Return the analyzer for name fields (author, source, section, tags, url): no stemming."""
    return NewsAnalyzer(stem=False)


_ANALYZERS = {True: stemming_analyzer(), False: plain_analyzer()}


def analyze(text: str, *, stem: bool = True) -> tuple[str, ...]:
    """Return the terms `text` becomes in the index (stemmed unless ``stem=False``)."""
    return _ANALYZERS[stem].terms(text)
