"""Term-at-a-time scoring of Whoosh's matcher trees.

Whoosh scores a query document at a time: for every match, every matcher of the query's tree
is asked for its id, its score and its next match, several Python calls per posting and
level. Here the same tree, as Whoosh builds it for each segment, is evaluated a posting list
at a time: each term's postings are scored a block at a time (:mod:`.postings`) and the
tree's nodes combine the scores per document in dicts (a union adds the two scores where both
match, an intersection keeps and adds the common ones, a filter or an exclusion drops
documents). An intersection reads its smaller side first and the other side only where those
documents are, and a date range holding fewer articles than the query matches is read for
those articles only. Exact phrases are scored from their words' postings (:mod:`.phrases`);
the first page of a word's results reads less still (:mod:`.pruning`).

The results are Whoosh's, number for number: each posting's score is the same
:class:`.ranking.BM25Scorer` expression, the tree's sums are formed in the tree's
own order, and ties go to the lower document number as in Whoosh's collector. A tree with any
other kind of node (phrases among other clauses, constant-score ranges, fields without
lengths) makes :func:`segment_scores` return ``None``, and Whoosh's collector runs the query
instead.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from typing import Any

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

from newsindex.engines.whoosh.compile import (
    TERM_AT_A_TIME,
    DateFilterMatcher,
    ExcludingMatcher,
    InRange,
    LazyAndMaybeMatcher,
    LazyIntersectionMatcher,
    PhraseQuery,
)
from newsindex.engines.whoosh.phrases import phrase_scores, phrases_of
from newsindex.engines.whoosh.postings import Unsupported, posting_blocks, postings_of
from newsindex.engines.whoosh.ranking import BM25Scorer, NewsWeighting

__all__ = [
    "best_scored",
    "evaluable",
    "holds_phrase",
    "matcher_scores",
    "matcher_size",
    "scored_anyway",
    "scores_of",
    "segment_scores",
    "term_at_a_time_context",
]


_INTERSECTIONS = (IntersectionMatcher, LazyIntersectionMatcher)
_OPTIONALS = (AndMaybeMatcher, LazyAndMaybeMatcher)


def term_at_a_time_context(searcher: Any) -> Any:
    """The search context to build matchers in, as Whoosh's collector builds them but for
    reading term at a time (see .compile.And); None if the searcher does not
    rank with :class:`NewsWeighting`, which the scores here are the same numbers as."""
    weighting = searcher.weighting
    if not isinstance(weighting, NewsWeighting) or weighting.use_final:
        return None
    return searcher.context().set(**{TERM_AT_A_TIME: True})


def holds_phrase(query: wq.Query) -> bool:
    """Whether the query has a phrase: never a shape :mod:`.pruning` takes, and Whoosh's
    phrase matcher finds its first match as it is built (a quarter of a phrase query's time
    went into building one only to find that out)."""
    return any(isinstance(leaf, wq.Phrase) for leaf in query.leaves())


def segment_scores(
    searcher: Any, query: wq.Query, *, scored: bool = True
) -> list[tuple[int, Any, dict]] | None:
    """Every match of ``query`` with its score, per segment: ``(offset, reader, {docnum in
    the segment: score})``; ``None`` when the query's matchers are not all of the kinds
    evaluated here, or the searcher does not rank with :class:`NewsWeighting`. With
    ``scored`` false the scores may be any positive number (for date order, which needs the
    matches only: a word's postings are then read without computing their scores), unless
    :func:`scored_anyway` says otherwise."""
    context = term_at_a_time_context(searcher)
    if context is None:
        return None
    weighting = searcher.weighting
    phrases = phrases_of(query)
    segments = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if phrases:
            found = _phrases_scores(phrases, sub, weighting)
            if found is None:
                return None
        else:
            matcher = query.matcher(sub, context)
            if not evaluable(matcher):
                return None
            found = matcher_scores(matcher, scored=scored, reader=reader)
        segments.append((offset, reader, found))
    return segments


def scored_anyway(query: wq.Query) -> bool:
    """Whether :func:`segment_scores` gives ``query``'s matches their scores even when not
    asked to: an exact phrase's are (its matches are found from its words' postings, weights
    and all, and summing their scores is a small part of the work). Scoring a phrase's hits
    again afterwards would find every match once more."""
    return phrases_of(query) is not None


def scores_of(searcher: Any, query: wq.Query, docnums: Sequence[int]) -> dict[int, float] | None:
    """The scores of a few documents (by document number in the searcher), the same numbers
    :func:`segment_scores` gives, reading only the blocks that hold them (an exact phrase:
    every match, as its positions are checked for each); ``None`` as for
    :func:`segment_scores`."""
    context = term_at_a_time_context(searcher)
    if context is None:
        return None
    phrases = phrases_of(query)
    scores: dict[int, float] = {}
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        wanted = sorted(d - offset for d in docnums if offset <= d < end)
        if not wanted:
            continue
        if phrases:
            found = _phrases_scores(phrases, sub, searcher.weighting)
            if found is None:
                return None
            scores.update((offset + d, found[d]) for d in wanted if d in found)
            continue
        matcher = query.matcher(sub, context)
        if not evaluable(matcher):
            return None
        found = matcher_scores(matcher, wanted, reader=sub.reader())
        scores.update((offset + d, score) for d, score in found.items())
    return scores


def best_scored(segments: Sequence[tuple[int, Any, dict[int, float]]], limit: int) -> list:
    """The best ``limit`` ``(score, docnum)`` pairs of the documents scored per segment (as
    :func:`segment_scores` gives them), best first, ties to the lower document number.

    The limit-th best score is found first, over bare floats, then ``(score, -docnum)`` pairs
    are made only for the documents that reach it: every tie at the threshold is among them.
    """
    if limit <= 0 or not any(scores for _offset, _reader, scores in segments):
        return []
    everything = itertools.chain.from_iterable(scores.values() for _o, _r, scores in segments)
    threshold = heapq.nlargest(limit, everything)[-1]
    reaching: list[tuple[float, int]] = []
    for offset, _reader, scores in segments:
        docnums = itertools.compress(scores, map(threshold.__le__, scores.values()))
        reaching.extend((scores[docnum], -offset - docnum) for docnum in docnums)
    best = heapq.nlargest(limit, reaching)
    return [(score, -negated) for score, negated in best]


def _phrases_scores(
    phrases: list[PhraseQuery], sub: Any, weighting: Any
) -> dict[int, float] | None:
    """Every match of one or two exact phrases (see :func:`phrases_of`) in a segment, scored
    as a union of them; ``None`` where one cannot be evaluated here."""
    try:
        return _union([phrase_scores(phrase, sub, weighting) for phrase in phrases])
    except Unsupported:
        return None


def evaluable(matcher: Any) -> bool:
    """Whether every node of a matcher tree is of a kind term-at-a-time evaluation scores
    (here and in :mod:`.dense`), its terms ranked with :class:`BM25Scorer`."""
    if not matcher.is_active():
        return True
    kind = type(matcher)
    if kind is W3LeafMatcher:
        return isinstance(matcher.scorer, BM25Scorer)
    if kind in (WrappingMatcher, FilterMatcher, DateFilterMatcher):
        return evaluable(matcher.child)
    if kind in (UnionMatcher, *_OPTIONALS, *_INTERSECTIONS):
        return evaluable(matcher.a) and evaluable(matcher.b)
    if kind is ExcludingMatcher:  # the excluded side only gives document numbers
        return evaluable(matcher.a)
    if kind is ArrayUnionMatcher:
        return matcher._scored and all(evaluable(m) for m in matcher._submatchers)
    return False


def matcher_scores(
    matcher: Any,
    wanted: Sequence[int] | None = None,
    *,
    scored: bool = True,
    within: set[int] | None = None,
    reader: Any = None,
) -> dict[int, float]:
    """Score by document number for every match of ``matcher`` from where it stands; with
    ``wanted`` (ascending document numbers), for those of them that match only; with
    ``within`` (and no ``wanted``), for the matches in that set only, the others left
    unscored. With ``scored`` false, the scores of a posting list read whole are 1.0 instead
    (only which documents match counts: BM25 scores are positive). With the segment's
    ``reader``, a body word's blocks are found from its impacts (see :mod:`.postings`).

    A freshly built matcher may already have moved past documents it will not match (an
    intersection skips to its first common document): reading on from there loses none. An
    intersection reads its smaller side first and then only the other side's blocks that can
    hold one of those documents.
    """
    if not matcher.is_active() or (wanted is not None and not wanted):
        return {}
    kind = type(matcher)
    if within is not None and kind not in (W3LeafMatcher, WrappingMatcher, UnionMatcher):
        scores = matcher_scores(matcher, wanted, scored=scored, reader=reader)
        return {d: score for d, score in scores.items() if d in within}
    if kind is W3LeafMatcher:
        scorer = matcher.scorer
        if wanted is not None:
            docnums, weights = postings_of(matcher, wanted, reader=reader)
            return dict(zip(docnums, scorer.scores(docnums, weights), strict=True))
        found: dict[int, float] = {}
        for docnums, weights in posting_blocks(matcher, reader=reader):
            if within is not None:
                held = list(map(within.__contains__, docnums))
                docnums = list(itertools.compress(docnums, held))
                if not docnums:
                    continue
                weights = list(itertools.compress(weights, held))
            if scored:
                found.update(zip(docnums, scorer.scores(docnums, weights), strict=True))
            else:
                found.update(zip(docnums, itertools.repeat(1.0)))
        return found
    if kind is WrappingMatcher:  # a boost
        found = matcher_scores(matcher.child, wanted, scored=scored, within=within, reader=reader)
        return _boosted(found, matcher.boost)
    if kind in (FilterMatcher, DateFilterMatcher):  # deleted documents, a date range
        allowed, exclude = matcher._ids, matcher._exclude
        if type(allowed) is InRange and not exclude:
            # A date range holding fewer documents than the query matches: read only those.
            if len(allowed) < (matcher_size(matcher.child) if wanted is None else len(wanted)):
                inside = allowed.documents()
                if wanted is not None:
                    keep = set(wanted)
                    inside = [d for d in inside if d in keep]
                return _boosted(
                    matcher_scores(matcher.child, inside, scored=scored, reader=reader),
                    matcher.boost,
                )
            if wanted is None:  # read whole, but only the documents in range scored
                found = matcher_scores(
                    matcher.child, scored=scored, within=allowed.document_set(), reader=reader
                )
                return _boosted(found, matcher.boost)
        found = {
            d: s
            for d, s in matcher_scores(matcher.child, wanted, scored=scored, reader=reader).items()
            if (d in allowed) != exclude
        }
        return _boosted(found, matcher.boost)
    if kind is UnionMatcher:  # a.score() + b.score() where both match
        return _union(
            [
                matcher_scores(matcher.a, wanted, scored=scored, within=within, reader=reader),
                matcher_scores(matcher.b, wanted, scored=scored, within=within, reader=reader),
            ]
        )
    if kind in _INTERSECTIONS:  # a.score() + b.score(), where both match
        if wanted is None and matcher_size(matcher.b) < matcher_size(matcher.a):
            second = matcher_scores(matcher.b, scored=scored, reader=reader)
            first = matcher_scores(matcher.a, sorted(second), reader=reader)
        else:
            first = matcher_scores(matcher.a, wanted, scored=scored, reader=reader)
            second = matcher_scores(matcher.b, sorted(first), reader=reader)
        return {d: score + second[d] for d, score in first.items() if d in second}
    if kind in _OPTIONALS:  # a.score() + b.score() where b matches too, else a.score()
        found = matcher_scores(matcher.a, wanted, scored=scored, reader=reader)
        if not scored or not found:
            return found
        extra = matcher_scores(matcher.b, sorted(found), reader=reader)
        for docnum, score in extra.items():
            found[docnum] = found[docnum] + score
        return found
    if kind is ArrayUnionMatcher:  # Whoosh's union of many clauses in a small segment
        found = _array_union(matcher, reader)
        return found if wanted is None else {d: found[d] for d in wanted if d in found}
    if kind is ExcludingMatcher:
        found = matcher_scores(matcher.a, wanted, scored=scored, reader=reader)
        excluded = matcher.b
        if found and excluded.is_active():
            for docnum in excluded.all_ids():
                found.pop(docnum, None)
        return found
    raise Unsupported(matcher)


def matcher_size(matcher: Any) -> int:
    """About how many documents an evaluable matcher matches (for choosing what to read
    first: any estimate gives the same results)."""
    if not matcher.is_active():
        return 0
    kind = type(matcher)
    if kind is W3LeafMatcher:
        return matcher.scorer.size
    if kind in (WrappingMatcher, FilterMatcher, DateFilterMatcher):
        return matcher_size(matcher.child)
    if kind is UnionMatcher:
        return matcher_size(matcher.a) + matcher_size(matcher.b)
    if kind in _INTERSECTIONS:
        return min(matcher_size(matcher.a), matcher_size(matcher.b))
    if kind in (ExcludingMatcher, *_OPTIONALS):
        return matcher_size(matcher.a)
    if kind is ArrayUnionMatcher:
        return sum(matcher_size(m) for m in matcher._submatchers)
    raise Unsupported(matcher)


def _array_union(matcher: ArrayUnionMatcher, reader: Any) -> dict[int, float]:
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
        for docnum, score in matcher_scores(clause, reader=reader).items():
            rest[docnum] = rest.get(docnum, 0.0) + score * boost
    found.update((docnum, score) for docnum, score in rest.items() if score > 0)
    return found


def _union(parts: list[dict[int, float]]) -> dict[int, float]:
    """Documents in any part; where in several, their scores added in the parts' order."""
    if len(parts) == 2 and len(parts[1]) > len(parts[0]):
        # Two parts: the smaller added into the larger (a + b is b + a, to the last bit).
        parts = parts[::-1]
    combined = parts[0]
    for part in parts[1:]:
        for docnum, score in part.items():
            combined[docnum] = combined[docnum] + score if docnum in combined else score
    return combined


def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
    if boost == 1.0:
        return scores
    return {docnum: score * boost for docnum, score in scores.items()}
