"""The first matches of a compiled query in relevance or date order, and how many match.

The fast paths (:mod:`.pruning`, :mod:`.accumulate`) where the query's shape allows, else
Whoosh's own collector, exhaustively.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

import attrs
from whoosh import collectors
from whoosh import query as wq
from whoosh.searching import Searcher

from newsindex.engines.whoosh.accumulate import scored_anyway, scores_of, segment_scores
from newsindex.engines.whoosh.codec.columns import date_sort_keys
from newsindex.engines.whoosh.pruning import first_by_date, top_documents

__all__ = ["Ranking", "collect", "relevance_scores"]


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
    their relevance scores for the hits as well.
    """
    if sort == "relevance":
        found = top_documents(searcher, query, count)
        if found is not None:
            return Ranking(*found)
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
            return Ranking(items, total, scored=scored)
        collector = _DateOrder(count, newest_first=newest_first)
    searcher.search_with_collector(query, collector)
    results = collector.results()
    return Ranking(
        [(r.score, r.docnum) for r in results[:count]], len(results), scored=sort == "relevance"
    )
