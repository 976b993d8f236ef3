"""The first matches of a compiled query in relevance or date order, and how many match.

The fast paths (:mod:`.pruning`, :mod:`.accumulate`) where the query's shape allows, else
Whoosh's own collector, exhaustively. :func:`fast_paths` turns fast paths off for a block of
code, which is how the tests and benchmarks compare them with Whoosh's own answers.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
from collections.abc import Iterator, Sequence

import attrs
from whoosh import collectors
from whoosh import query as wq
from whoosh.searching import Searcher

from newsindex.engines.whoosh.accumulate import (
    holds_phrase,
    scored_anyway,
    scores_of,
    segment_scores,
)
from newsindex.engines.whoosh.codec.columns import date_sort_keys
from newsindex.engines.whoosh.pruning import first_by_date, top_documents

__all__ = ["FastPaths", "Ranking", "collect", "fast_paths", "relevance_scores"]


@attrs.frozen
class FastPaths:
    """Which fast paths :func:`collect` and :func:`relevance_scores` may take; all by default.

    A search that none of those enabled takes goes to Whoosh's own collector (and its hits'
    relevance scores, in date order, to Whoosh's matchers). The answers are the same either
    way: ids, scores, ties and totals.
    """

    term_at_a_time: bool = True
    """Score every match a posting list at a time (:mod:`.accumulate`), in either order, and
    the hits shown in date order."""
    block_max: bool = True
    """By relevance, score a word's larger posting list only in the blocks that can reach the
    page (:mod:`.pruning`); taken only with ``term_at_a_time``."""
    first_by_date: bool = True
    """By date, read a word's larger posting list only in the blocks that can hold the page's
    articles (:mod:`.pruning`)."""
    phrases: bool = True
    """Find an exact phrase's matches from its words' postings (:mod:`.phrases`); off, a
    query holding a phrase goes to Whoosh."""
    numpy: bool = True
    """By relevance, score a query that block bounds do not take in NumPy (:mod:`.dense`),
    where it is installed (the ``fast`` extra); off, or without it, in Python
    (:mod:`.accumulate`)."""


TERM_AT_A_TIME, FIRST_BY_DATE, WHOOSH = "term-at-a-time", "first-by-date", "whoosh"
"""The names :func:`fast_paths` records for the way :func:`collect` answered."""

_FAST_PATHS: contextvars.ContextVar[tuple[FastPaths, list[str] | None]] = contextvars.ContextVar(
    "newsindex_fast_paths", default=(FastPaths(), None)
)
"""The fast paths enabled in this context (thread or task), and where to record those taken."""


@contextlib.contextmanager
def fast_paths(enabled: bool = True, **paths: bool) -> Iterator[list[str]]:
    """Within the block, searches in this thread take only the fast paths enabled.

    ``fast_paths(False)``: none, so Whoosh's own collector answers every search: the
    reference the fast paths are compared with. ``fast_paths(block_max=False)``: every one
    but those named (the fields of :class:`FastPaths`). Yields a list that receives, for each
    :func:`collect` in the block, how it answered: :data:`TERM_AT_A_TIME` (with block-max
    pruning where it applies), :data:`FIRST_BY_DATE` or :data:`WHOOSH`.

    The setting is a context variable: searches in other threads keep every fast path.
    """
    chosen = FastPaths(**dict.fromkeys(attrs.fields_dict(FastPaths), enabled) | paths)
    taken: list[str] = []
    token = _FAST_PATHS.set((chosen, taken))
    try:
        yield taken
    finally:
        _FAST_PATHS.reset(token)


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


def relevance_scores(
    searcher: Searcher, query: wq.Query, docnums: Sequence[int]
) -> dict[int, float]:
    """The relevance scores of a few documents (hits sorted by date), by document number."""
    enabled, _taken = _FAST_PATHS.get()
    if enabled.term_at_a_time and (enabled.phrases or not holds_phrase(query)):
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


@attrs.frozen
class Ranking:
    """The first matches in order, as ``(score or sort key, docnum)``, and how many match."""

    items: list[tuple[float, int]]
    total: int
    scored: bool = True
    """Whether the items hold relevance scores (else sort keys or stand-ins for scores)."""


def collect(searcher: Searcher, query: wq.Query, count: int, sort: str) -> Ranking:
    """The first ``count`` matches of ``query`` in ``sort`` order, and the number of matches.

    Matches are scored term at a time where the query's shape allows (the same scores,
    several times faster: see :mod:`.accumulate`), else by Whoosh's collector,
    exhaustively: no block-max skipping and no swapping out of sub-queries that cannot reach
    the top (both leave matches uncounted, and Whoosh then either runs the query again to count
    them or reports too few). Date order takes every match anyway; term at a time, it keeps
    their relevance scores for the hits as well. :func:`fast_paths` chooses the paths taken.
    """
    enabled, taken = _FAST_PATHS.get()
    found = None
    if enabled.phrases or not holds_phrase(query):
        found = _fast_ranking(searcher, query, count, sort, enabled)
    path, ranking = found or (WHOOSH, _whoosh_ranking(searcher, query, count, sort))
    if taken is not None:
        taken.append(path)
    return ranking


def _fast_ranking(
    searcher: Searcher, query: wq.Query, count: int, sort: str, enabled: FastPaths
) -> tuple[str, Ranking] | None:
    """``collect``'s answer from the first fast path enabled that takes the query, and the
    path's name; ``None`` if none does."""
    if sort == "relevance":
        if not enabled.term_at_a_time:
            return None
        best = top_documents(searcher, query, count, bounds=enabled.block_max, numpy=enabled.numpy)
        return None if best is None else (TERM_AT_A_TIME, Ranking(*best))
    newest_first = sort == "newest"
    if enabled.first_by_date:
        found = first_by_date(searcher, query, count, newest_first=newest_first)
        if found is not None:
            segments, total = found
            items = _by_date(segments, count, newest_first=newest_first)
            # Matched, mostly not scored: the hits shown then get their scores afterwards.
            return FIRST_BY_DATE, Ranking(items, total, scored=False)
    if enabled.term_at_a_time:
        scored = segment_scores(searcher, query, scored=False)
        if scored is not None:
            total = sum(len(scores) for _o, _r, scores in scored)
            items = _by_date(scored, count, newest_first=newest_first)
            return TERM_AT_A_TIME, Ranking(items, total, scored=scored_anyway(query))
    return None


def _whoosh_ranking(searcher: Searcher, query: wq.Query, count: int, sort: str) -> Ranking:
    """``collect``'s answer from Whoosh's collector: every match, document at a time."""
    if sort == "relevance":
        collector: collectors.Collector = collectors.TopCollector(
            limit=count, usequality=False, replace=0
        )
    else:
        collector = _DateOrder(count, newest_first=sort == "newest")
    searcher.search_with_collector(query, collector)
    results = collector.results()
    return Ranking(
        [(r.score, r.docnum) for r in results[:count]], len(results), scored=sort == "relevance"
    )
