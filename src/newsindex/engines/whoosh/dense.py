"""Term-at-a-time scoring in NumPy, where it is installed (the ``fast`` extra).

The evaluation of :mod:`.accumulate`, node for node, with a segment's scores held in one
array as long as the segment where :mod:`.accumulate` holds a dict: a posting list's blocks
are copied from their stored bytes into arrays (no posting becomes a Python object), scored
with one expression over the whole list, and the tree's nodes combine whole arrays. The
numbers are the same: NumPy's float64 arithmetic is IEEE 754's, as Python's floats are, every
expression is evaluated in the same order, and a document one side of a union does not match
adds that side's 0.0, which changes no score.

Where a node would read a long posting list for a few documents (the other side of an
intersection that matches far fewer, a date range that holds fewer articles than its words
match), that node is evaluated by :mod:`.accumulate`, for those documents only, and its dict
spread into arrays.
A tree with a node of any other kind (an exact phrase) is left to :mod:`.accumulate`.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import (
    AndMaybeMatcher,
    ArrayUnionMatcher,
    FilterMatcher,
    IntersectionMatcher,
    UnionMatcher,
    WrappingMatcher,
)

from newsindex.engines.whoosh.accumulate import (
    best_scored,
    evaluable,
    holds_phrase,
    matcher_scores,
    matcher_size,
    term_at_a_time_context,
)
from newsindex.engines.whoosh.compile import (
    DateFilterMatcher,
    ExcludingMatcher,
    InRange,
    LazyAndMaybeMatcher,
    LazyIntersectionMatcher,
)
from newsindex.engines.whoosh.postings import stored_blocks

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Scores = tuple[NDArray[np.float64], NDArray[np.bool_]]
else:
    np = None  # imported on first use (_numpy): a search scored in dicts never waits for it

__all__ = ["available", "top_documents"]

_INTERSECTIONS = (IntersectionMatcher, LazyIntersectionMatcher)
_OPTIONALS = (AndMaybeMatcher, LazyAndMaybeMatcher)
_FILTERS = (FilterMatcher, DateFilterMatcher)

_ARRAYS_FROM = 8
"""A query is scored in arrays when its terms hold at least one posting for every this many
documents of the segments (below, in dicts): every node of the query makes arrays as long as
its segment. On Wikinews 16x (94,000 articles), two words with 4,000 to 6,000 postings took
0.4-0.6 ms more in arrays (4-5 ms in all), and two with 14,000 (`oil prices`) 6.6 ms against
9.5 ms."""

_FEWER_THAN_BLOCKS = 128
"""A posting list is read for some documents only (by :mod:`.accumulate`) when this many
times their number is below its length: about when they lie in fewer blocks than it has (a
block holds up to 128 postings). Read whole, each block costs the same small part."""


_ABSENT = object()
"""What ``np`` holds once NumPy was found missing."""


def _numpy() -> Any:
    """NumPy, imported on first use (84 ms in a fresh ``newsindex search``, where NLTK, which
    imports it too, is not loaded for words the index has seen); None without the fast
    extra."""
    global np
    if np is None:
        try:
            import numpy
        except ImportError:
            np = _ABSENT
        else:
            np = numpy
    return None if np is _ABSENT else np


def available() -> bool:
    """Whether NumPy is installed, so that :func:`top_documents` can score in arrays."""
    return _numpy() is not None


def top_documents(searcher: Any, query: wq.Query, limit: int) -> tuple[list, int] | None:
    """The best ``limit`` ``(score, docnum)`` pairs, best first (ties to the lower document
    number), and the number of matches: the same as :func:`.pruning.top_documents` finds
    without block bounds. ``None`` for a query whose matchers are not all of the kinds
    evaluated here, or a searcher that does not rank with the news weighting.

    Without NumPy, and for a query with few postings against the segments' lengths (rare
    words: arrays as long as a segment would cost more than its postings), the same matchers
    are scored by :mod:`.accumulate` instead."""
    context = term_at_a_time_context(searcher)
    if context is None or limit <= 0 or holds_phrase(query):
        return None
    built = []
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        if not evaluable(matcher):
            return None
        built.append((offset, sub.reader(), sub.doc_count_all(), matcher))
    postings = sum(_postings(matcher) for *_segment, matcher in built)
    few = postings * _ARRAYS_FROM < sum(size for _offset, _reader, size, _matcher in built)
    if few or _numpy() is None:
        found = [
            (offset, reader, matcher_scores(matcher, reader=reader))
            for offset, reader, _size, matcher in built
        ]
        return best_scored(found, limit), sum(len(scores) for *_segment, scores in found)
    segments = [
        (offset, *_Segment(reader, size).scores(matcher)) for offset, reader, size, matcher in built
    ]
    return _best(segments, limit)


def _postings(matcher: Any) -> int:
    """How many postings an evaluable matcher's terms hold, all told."""
    if not matcher.is_active():
        return 0
    kind = type(matcher)
    if kind is W3LeafMatcher:
        return matcher.scorer.size
    if kind in (WrappingMatcher, *_FILTERS):
        return _postings(matcher.child)
    if kind is ArrayUnionMatcher:
        return sum(_postings(m) for m in matcher._submatchers)
    if kind is ExcludingMatcher:  # the excluded side's are only skipped over
        return _postings(matcher.a)
    return _postings(matcher.a) + _postings(matcher.b)


class _Segment:
    """Scores a segment's matcher tree: each node gives ``(scores, matched)``, two arrays as
    long as the segment, the scores 0.0 wherever the node does not match."""

    def __init__(self, reader: Any, size: int) -> None:
        self.reader, self.size = reader, size

    def scores(self, matcher: Any) -> Scores:
        if not matcher.is_active():
            return self._nothing()
        kind = type(matcher)
        if kind is W3LeafMatcher:
            return self._leaf(matcher)
        if kind is WrappingMatcher:  # a boost
            return self._boosted(self.scores(matcher.child), matcher.boost)
        if kind in _FILTERS:  # deleted documents, a date range
            return self._filtered(matcher)
        if kind is UnionMatcher:  # a.score() + b.score() where both match
            (a, in_a), (b, in_b) = self.scores(matcher.a), self.scores(matcher.b)
            return a + b, in_a | in_b
        if kind in _INTERSECTIONS:  # a.score() + b.score(), where both match
            return self._intersection(matcher)
        if kind in _OPTIONALS:  # a.score() + b.score() where b matches too, else a.score()
            a, in_a = self.scores(matcher.a)
            b, _in_b = self._where(matcher.b, in_a)
            return np.where(in_a, a + b, 0.0), in_a
        if kind is ExcludingMatcher:
            a, in_a = self.scores(matcher.a)
            if matcher.b.is_active():
                excluded = np.fromiter(matcher.b.all_ids(), dtype=np.int64)
                in_a = in_a.copy()
                in_a[excluded] = False
                a = np.where(in_a, a, 0.0)
            return a, in_a
        if kind is ArrayUnionMatcher:  # Whoosh's union of many clauses in a small segment
            return self._array_union(matcher)
        raise AssertionError(f"not evaluable: {kind.__name__}")  # checked before

    def _nothing(self) -> Scores:
        return np.zeros(self.size), np.zeros(self.size, dtype=bool)

    def _leaf(self, matcher: W3LeafMatcher) -> Scores:
        """A term's postings from where its matcher stands, scored as
        :meth:`.ranking.BM25Scorer.scores` scores them."""
        docnums, weights = [], []
        for start, deltas, stored in stored_blocks(matcher, reader=self.reader):
            block = np.cumsum(np.asarray(deltas, dtype=np.int64))
            if stored is None:
                tf = np.ones(len(block))
            elif isinstance(stored, float):
                tf = np.full(len(block), stored)
            else:
                tf = np.asarray(stored, dtype=np.float64)
            docnums.append(block[start:] if start else block)
            weights.append(tf[start:] if start else tf)
        scorer = matcher.scorer
        at = np.concatenate(docnums)
        tf = np.concatenate(weights)
        found = scorer.idf * ((tf * scorer.k1p1) / (tf + np.asarray(scorer.norms)[at]))
        if scorer.priors is not None:
            found = found * np.asarray(scorer.priors)[at]
        return self._spread(at, found)

    def _spread(self, docnums: Any, found: Any) -> Scores:
        scores, matched = self._nothing()
        scores[docnums] = found
        matched[docnums] = True
        return scores, matched

    def _spread_dict(self, found: dict[int, float]) -> Scores:
        docnums = np.fromiter(found.keys(), dtype=np.int64, count=len(found))
        return self._spread(docnums, np.fromiter(found.values(), dtype=np.float64))

    def _where(self, matcher: Any, wanted: Any) -> Scores:
        """A side's scores, for the documents in ``wanted`` (a mask) at least: read for those
        only where they are few against the side's postings."""
        count = int(np.count_nonzero(wanted))
        if count * _FEWER_THAN_BLOCKS < matcher_size(matcher):
            documents = np.flatnonzero(wanted).tolist()
            return self._spread_dict(matcher_scores(matcher, documents, reader=self.reader))
        return self.scores(matcher)

    def _intersection(self, matcher: Any) -> Scores:
        """The smaller side first (by posting counts), then the other for its matches."""
        if matcher_size(matcher.b) < matcher_size(matcher.a):
            b, in_b = self.scores(matcher.b)
            a, in_a = self._where(matcher.a, in_b)
        else:
            a, in_a = self.scores(matcher.a)
            b, in_b = self._where(matcher.b, in_a)
        both = in_a & in_b
        return np.where(both, a + b, 0.0), both

    def _array_union(self, matcher: ArrayUnionMatcher) -> Scores:
        """The part an ``ArrayUnionMatcher`` has read and the rest, as
        :func:`.accumulate.matcher_scores` takes them: it sums ``score * boost`` of each
        clause in turn into zeros, a part of the segment at a time, and matches the documents
        whose sum is positive; built, it has read its first part and moved its clauses past
        it."""
        summed = np.zeros(self.size)
        for clause in matcher._submatchers:
            found, _matched = self.scores(clause)
            summed = summed + found * matcher._boost
        start, offset, limit = matcher._docnum, matcher._offset, matcher._limit
        summed[start:limit] = np.asarray(matcher._a)[start - offset : limit - offset]
        matched = summed > 0
        return np.where(matched, summed, 0.0), matched

    def _filtered(self, matcher: Any) -> Scores:
        allowed, exclude = matcher._ids, matcher._exclude
        inside = np.zeros(self.size, dtype=bool)
        if type(allowed) is InRange:
            if not exclude and len(allowed) < matcher_size(matcher.child):
                # A date range's articles mostly lie together: read only their blocks.
                return self._spread_dict(matcher_scores(matcher, reader=self.reader))
            inside[np.asarray(allowed.in_date_order(), dtype=np.int64)] = True
        else:
            inside[np.fromiter(allowed, dtype=np.int64)] = True
        child, in_child = self.scores(matcher.child)
        kept = in_child & (~inside if exclude else inside)
        return self._boosted((np.where(kept, child, 0.0), kept), matcher.boost)

    @staticmethod
    def _boosted(found: Scores, boost: float) -> Scores:
        if boost == 1.0:
            return found
        scores, matched = found
        return scores * boost, matched


def _best(segments: list[tuple[int, Any, Any]], limit: int) -> tuple[list, int]:
    """The best ``limit`` of every segment's matches: the limit-th best score found among
    bare floats first, then ``(score, -docnum)`` pairs only for the documents reaching it
    (every tie at the threshold is among them)."""
    total = sum(int(np.count_nonzero(matched)) for _offset, _scores, matched in segments)
    if not total:
        return [], 0
    every = np.concatenate([scores[matched] for _offset, scores, matched in segments])
    cut = max(len(every) - limit, 0)
    threshold = np.partition(every, cut)[cut]
    reaching: list[tuple[float, int]] = []
    for offset, scores, matched in segments:
        docnums = np.flatnonzero(matched & (scores >= threshold))
        reaching.extend(zip(scores[docnums].tolist(), (-offset - docnums).tolist(), strict=True))
    best = heapq.nlargest(limit, reaching)
    return [(score, -negated) for score, negated in best], total
