"""The first page of a word's results without scoring, or reading, every posting.

For a word in several fields (the commonest query, with or without its exact forms) and the
first pages of results, the larger posting list is scored only in the blocks whose best
possible score can still reach the page (block bounds, from the word's impacts where the
segment has them, when the others are not even decoded; see :mod:`.codec.impacts`). In date
order, a word's larger posting list is read only in the blocks whose range of documents can
hold one of the first dates (articles mostly come in date order). In both, its matches are
counted from document frequencies (the body's, and the ``title_only`` field's for titles).
Every other query is scored whole, term at a time (in NumPy where it is installed,
:mod:`.dense`, else :mod:`.accumulate`), and the best documents come off a heap.

The results are those of scoring every match: the same documents, scores and ties.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
from collections.abc import Sequence
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import AndMaybeMatcher, FilterMatcher, UnionMatcher, WrappingMatcher

from newsindex.engines.whoosh import dense
from newsindex.engines.whoosh.accumulate import (
    best_scored,
    holds_phrase,
    matcher_scores,
    matcher_size,
    segment_scores,
    term_at_a_time_context,
)
from newsindex.engines.whoosh.codec.blocks import block_at, place
from newsindex.engines.whoosh.codec.columns import date_sort_keys, first_keys
from newsindex.engines.whoosh.codec.schema import TITLE_ONLY_FIELD
from newsindex.engines.whoosh.postings import impact_places, posting_blocks
from newsindex.engines.whoosh.ranking import PRIOR_CHUNK, BM25Scorer

__all__ = ["first_by_date", "top_documents"]


def top_documents(
    searcher: Any, query: wq.Query, limit: int, *, bounds: bool = True, numpy: bool = True
) -> tuple[list, int] | None:
    """The best ``limit`` ``(score, docnum)`` pairs, best first, and the number of matches.

    With ``bounds``, a word's blocks that cannot reach the page are left unscored; a query
    they do not take is scored whole, in NumPy (:mod:`.dense`) where it is installed and
    ``numpy`` is true. ``None`` as for :func:`.accumulate.segment_scores`.
    """
    bounded = _bounded_segment_scores(searcher, query, limit) if bounds else None
    if bounded is None and numpy:
        whole = dense.top_documents(searcher, query, limit)
        if whole is not None:
            return whole
    if bounded is None:
        every = segment_scores(searcher, query)
        if every is None:
            return None
        bounded = every, sum(len(scores) for _offset, _reader, scores in every)
    found, total = bounded
    return best_scored(found, limit), total


_BOUNDED_UP_TO = 100
"""Pages of results up to this many are found with block bounds. Past it the limit-th best
score is too low for the bounds to leave many blocks out: on Wikinews 16x, page 50 (500
results) took 14% longer with them (median over 50 words); measured again at 500 with the
impacts' bounds, 17 of its 31 words were slower and 14 faster."""


_BOUND_SLACK = 1 + 1e-9
"""A block's best possible score, as the scorer computes it, is widened by this factor before
it is compared: it is the same formula in another order of operations."""


def _bounded_segment_scores(
    searcher: Any, query: wq.Query, limit: int
) -> tuple[list[tuple[int, Any, dict]], int] | None:
    """For a word in several fields (a union of two term matchers, the commonest query): the
    scores of every document that can be among the best ``limit``, per segment as
    :func:`segment_scores` has them, and the number of matches.

    The smaller posting list is scored whole. The larger one is scored a block at a time,
    the blocks of every segment with the best possible score first, only while that can
    still reach the ``limit``-th best score found so far; in a block whose own bound falls
    short, only the documents whose smaller-side score makes up the difference. Where the
    segment has the body word's impacts (:mod:`.codec.impacts`) and the matches are
    counted from document frequencies, the bounds come from those, and a block is decoded
    only when it is scored; else the bounds come from the block headers (the block's
    highest weight and shortest length, which mostly belong to different documents), and
    every block is decoded, which counts its documents. A document left unscored scores
    below the best ``limit`` (its score in the dicts, if it has one, is its smaller-side
    score only). The word may carry optional evidence that changes no match (its exact forms,
    :mod:`.exact`: an ``AndMaybe`` of term matchers): every bound is then raised by the most
    it can add, and it is added to the documents scored. ``None`` for any other query.
    """
    context = term_at_a_time_context(searcher)
    if context is None or not 0 < limit <= _BOUNDED_UP_TO or holds_phrase(query):
        return None
    plans = []
    slack = 0.0  # the best score the optional side (a word's exact forms) can add
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        optional = None
        if isinstance(matcher, AndMaybeMatcher):
            optional, matcher = matcher.b, matcher.a
            most = _best_score(optional)
            if most is None:
                return None
            slack = max(slack, most * _BOUND_SLACK)
        sides = _two_terms(matcher, lone=False)
        # A word no title of the segment has: bounded by impacts only (header bounds cost
        # more than they save where no title scores tell the blocks apart).
        lone = sides is None
        if lone:
            sides = _two_terms(matcher)
            if sides is None:
                return None
        plans.append((offset, sub.reader(), sides, lone, optional))
    segments: list[tuple[int, Any, dict]] = []
    # The best final scores found (each a different document's), and those found since.
    best: list[float] = []
    since: list[float] = []
    threshold = 0.0  # the limit-th best
    total = 0
    weighting = searcher.weighting
    # Every segment's blocks, best bound first: a segment's weak blocks wait for the others'.
    blocks: list[tuple[float, float, int, tuple]] = []
    leaves: list[tuple[W3LeafMatcher, float]] = []  # the larger side's, per segment
    optionals: list[Any] = []  # per segment scored
    for offset, reader, sides, lone, optional in plans:
        if not sides:
            continue
        optionals.append(optional)
        smaller, larger = sorted(sides, key=lambda side: matcher_size(side[0]))
        found = matcher_scores(smaller[0], reader=reader) if smaller is not larger else {}
        leaf, boost = larger[1], larger[2]
        number = len(segments)
        segments.append((offset, reader, found))
        leaves.append((leaf, boost))
        count = _match_count(reader, sides)
        bounded = None if count is None else _impact_blocks(reader, leaf, boost, found, weighting)
        if bounded is None and lone:
            return None
        if bounded is not None and count is not None:
            total += count
            ranges, after = bounded
            blocks.extend((both, body, number, block) for both, body, block in ranges)
            # Final already: the title scores of the documents after the body's last block.
            since.extend(found[d] for d in after)
            continue
        on_both: set[int] = set()
        read = 0
        for docnums, weights in posting_blocks(leaf):  # each block's header read: its bound
            bound = leaf.scorer.block_quality(leaf) * boost * _BOUND_SLACK
            both: Sequence[int] = _found_at(docnums, found)
            if both:
                on_both.update([docnums[i] for i in both])
                bound_both = bound + max([found[docnums[i]] for i in both])
            else:
                bound_both = bound
            blocks.append((bound_both, bound, number, (docnums, weights, both)))
            read += len(docnums)
        total += len(found) + read - len(on_both)
        # Final already: the scores of the smaller side's documents not on the other side.
        since.extend([v for d, v in found.items() if d not in on_both])
    blocks.sort(key=lambda block: -block[0])
    for bound_both, bound, number, block in blocks:
        if len(since) >= limit:  # raise the bar before each block: most are never read
            best = heapq.nlargest(limit, itertools.chain(best, since))
            since = []
            threshold = best[-1] if len(best) == limit else 0.0
        if bound_both + slack < threshold:
            break  # this block and every later one: no document can reach the best
        found = segments[number][2]
        leaf, boost = leaves[number]
        if len(block) == 2:  # bounded by its impacts: read it now
            where, titled = block
            docnums, weights = block_at(leaf, where)
            both = _found_at(docnums, found)
            if len(both) < len(titled):  # the title-only documents of its range: final now
                inside = set(docnums)
                since.extend(found[d] for d in titled if d not in inside)
        else:
            docnums, weights, both = block
        if bound + slack < threshold:  # only documents scoring enough on the other side can
            need = threshold - bound - slack
            both = [i for i in both if found[docnums[i]] >= need]
            if not both:
                continue
            docnums = [docnums[i] for i in both]
            weights = [weights[i] for i in both]
            both = range(len(both))
        scores = leaf.scorer.scores(docnums, weights)
        if boost != 1.0:
            scores = [score * boost for score in scores]
        for i in both:  # on both sides: the two scores added (in either order, the same)
            scores[i] = scores[i] + found[docnums[i]]
        found.update(zip(docnums, scores, strict=True))
        since.extend(scores)
    if slack:
        # Only a document the optional side can lift to the limit-th best needs its score.
        best = heapq.nlargest(limit, itertools.chain(best, since))
        floor = best[-1] - slack if len(best) == limit else 0.0
        for (_offset, reader, found), optional in zip(segments, optionals, strict=True):
            wanted = sorted(docnum for docnum, score in found.items() if score >= floor)
            if optional is None or not wanted:
                continue
            for docnum, score in matcher_scores(optional, wanted, reader=reader).items():
                found[docnum] = found[docnum] + score
    return segments, total


def _best_score(matcher: Any) -> float | None:
    """The best score a union of (boosted) term matchers can give a document (None: another
    tree)."""
    if not matcher.is_active():
        return 0.0
    kind = type(matcher)
    if kind is W3LeafMatcher:
        return matcher.scorer.max_quality() if isinstance(matcher.scorer, BM25Scorer) else None
    if kind in (WrappingMatcher, FilterMatcher):
        inner = _best_score(matcher.child)
        return None if inner is None else inner * (matcher.boost if kind is WrappingMatcher else 1)
    if kind is UnionMatcher:
        sides = [_best_score(matcher.a), _best_score(matcher.b)]
        return None if None in sides else sum(sides)  # type: ignore[arg-type]
    return None


def _found_at(docnums: Sequence[int], found: dict[int, float]) -> list[int]:
    """Where in a block (by index) are the documents ``found`` has (on the other side too)."""
    return list(itertools.compress(range(len(docnums)), map(found.__contains__, docnums)))


def _impact_blocks(
    reader: Any, leaf: W3LeafMatcher, boost: float, found: dict[int, float], weighting: Any
) -> tuple[list[tuple[float, float, tuple]], list[int]] | None:
    """Block bounds from a body word's impacts (see :mod:`.codec.impacts`):
    ``(bound with the title scores in ``found``, bound of the body score, (place, the title
    documents in its range))`` per block, and the title documents after the last block's
    end; ``None`` as for :func:`impact_places`. No block header is read."""
    impacts = impact_places(reader, leaf)
    if impacts is None:
        return None
    (lasts, most, least, most_titled, least_titled, *_layouts), places = impacts
    scorer = leaf.scorer
    alpha = scorer.k1 * (1 - scorer.b)
    beta = scorer.k1 * scorer.b / scorer.avgfl
    top = scorer.idf * scorer.k1p1 * boost * _BOUND_SLACK
    ceilings = weighting.prior_ceilings(reader) if scorer.priors is not None else None

    def bound(heaviest: float, ratio: float) -> float:
        """A group's best body score before the recency factor (0 for an empty group)."""
        return top / (1 + alpha / heaviest + beta * ratio) if heaviest else 0.0

    titled = sorted(found)
    blocks = []
    first = taken = 0  # the block's range starts at document first
    for j, last in enumerate(lasts):
        end = bisect.bisect_right(titled, last, taken)
        inside = titled[taken:end]
        title_best = max([found[d] for d in inside]) if inside else 0.0
        taken = end
        factor = max(ceilings[first // PRIOR_CHUNK : last // PRIOR_CHUNK + 1]) if ceilings else 1.0
        untitled = bound(most[j], least[j]) * factor
        with_title = bound(most_titled[j], least_titled[j]) * factor
        body = max(untitled, with_title)
        both = max(untitled, with_title + title_best * _BOUND_SLACK)
        blocks.append((both, body, (places[j], inside)))
        first = last + 1
    return blocks, titled[taken:]


def first_by_date(
    searcher: Any, query: wq.Query, limit: int, *, newest_first: bool
) -> tuple[list[tuple[int, Any, dict]], int] | None:
    """For a word in title and body or one term: every match that can be among the first
    ``limit`` in date order (newest or oldest first, undated last), per segment as
    :func:`segment_scores` has them unscored, and the number of matches; ``None`` as for
    :func:`_bounded_segment_scores`.

    The smaller posting list is read whole. The larger one's blocks are read in the order of
    the first date key among the documents in their range (:func:`first_keys`), only
    while that can still reach the first ``limit`` found so far. Articles are mostly added in
    date order, so the blocks holding the newest (or oldest) ones come first and few others
    are read; in any order the answer is the same.
    """
    if limit <= 0:
        return None
    planned = _word_plans(searcher, query)
    if planned is None:
        return None
    plans, total = planned
    segments: list[tuple[int, Any, dict]] = []
    first: list[tuple[int, int]] = []  # the first limit (key, docnum) found, in order
    for offset, reader, sides in plans:
        if not sides:
            continue
        keys = date_sort_keys(reader, newest_first=newest_first)
        smaller, larger = sorted(sides, key=lambda side: matcher_size(side[0]))
        found = (
            matcher_scores(smaller[0], scored=False, reader=reader) if smaller is not larger else {}
        )
        first = _first_keys(first, found, keys, offset, limit)
        leaf = larger[1]
        for least, where in sorted(_block_ranges(leaf, reader, newest_first), key=_least):
            if len(first) == limit and least > first[-1][0]:
                break  # no document of this block or a later one comes before those found
            docnums = [d for d in block_at(leaf, where)[0] if d not in found]
            found.update(dict.fromkeys(docnums, 1.0))
            first = _first_keys(first, docnums, keys, offset, limit)
        segments.append((offset, reader, found))
    return segments, total


def _first_keys(
    first: list[tuple[int, int]], docnums, keys: Sequence[int], offset: int, limit: int
) -> list[tuple[int, int]]:
    """The first ``limit`` ``(key, docnum)`` of ``first`` and ``docnums`` (of a segment at
    ``offset``), in order; only the documents that can reach ``first`` are paired."""
    if len(first) == limit:
        last = first[-1][0]
        docnums = [d for d in docnums if keys[d] <= last]
        if not docnums:
            return first
    keyed = [(keys[d], offset + d) for d in docnums]
    return heapq.nsmallest(limit, itertools.chain(first, keyed))


def _word_plans(searcher: Any, query: wq.Query) -> tuple[list, int] | None:
    """``(offset, reader, sides)`` per segment for a word in title and body or one term (see
    :func:`_two_terms`), and the number of matches; ``None`` for other queries, or where the
    number is not known from document frequencies (:func:`_match_count`)."""
    context = term_at_a_time_context(searcher)
    if context is None or holds_phrase(query):
        return None
    plans = []
    total = 0
    for sub, offset in searcher.leaf_searchers():
        sides = _two_terms(query.matcher(sub, context))
        if sides is None:
            return None
        reader = sub.reader()
        count = _match_count(reader, sides)
        if count is None:
            return None
        total += count
        plans.append((offset, reader, sides))
    return plans, total


def _block_ranges(leaf: Any, reader: Any, newest_first: bool) -> list[tuple[int, tuple]]:
    """``(first date sort key in the block's range, place)`` for each block of a posting
    list: from a body word's impacts where it has them (:func:`impact_places`), else from
    the block headers, which leaves ``leaf`` at its last block."""
    impacts = impact_places(reader, leaf)
    if impacts is not None:
        (lasts, *_figures), places = impacts
    else:
        lasts, places = [], []
        while True:
            lasts.append(leaf._maxid)
            places.append(place(leaf))
            if leaf._lastblock:
                break
            leaf._goto(leaf._nextoffset)
    return list(zip(first_keys(reader, lasts, newest_first=newest_first), places, strict=True))


_least = operator.itemgetter(0)


def _match_count(reader: Any, sides: list[tuple[Any, Any, float]]) -> int | None:
    """How many documents of the segment ``sides`` (see :func:`_two_terms`) match, from
    document frequencies: a term's own; for a word in title and body, the body's plus the
    ``title_only`` field's. ``None`` for two other terms, an index without that field or a
    segment with deleted documents (which the frequencies still count)."""
    if not sides:
        return 0
    if reader.has_deletions():
        return None
    (_m, one, _b), (_n, other, _c) = sides
    if one is other:
        return one.scorer.size
    (field, text), (other_field, other_text) = one._term, other._term
    if text != other_text or {field, other_field} != {"title", "body"}:
        return None
    if TITLE_ONLY_FIELD not in reader.schema:
        return None
    body = one if field == "body" else other
    return body.scorer.size + reader.doc_frequency(TITLE_ONLY_FIELD, text)


def _two_terms(matcher: Any, *, lone: bool = True) -> list[tuple[Any, Any, float]] | None:
    """``(matcher, term matcher, boost)`` for each side of a union of two (possibly boosted)
    term matchers, or of a lone one (twice); ``[]`` for no match; ``None`` for any other
    tree. With ``lone``, a side of a union that matches nothing (a word no title of the
    segment has) is left out; else such a union is another tree."""
    if not matcher.is_active():
        return []
    if type(matcher) is UnionMatcher:
        active = [side for side in (matcher.a, matcher.b) if side.is_active()]
        if len(active) == 2 or not lone:
            sides = [_boosted_term(side) for side in (matcher.a, matcher.b)]
            terms = [side for side in sides if side is not None]
            return terms if len(terms) == 2 else None
        matcher = active[0]
    side = _boosted_term(matcher)
    return None if side is None else [side, side]


def _boosted_term(matcher: Any) -> tuple[Any, Any, float] | None:
    leaf, boost = matcher, 1.0
    if type(matcher) is WrappingMatcher:
        leaf, boost = matcher.child, matcher.boost
    if type(leaf) is not W3LeafMatcher or not isinstance(leaf.scorer, BM25Scorer):
        return None
    if not leaf.is_active():
        return None
    return matcher, leaf, boost
