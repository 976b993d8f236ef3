"""Running a parsed query over the index and building hits with snippets."""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import math
from collections.abc import Callable, Sequence

import attrs
from whoosh import collectors
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.searching import Searcher

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.engines.whoosh.accumulate import scored_anyway, scores_of, segment_scores
from newsindex.engines.whoosh.codec.columns import date_sort_keys
from newsindex.engines.whoosh.compile import AndNotQuery, AndQuery, compile_tree, either
from newsindex.engines.whoosh.postings import holds
from newsindex.engines.whoosh.pruning import first_by_date, top_documents
from newsindex.engines.whoosh.snippets import MatchSpec, make_snippet
from newsindex.fields import DATE_FIELD, NAME_FIELDS, TEXT_FIELDS
from newsindex.models import Hit, SearchResults
from newsindex.query.syntax import (
    LONG_QUERY_WORDS,
    STOP_WORDS,
    ParsedQuery,
)
from newsindex.query.tree import And, Dates, Not, Or, Phrase, Prefix, Term

SORTS = ("relevance", "newest", "oldest")

MATCHES = ("auto", "all", "any")
"""How the words of a query must match; see :func:`run_search`."""


def _match_spec(node: object) -> MatchSpec:
    """What to mark in body snippets: the positive terms aimed at the title/body fields."""
    terms: set[str] = set()
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []

    def visit(n: object) -> None:
        if isinstance(n, (And, Or)):
            for item in n.items:
                visit(item)
        elif isinstance(n, Term) and n.field in (None, *TEXT_FIELDS):
            terms.add(n.text)
        elif isinstance(n, Phrase) and n.field in (None, *TEXT_FIELDS):
            if n.slop:
                terms.update(n.words)
            else:
                phrases.append(n.words)
        elif isinstance(n, Prefix) and n.field in (None, *TEXT_FIELDS):
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
        # Date order needs no scores: matchers without a weighting model skip them where
        # Whoosh allows (term matchers still build their scorer).
        super().prepare(top_searcher, q, context.set(weighting=None, needs_current=False))
        self.items: list[tuple[float, int]] = []

    def collect_matches(self) -> None:
        found = list(self.matches())
        if not found:
            return
        order = date_sort_keys(self.subsearcher.reader(), newest_first=self.newest_first)
        keys = list(map(order.__getitem__, found))
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


def _by_date(
    segments: list[tuple[int, object, dict[int, float]]], limit: int, *, newest_first: bool
) -> list[tuple[float, int]]:
    """The first ``limit`` matches by date as ``(relevance score, docnum)``, as ``_DateOrder``
    orders them: undated last either way, ties to the lower document number."""
    keyed = []
    for offset, reader, scores in segments:
        if scores:
            order = date_sort_keys(reader, newest_first=newest_first)
            keyed.append((offset, scores, list(map(order.__getitem__, scores))))
    if not keyed or limit <= 0:
        return []
    # The limit-th key first (over bare numbers), then tuples only for the matches reaching it.
    threshold = heapq.nsmallest(limit, itertools.chain.from_iterable(k for _o, _s, k in keyed))
    last = threshold[-1]
    reaching = []
    for offset, scores, keys in keyed:
        reached = map(last.__ge__, keys)
        for docnum, key in itertools.compress(zip(scores, keys, strict=True), reached):
            reaching.append((key, offset + docnum, scores[docnum]))
    return [(score, docnum) for _key, docnum, score in heapq.nsmallest(limit, reaching)]


def _relevance(searcher: Searcher, query: wq.Query, docnums: Sequence[int]) -> dict[int, float]:
    """The relevance scores of a few documents (hits sorted by date), by document number."""
    found = scores_of(searcher, query, docnums)
    if found is not None:
        return found
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


def _body_may_match(searcher: Searcher, docnum: int, spec: MatchSpec) -> Callable[[], bool]:
    """Whether the article's body holds a word ``spec`` marks, asked of the index (a word
    prefix: assumed so)."""

    def may_match() -> bool:
        if spec.prefixes:
            return True
        sub, offset = next((s, o) for s, o in reversed(searcher.leaf_searchers()) if o <= docnum)
        reader = sub.reader()
        for word in {*spec.terms, *(word for phrase in spec.phrases for word in phrase)}:
            if ("body", word) in reader:
                postings = reader.postings("body", word)
                if type(postings) is W3LeafMatcher:  # no deletions: read the ids it needs only
                    if holds(reader, postings, docnum - offset):
                        return True
                    continue
                if postings.is_active() and postings.id() < docnum - offset:
                    postings.skip_to(docnum - offset)
                if postings.is_active() and postings.id() == docnum - offset:
                    return True
        return False

    return may_match


def _date_label(moment: dt.datetime | None) -> str:
    if moment is None:
        return "*"
    return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat()


def _date_filter(since: dt.datetime | None, until: dt.datetime | None) -> Dates | None:
    """The ``since``/``until`` arguments as a date clause; ``until`` is exclusive here."""
    if since is None and until is None:
        return None
    shown_until = until - dt.timedelta(days=1) if until and until.time() == dt.time() else until
    return Dates(since, until, f"[{_date_label(since)} TO {_date_label(shown_until)}]")


# --- ranked matching --------------------------------------------------------------------------


def _top_items(tree: object) -> tuple[object, ...]:
    return tree.items if isinstance(tree, And) else (tree,)


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
        either = words[0] if len(words) == 1 else Or(tuple(words))
        items = (either, *self.required, *(Not(item) for item in self.excluded))
        return items[0] if len(items) == 1 else And(items)


def _rank_items(tree: object, *, split: bool, stop_terms: frozenset[str]) -> _Ranked:
    """Every top-level item becomes optional, except date filters (kept) and exclusions.

    With ``split`` (plain queries, which hold no quoted phrases) a hyphenated word counts as its
    parts. Stop words are left out unless nothing else is left; a repeated word weighs the
    square root of its count.
    """
    words: list[object] = []
    required, excluded = [], []
    for item in _top_items(tree):
        if isinstance(item, Not):
            excluded.append(item.item)
        elif isinstance(item, Dates):
            required.append(item)
        elif split and isinstance(item, Phrase):
            words.extend(Term(item.field, word) for word in item.words)
        else:
            words.append(item)
    content = [w for w in words if not (isinstance(w, Term) and w.text in stop_terms)]
    counts: dict[object, int] = {}
    for item in content or words:
        counts[item] = counts.get(item, 0) + 1
    optional = tuple((item, math.sqrt(count)) for item, count in counts.items())
    return _Ranked(optional, tuple(required), tuple(excluded))


def _compile_ranked(ranked: _Ranked, reader) -> wq.Query:
    words = [compile_tree(item, reader) for item, _ in ranked.optional]
    words = [q.with_boost(q.boost * w) for q, (_, w) in zip(words, ranked.optional, strict=True)]
    query = either(words)
    if ranked.required:
        query = AndQuery([query, *(compile_tree(item, reader) for item in ranked.required)])
    if ranked.excluded:
        query = AndNotQuery(query, either(compile_tree(item, reader) for item in ranked.excluded))
    return query


@attrs.frozen
class _Ranking:
    """The first matches in order, as ``(score or sort key, docnum)``, and how many match."""

    items: list[tuple[float, int]]
    total: int
    scored: bool = True
    """Whether the items hold relevance scores (else sort keys or stand-ins for scores)."""


def _collect(searcher: Searcher, query: wq.Query, count: int, sort: str) -> _Ranking:
    """The first ``count`` matches of ``query`` in ``sort`` order, and the number of matches.

    Matches are scored term at a time where the query's shape allows (the same scores,
    several times faster: see :mod:`.accumulate`), else by Whoosh's collector,
    exhaustively: no block-max skipping and no swapping out of sub-queries that cannot reach
    the top (both leave matches uncounted, and Whoosh then either runs the query again to count
    them or reports too few). Date order takes every match anyway; term at a time, it keeps
    their relevance scores for the hits as well.
    """
    if sort == "relevance":
        found = top_documents(searcher, query, count)
        if found is not None:
            return _Ranking(*found)
        collector = collectors.TopCollector(limit=count, usequality=False, replace=0)
    else:
        newest_first = sort == "newest"
        found = first_by_date(searcher, query, count, newest_first=newest_first)
        scored = False
        if found is None:
            segments = segment_scores(searcher, query, scored=False)
            if segments is not None:
                found = segments, sum(len(scores) for _o, _r, scores in segments)
                scored = scored_anyway(query)
        if found is not None:
            segments, total = found
            items = _by_date(segments, count, newest_first=newest_first)
            # Matched, mostly not scored: the hits shown then get their scores afterwards.
            return _Ranking(items, total, scored=scored)
        collector = _DateOrder(count, newest_first=newest_first)
    searcher.search_with_collector(query, collector)
    results = collector.results()
    return _Ranking(
        [(r.score, r.docnum) for r in results[:count]], len(results), scored=sort == "relevance"
    )


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
        tree = And((*_top_items(tree), date_filter))
    if is_ranked(parsed, match):
        ranked = _rank_items(tree, split=parsed.plain, stop_terms=_stop_terms(body_analyzer))
        query = _compile_ranked(ranked, searcher.reader())
        tree = ranked.tree()
    else:
        query = compile_tree(tree, searcher.reader())
    ranking = _collect(searcher, query, page * limit, sort)
    first = (page - 1) * limit
    shown = ranking.items[first : first + limit]
    if ranking.scored:
        scores = {docnum: score for score, docnum in shown}
    else:
        scores = _relevance(searcher, query, [docnum for _key, docnum in shown])
    spec = _match_spec(tree)
    hits = []
    for offset, (_key, docnum) in enumerate(shown):
        stored = searcher.stored_fields(docnum)
        snippet, highlights = (
            make_snippet(
                stored.get("body", ""),
                body_analyzer,
                spec,
                may_match=_body_may_match(searcher, docnum, spec),
            )
            if snippets
            else ("", ())
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
                score=float(scores.get(docnum) or 0.0),
                rank=first + offset + 1,
                snippet=snippet,
                highlights=highlights,
            )
        )
    description = str(ParsedQuery(parsed.text, tree))
    return SearchResults(
        hits=tuple(hits),
        total=ranking.total,
        page=page,
        limit=limit,
        query=description,
        sort=sort,
    )


# Fields searched by the names a user types; exported for the CLI's help and the README.
SEARCHABLE_FIELDS = tuple(sorted({*TEXT_FIELDS, *NAME_FIELDS, "id", "date"}))
