"""Compiling a query tree to Whoosh, running it, and building hits with snippets."""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import math
from collections.abc import Sequence

import attrs
from whoosh import collectors, matching
from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.util.times import datetime_to_long

from newsindex.analysis import NewsAnalyzer
from newsindex.columns import dates
from newsindex.models import Hit, SearchResults
from newsindex.query.syntax import (
    LONG_QUERY_WORDS,
    STOP_WORDS,
    ParsedQuery,
    _And,
    _Dates,
    _has_positive,
    _Not,
    _Or,
    _Phrase,
    _Prefix,
    _Term,
)
from newsindex.schema import DATE_FIELD, NAME_FIELDS, TEXT_FIELDS, UNDATED
from newsindex.snippets import MatchSpec, make_snippet

SORTS = ("relevance", "newest", "oldest")

TITLE_BOOST = 1.5
"""How much a match in the title outweighs the same match in the body.

Title and body are scored as separate BM25 fields, so a headline word already counts on its
own. 1.5 keeps a headline match ahead of an equal body match and measured best over the test
collections with titles (``benchmarks/RESULTS.md``): 1.0 lost on ADI, 2.0 lost P@10 on ADI
and MAP on Cranfield."""

MATCHES = ("auto", "all", "any")
"""How the words of a query must match; see :func:`run_search`."""

MAX_PREFIX_TERMS = 512
"""A prefix expands to at most this many index terms (the most frequent), bounding its cost."""


# --- compiling to Whoosh and searching ---------------------------------------------------------


def _fields(field: str | None) -> tuple[tuple[str, float], ...]:
    if field is None:
        return (("title", TITLE_BOOST), ("body", 1.0))
    return ((field, 1.0),)


def _expand_prefix(reader, field: str, prefixes: tuple[str, ...]) -> list[str]:
    terms: set[str] = set()
    for prefix in prefixes:
        terms.update(
            t.decode("utf-8") if isinstance(t, bytes) else t
            for t in reader.expand_prefix(field, prefix)
        )
    if len(terms) > MAX_PREFIX_TERMS:
        ranked = sorted(terms, key=lambda t: -reader.doc_frequency(field, t))
        return sorted(ranked[:MAX_PREFIX_TERMS])
    return sorted(terms)


def _compile(node: object, reader) -> wq.Query:
    if isinstance(node, _Term):
        if node.field == "id":
            return wq.Term("id", node.text)
        return _either(wq.Term(f, node.text, boost=b) for f, b in _fields(node.field))
    if isinstance(node, _Phrase):
        return _either(
            wq.Phrase(f, list(node.words), slop=node.slop + 1, boost=b)
            for f, b in _fields(node.field)
        )
    if isinstance(node, _Prefix):
        return _either(
            wq.Or([wq.Term(f, t, boost=b) for t in _expand_prefix(reader, f, node.prefixes)])
            for f, b in _fields(node.field)
        )
    if isinstance(node, _Dates):
        # A filter, not evidence of relevance: a tiny constant keeps it (almost) out of the score.
        # (Whoosh drops documents whose score is exactly zero, so the boost cannot be 0.)
        return wq.DateRange(DATE_FIELD, node.start, node.end, endexcl=True, boost=1e-6)
    if isinstance(node, _Not):
        return wq.Not(_compile(node.item, reader))
    if isinstance(node, _Or):
        return _either(_compile(item, reader) for item in dict.fromkeys(node.items))
    assert isinstance(node, _And)
    items: list[object] = []
    for item in dict.fromkeys(node.items):  # a repeated clause adds nothing but cost
        if isinstance(item, _And) and not _has_positive(item):
            items.extend(item.items)  # "x (-y -z)": the group's exclusions are the parent's
        else:
            items.append(item)
    items = list(dict.fromkeys(items))
    dates = [i for i in items if isinstance(i, _Dates)]
    others = [i for i in items if not isinstance(i, (_Not, _Dates))]
    negative = [_compile(i.item, reader) for i in items if isinstance(i, _Not)]
    if not others and not dates:  # only exclusions, as in "x -(-y -z)": everything but them
        return wq.Not(_either(negative))
    if not others:  # dates alone: the range query is the whole search
        others, dates = dates, []
    positive = [_compile(i, reader) for i in others]
    query = positive[0] if len(positive) == 1 else wq.And(positive)
    if negative:
        query = _AndNot(query, negative[0] if len(negative) == 1 else wq.Or(negative))
    for clause in dates:
        query = _DateFiltered(query, clause.start, clause.end)
    return query


class _ExcludingMatcher(matching.AndNotMatcher):
    """Whoosh's ``AndNotMatcher`` with its start fixed.

    Whoosh's version checks the first document only when both sides start on the same one: when
    the excluded side starts earlier, its first positive document is kept even if excluded
    (``iraq -war`` returned an article about the Iraq war whenever an article about another war
    came before it in the segment).
    """

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class _AndNot(wq.AndNot):
    """``a`` without the documents ``b`` matches, through :class:`_ExcludingMatcher`."""

    def matcher(self, searcher, context=None):
        scored = self.a.matcher(searcher, context)
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return _ExcludingMatcher(scored, excluded)


class _InRange:
    """Document numbers whose date lies in [low, high): a set-like for filtering."""

    def __init__(self, dates: Sequence[int], low: int, high: int) -> None:
        self.dates, self.low, self.high = dates, low, high

    def __contains__(self, docnum: int) -> bool:
        return self.low <= self.dates[docnum] < self.high


class _DateFiltered(wq.WrappingQuery):
    """The child query, keeping only documents published in [start, end).

    Reads each candidate's date from the date column instead of expanding the range into
    index terms: the cost follows the child's matches, not the number of dated articles.
    """

    def __init__(self, child: wq.Query, start: dt.datetime | None, end: dt.datetime | None):
        super().__init__(child)
        self.start, self.end = start, end

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self.child == other.child
            and (self.start, self.end) == (other.start, other.end)
        )

    def __hash__(self) -> int:
        return hash((type(self), self.child, self.start, self.end))

    def _rewrap(self, child: wq.Query) -> wq.Query:
        return self.__class__(child, self.start, self.end)

    def matcher(self, searcher, context=None):
        child = self.child.matcher(searcher, context)
        reader = searcher.reader()
        if not reader.has_column(DATE_FIELD):
            return matching.NullMatcher()
        low = datetime_to_long(self.start) if self.start else 0
        high = datetime_to_long(self.end) if self.end else UNDATED
        return matching.FilterMatcher(child, _InRange(dates(reader), low, high))


def _either(queries) -> wq.Query:
    queries = list(queries)
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _match_spec(node: object) -> MatchSpec:
    """What to mark in body snippets: the positive terms aimed at the title/body fields."""
    terms: set[str] = set()
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []

    def visit(n: object) -> None:
        if isinstance(n, (_And, _Or)):
            for item in n.items:
                visit(item)
        elif isinstance(n, _Term) and n.field in (None, *TEXT_FIELDS):
            terms.add(n.text)
        elif isinstance(n, _Phrase) and n.field in (None, *TEXT_FIELDS):
            if n.slop:
                terms.update(n.words)
            else:
                phrases.append(n.words)
        elif isinstance(n, _Prefix) and n.field in (None, *TEXT_FIELDS):
            prefixes.extend(n.prefixes)

    visit(node)
    return MatchSpec(frozenset(terms), tuple(prefixes), tuple(phrases))


class _DateOrder(collectors.Collector):
    """Every match, the first ``limit`` by publication date; undated articles last either way.

    Whoosh's sorting collector reads the date column and builds a key through several calls for
    each match; this one takes a segment's matches at once and keys them from its date array.
    The results' scores are the sort keys (Whoosh's convention); ``run_search`` replaces them
    with relevance scores for the hits it returns.
    """

    def __init__(self, limit: int, *, newest_first: bool) -> None:
        super().__init__()
        self.limit, self.newest_first = limit, newest_first

    def prepare(self, top_searcher, q, context) -> None:
        # Date order needs no scores: matchers without a weighting model skip them.
        super().prepare(top_searcher, q, context.set(weighting=None, needs_current=False))
        self.items: list[tuple[float, int]] = []

    def collect_matches(self) -> None:
        found = list(self.matches())
        if not found:
            return
        published = dates(self.subsearcher.reader())
        if self.newest_first:
            keys = [-d if d < UNDATED else math.inf for d in map(published.__getitem__, found)]
        else:
            keys = [d if d < UNDATED else math.inf for d in map(published.__getitem__, found)]
        offset = self.offset
        docnums = [offset + d for d in found] if offset else found
        self.items.extend(zip(keys, docnums, strict=True))
        self.docset.update(docnums)

    def collect(self, sub_docnum: int):  # only for Whoosh's own callers; unused here
        raise NotImplementedError

    def sort_key(self, sub_docnum: int):
        raise NotImplementedError

    def results(self):
        return self._results(heapq.nsmallest(self.limit, self.items), docset=self.docset)


def _relevance(searcher: Searcher, query: wq.Query, docnums: Sequence[int]) -> dict[int, float]:
    """The relevance scores of a few documents (hits sorted by date), by document number."""
    scores: dict[int, float] = {}
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        wanted = sorted(d for d in docnums if offset <= d < end)
        if not wanted:
            continue
        matcher = query.matcher(sub, context)
        for docnum in wanted:
            if matcher.is_active() and matcher.id() < docnum - offset:
                matcher.skip_to(docnum - offset)
            if matcher.is_active() and matcher.id() == docnum - offset:
                scores[docnum] = matcher.score()
    return scores


def _date_label(moment: dt.datetime | None) -> str:
    if moment is None:
        return "*"
    return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat()


def _date_filter(since: dt.datetime | None, until: dt.datetime | None) -> _Dates | None:
    """The ``since``/``until`` arguments as a date clause; ``until`` is exclusive here."""
    if since is None and until is None:
        return None
    shown_until = until - dt.timedelta(days=1) if until and until.time() == dt.time() else until
    return _Dates(since, until, f"[{_date_label(since)} TO {_date_label(shown_until)}]")


# --- ranked matching --------------------------------------------------------------------------


def _top_items(tree: object) -> tuple[object, ...]:
    return tree.items if isinstance(tree, _And) else (tree,)


def is_ranked(parsed: ParsedQuery, match: str) -> bool:
    """Whether ``parsed`` runs as ranked any-word matching under ``match`` (see run_search)."""
    if match == "all":
        return False
    if match == "any":
        return True
    return parsed.prose or (parsed.plain and len(_top_items(parsed.tree)) >= LONG_QUERY_WORDS)


@functools.lru_cache(maxsize=8)
def _stop_terms(analyzer: NewsAnalyzer) -> frozenset[str]:
    return frozenset(analyzer.terms(" ".join(STOP_WORDS)))


@attrs.frozen
class _Ranked:
    """A query split for ranked matching: weighted optional items, filters and exclusions."""

    optional: tuple[tuple[object, float], ...]
    required: tuple[object, ...]
    excluded: tuple[object, ...]

    def tree(self) -> object:
        """The same query as a tree, for the description and the snippet marks."""
        words = [item for item, _ in self.optional]
        either = words[0] if len(words) == 1 else _Or(tuple(words))
        items = (either, *self.required, *(_Not(item) for item in self.excluded))
        return items[0] if len(items) == 1 else _And(items)


def _rank_items(tree: object, *, split: bool, stop_terms: frozenset[str]) -> _Ranked:
    """Every top-level item becomes optional, except date filters (kept) and exclusions.

    With ``split`` (plain queries, which hold no quoted phrases) a hyphenated word counts as its
    parts. Stop words are left out unless nothing else is left; a repeated word weighs the
    square root of its count.
    """
    words: list[object] = []
    required, excluded = [], []
    for item in _top_items(tree):
        if isinstance(item, _Not):
            excluded.append(item.item)
        elif isinstance(item, _Dates):
            required.append(item)
        elif split and isinstance(item, _Phrase):
            words.extend(_Term(item.field, word) for word in item.words)
        else:
            words.append(item)
    content = [w for w in words if not (isinstance(w, _Term) and w.text in stop_terms)]
    counts: dict[object, int] = {}
    for item in content or words:
        counts[item] = counts.get(item, 0) + 1
    optional = tuple((item, math.sqrt(count)) for item, count in counts.items())
    return _Ranked(optional, tuple(required), tuple(excluded))


def _compile_ranked(ranked: _Ranked, reader) -> wq.Query:
    words = [_compile(item, reader) for item, _ in ranked.optional]
    words = [q.with_boost(q.boost * w) for q, (_, w) in zip(words, ranked.optional, strict=True)]
    query = _either(words)
    if ranked.required:
        query = wq.And([query, *(_compile(item, reader) for item in ranked.required)])
    if ranked.excluded:
        query = _AndNot(query, _either(_compile(item, reader) for item in ranked.excluded))
    return query


def run_search(
    searcher: Searcher,
    parsed: ParsedQuery,
    *,
    body_analyzer: NewsAnalyzer,
    page: int = 1,
    limit: int = 10,
    sort: str = "relevance",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    match: str = "auto",
    snippets: bool = True,
) -> SearchResults:
    """Run ``parsed`` and build one page of :class:`SearchResults`.

    ``since`` is inclusive and ``until`` exclusive, both naive UTC (the API layer converts).

    ``match`` is one of :data:`MATCHES`. ``"all"`` requires every top-level item. ``"any"``
    ranks every article that has any of the words (exclusions and date filters still apply);
    stop words outside phrases are dropped, so the words that carry the meaning decide the
    order, and an article with more of the rarer words ranks higher through BM25 itself.
    ``"auto"`` is ``"any"`` for prose (text parsed with ``syntax=False``) and for a typed
    query of at least :data:`LONG_QUERY_WORDS` plain words (no quotes, operators or fields: a
    description or a question, not a list of requirements), and ``"all"`` otherwise, so a short
    typed query keeps web-search behaviour.
    """
    tree = parsed.tree
    date_filter = _date_filter(since, until)
    if date_filter is not None:
        tree = _And((*_top_items(tree), date_filter))
    if is_ranked(parsed, match):
        ranked = _rank_items(tree, split=parsed.plain, stop_terms=_stop_terms(body_analyzer))
        query = _compile_ranked(ranked, searcher.reader())
        tree = ranked.tree()
    else:
        query = _compile(tree, searcher.reader())
    # Relevance order: no block-max skipping and no swapping out of sub-queries that cannot
    # reach the top any more (both leave matches uncounted, and then Whoosh either runs the
    # query a second time to count them or, with optimize=False, reports too few). Date order
    # collects every match anyway.
    if sort == "relevance":
        collector = collectors.TopCollector(limit=page * limit, usequality=False, replace=0)
    else:
        collector = _DateOrder(page * limit, newest_first=sort == "newest")
    searcher.search_with_collector(query, collector)
    results = collector.results()
    spec = _match_spec(tree)
    first = (page - 1) * limit
    shown = results[first : first + limit]
    scores = (
        {r.docnum: r.score for r in shown}
        if sort == "relevance"
        else _relevance(searcher, query, [r.docnum for r in shown])
    )
    hits = []
    for offset, result in enumerate(shown):
        stored = result.fields()
        snippet, highlights = (
            make_snippet(stored.get("body", ""), body_analyzer, spec) if snippets else ("", ())
        )
        published = stored.get(DATE_FIELD)
        hits.append(
            Hit(
                id=stored["id"],
                title=stored.get("title", ""),
                published=published.replace(tzinfo=dt.timezone.utc) if published else None,
                source=stored.get("source"),
                url=stored.get("url"),
                authors=tuple(stored.get("author", ())),
                score=float(scores.get(result.docnum) or 0.0),
                rank=first + offset + 1,
                snippet=snippet,
                highlights=highlights,
            )
        )
    description = str(ParsedQuery(parsed.text, tree))
    return SearchResults(
        hits=tuple(hits), total=len(results), page=page, limit=limit, query=description, sort=sort
    )


# Fields searched by the names a user types; exported for the CLI's help and the README.
SEARCHABLE_FIELDS = tuple(sorted({*TEXT_FIELDS, *NAME_FIELDS, "id", "date"}))
