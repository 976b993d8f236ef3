"""Term-at-a-time scoring of Whoosh's matcher trees.

Whoosh scores a query document at a time: for every match, every matcher of the query's tree
is asked for its id, its score and its next match, several Python calls per posting and
level. Here the same tree, as Whoosh builds it for each segment, is evaluated a posting list
at a time: each term's postings are scored a block at a time and the tree's nodes combine the
scores per document in dicts (a union adds the two scores where both match, an intersection
keeps and adds the common ones, a filter or an exclusion drops documents). The best documents
come off a heap.

The results are Whoosh's, number for number: each posting's score is the same
:class:`~newsindex.ranking.BM25Scorer` expression, the tree's sums are formed in the tree's
own order, and ties go to the lower document number as in Whoosh's collector. A tree with any
other kind of node (phrases, spans, preloaded unions) makes :func:`top_documents` return
``None``, and Whoosh's collector runs the query instead.
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import (
    ArrayUnionMatcher,
    FilterMatcher,
    IntersectionMatcher,
    UnionMatcher,
    WrappingMatcher,
)

from newsindex.query.compile import ExcludingMatcher
from newsindex.ranking import BM25Scorer, NewsWeighting

__all__ = ["top_documents"]


class _Unsupported(Exception):
    """The matcher tree has a node this module does not evaluate."""


def top_documents(searcher: Any, query: wq.Query, limit: int) -> tuple[list, int] | None:
    """The best ``limit`` ``(score, docnum)`` pairs, best first, and the number of matches.

    ``None`` when the query's matchers are not all of the kinds evaluated here, or the searcher
    does not rank with :class:`NewsWeighting`.
    """
    weighting = searcher.weighting
    if not isinstance(weighting, NewsWeighting) or weighting.use_final:
        return None
    context = searcher.context()  # as Whoosh's collector builds its matchers
    scores: dict[int, float] = {}
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        if not _evaluable(matcher):
            return None
        found = _scores(matcher)
        if offset:
            scores.update(zip(map(offset.__add__, found), found.values(), strict=True))
        else:
            scores.update(found)
    best = heapq.nlargest(limit, zip(scores.values(), map(operator.neg, scores), strict=True))
    return [(score, -negated) for score, negated in best], len(scores)


def _evaluable(matcher: Any) -> bool:
    if not matcher.is_active():
        return True
    kind = type(matcher)
    if kind is W3LeafMatcher:
        return isinstance(matcher.scorer, BM25Scorer)
    if kind in (WrappingMatcher, FilterMatcher):
        return _evaluable(matcher.child)
    if kind in (UnionMatcher, IntersectionMatcher):
        return _evaluable(matcher.a) and _evaluable(matcher.b)
    if kind is ExcludingMatcher:  # the excluded side only gives document numbers
        return _evaluable(matcher.a)
    if kind is ArrayUnionMatcher:
        return matcher._scored and all(_evaluable(m) for m in matcher._submatchers)
    return False


def _scores(matcher: Any) -> dict[int, float]:
    """Score by document number for every match of ``matcher`` from where it stands.

    A freshly built matcher may already have moved past documents it will not match (an
    intersection skips to its first common document): reading on from there loses none.
    """
    if not matcher.is_active():
        return {}
    kind = type(matcher)
    if kind is W3LeafMatcher:
        scorer = matcher.scorer
        found: dict[int, float] = {}
        for docnums, weights in _blocks(matcher):
            found.update(zip(docnums, scorer.scores(docnums, weights), strict=True))
        return found
    if kind is WrappingMatcher:  # a boost
        return _boosted(_scores(matcher.child), matcher.boost)
    if kind is FilterMatcher:  # deleted documents, a date range
        allowed, exclude = matcher._ids, matcher._exclude
        found = {d: s for d, s in _scores(matcher.child).items() if (d in allowed) != exclude}
        return _boosted(found, matcher.boost)
    if kind is UnionMatcher:  # a.score() + b.score() where both match
        first, second = _scores(matcher.a), _scores(matcher.b)
        for docnum, score in second.items():
            first[docnum] = first[docnum] + score if docnum in first else score
        return first
    if kind is IntersectionMatcher:
        first, second = _scores(matcher.a), _scores(matcher.b)
        return {d: score + second[d] for d, score in first.items() if d in second}
    if kind is ArrayUnionMatcher:  # Whoosh's union of many clauses in a small segment
        return _array_union(matcher)
    if kind is ExcludingMatcher:
        found = _scores(matcher.a)
        excluded = matcher.b
        if found and excluded.is_active():
            for docnum in excluded.all_ids():
                found.pop(docnum, None)
        return found
    raise _Unsupported(matcher)


def _array_union(matcher: ArrayUnionMatcher) -> dict[int, float]:
    """The matches of an ``ArrayUnionMatcher``: the part it has read and the rest.

    It sums ``score * boost`` of each clause in turn into an array of zeros, a part of the
    segment at a time, and matches the documents whose sum is positive. Built, it has read
    its first part into the array and moved its clauses past it.
    """
    scores = matcher._a
    offset, limit = matcher._offset, matcher._limit
    found = {
        docnum: scores[docnum - offset]
        for docnum in range(matcher._docnum, limit)
        if scores[docnum - offset] > 0
    }
    boost = matcher._boost
    rest: dict[int, float] = {}
    for clause in matcher._submatchers:
        for docnum, score in _scores(clause).items():
            rest[docnum] = rest.get(docnum, 0.0) + score * boost
    found.update((docnum, score) for docnum, score in rest.items() if score > 0)
    return found


def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
    if boost == 1.0:
        return scores
    return {docnum: score * boost for docnum, score in scores.items()}


def _blocks(matcher: W3LeafMatcher) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """A Whoosh 3 posting list's ``(docnums, weights)``, a block at a time, from where the
    matcher stands.

    Blocks hold delta-coded ids and weights as None (all 1.0), one float (all equal) or one per
    posting, as ``W3LeafMatcher._read_ids`` and ``_read_weights`` decode them.
    """
    start = matcher._i
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        deltas, weights = matcher._data[0], matcher._data[1]
        docnums: Sequence[int] = tuple(itertools.accumulate(deltas))
        if weights is None:
            weights = (1.0,) * len(docnums)
        elif isinstance(weights, float):
            weights = (weights,) * len(docnums)
        if start:
            docnums, weights = docnums[start:], weights[start:]
            start = 0
        yield docnums, weights
        matcher._next_block()
