"""Term-at-a-time scoring of Whoosh's matcher trees.

Whoosh scores a query document at a time: for every match, every matcher of the query's tree
is asked for its id, its score and its next match, several Python calls per posting and
level. Here the same tree, as Whoosh builds it for each segment, is evaluated a posting list
at a time: each term's postings are scored a block at a time and the tree's nodes combine the
scores per document in dicts (a union adds the two scores where both match, an intersection
keeps and adds the common ones, a filter or an exclusion drops documents). An intersection
reads its smaller side first and the other side only where those documents are, and a date
range holding fewer articles than the query matches is read for those articles only. The best
documents come off a heap. For a word in several fields (the commonest query) and the first
pages of results, the larger posting list is scored only in the blocks whose best possible
score can still reach the page (block bounds, from the word's impacts where the segment has
them, when the others are not even decoded; see :mod:`newsindex.impacts`). In date order,
a word's larger posting list is read only in the blocks whose range of documents can hold
one of the first dates (articles mostly come in date order), and its matches are counted
from document frequencies (the body's, and the ``title_only`` field's for titles).
An exact phrase on its own (the commonest phrase query) is evaluated from its words' posting
lists directly, rarest word first, checking the words' places after each: Whoosh's phrase
matcher does its most costly work, finding the first match, when it is built.

The results are Whoosh's, number for number: each posting's score is the same
:class:`~newsindex.ranking.BM25Scorer` expression, the tree's sums are formed in the tree's
own order, and ties go to the lower document number as in Whoosh's collector. A tree with any
other kind of node (phrases among other clauses, constant-score ranges, fields without
lengths) makes :func:`top_documents` return ``None``, and Whoosh's collector runs the query
instead.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
import pickle
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

from newsindex.columns import date_sort_keys, first_keys
from newsindex.impacts import IMPACTS_FIELD, read_impacts
from newsindex.query.blocks import block as read_block
from newsindex.query.blocks import block_at, place
from newsindex.query.blocks import holds as holds_by_headers
from newsindex.query.compile import (
    TERM_AT_A_TIME,
    DateFilterMatcher,
    ExcludingMatcher,
    InRange,
    LazyIntersectionMatcher,
    Phrase,
    phrase_starts,
)
from newsindex.ranking import PRIOR_CHUNK, BM25Scorer, NewsWeighting
from newsindex.schema import TITLE_ONLY_FIELD

__all__ = [
    "first_by_date",
    "holds",
    "scored_anyway",
    "scores_of",
    "segment_scores",
    "top_documents",
]


_INTERSECTIONS = (IntersectionMatcher, LazyIntersectionMatcher)


class _Unsupported(Exception):
    """The matcher tree has a node this module does not evaluate."""


def top_documents(searcher: Any, query: wq.Query, limit: int) -> tuple[list, int] | None:
    """The best ``limit`` ``(score, docnum)`` pairs, best first, and the number of matches.

    ``None`` when the query's matchers are not all of the kinds evaluated here, or the searcher
    does not rank with :class:`NewsWeighting`.
    """
    bounded = _bounded_segment_scores(searcher, query, limit)
    if bounded is not None:
        found, total = bounded
    else:
        found = segment_scores(searcher, query)
        if found is None:
            return None
        total = sum(len(scores) for _offset, _reader, scores in found)
    if not total or limit <= 0:
        return [], total
    # The limit-th best score first (over bare floats), then (score, -docnum) pairs only for
    # the documents that reach it: every tie at the threshold is among them.
    everything = itertools.chain.from_iterable(scores.values() for _o, _r, scores in found)
    threshold = heapq.nlargest(limit, everything)[-1]
    reaching = []
    for offset, _reader, scores in found:
        docnums = itertools.compress(scores, map(threshold.__le__, scores.values()))
        reaching.extend((scores[docnum], -offset - docnum) for docnum in docnums)
    best = heapq.nlargest(limit, reaching)
    return [(score, -negated) for score, negated in best], total


_BOUNDED_UP_TO = 100
"""Pages of results up to this many are found with block bounds. Past it the limit-th best
score is too low for the bounds to leave many blocks out: on Wikinews 16x, page 50 (500
results) took 14% longer with them (median over 50 words)."""

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
    segment has the body word's impacts (:mod:`newsindex.impacts`) and the matches are
    counted from document frequencies, the bounds come from those, and a block is decoded
    only when it is scored; else the bounds come from the block headers (the block's
    highest weight and shortest length, which mostly belong to different documents), and
    every block is decoded, which counts its documents. A document left unscored scores
    below the best ``limit`` (its score in the dicts, if it has one, is its smaller-side
    score only). ``None`` for any other query.
    """
    context = _term_at_a_time_context(searcher)
    if context is None or not 0 < limit <= _BOUNDED_UP_TO or _holds_phrase(query):
        return None
    plans = []
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        sides = _two_terms(matcher, lone=False)
        # A word no title of the segment has: bounded by impacts only (header bounds cost
        # more than they save where no title scores tell the blocks apart).
        lone = sides is None
        if lone:
            sides = _two_terms(matcher)
            if sides is None:
                return None
        plans.append((offset, sub.reader(), sides, lone))
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
    for offset, reader, sides, lone in plans:
        if not sides:
            continue
        smaller, larger = sorted(sides, key=lambda side: _size(side[0]))
        found = _scores(smaller[0], reader=reader) if smaller is not larger else {}
        leaf, boost = larger[1], larger[2]
        number = len(segments)
        segments.append((offset, reader, found))
        leaves.append((leaf, boost))
        count = _match_count(reader, sides)
        bounded = None if count is None else _impact_blocks(reader, leaf, boost, found, weighting)
        if bounded is None and lone:
            return None
        if bounded is not None:
            total += count
            ranges, after = bounded
            blocks.extend((both, body, number, block) for both, body, block in ranges)
            # Final already: the title scores of the documents after the body's last block.
            since.extend(found[d] for d in after)
            continue
        on_both: set[int] = set()
        read = 0
        for docnums, weights in _blocks(leaf):  # each block's header read: its bound
            bound = leaf.scorer.block_quality(leaf) * boost * _BOUND_SLACK
            both = _found_at(docnums, found)
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
        if bound_both < threshold:
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
        if bound < threshold:  # only documents scoring enough on the other side can
            need = threshold - bound
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
    return segments, total


def _found_at(docnums: Sequence[int], found: dict[int, float]) -> list[int]:
    """Where in a block (by index) are the documents ``found`` has (on the other side too)."""
    return list(itertools.compress(range(len(docnums)), map(found.__contains__, docnums)))


def _impact_blocks(
    reader: Any, leaf: W3LeafMatcher, boost: float, found: dict[int, float], weighting: Any
) -> tuple[list[tuple[float, float, tuple]], list[int]] | None:
    """Block bounds from a body word's impacts (see :mod:`newsindex.impacts`):
    ``(bound with the title scores in ``found``, bound of the body score, (place, the title
    documents in its range))`` per block, and the title documents after the last block's
    end; ``None`` as for :func:`_impact_places`. No block header is read."""
    impacts = _impact_places(reader, leaf)
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


def _impact_places(reader: Any, leaf: W3LeafMatcher) -> tuple[tuple, list[tuple]] | None:
    """A body word's impacts (see :mod:`newsindex.impacts`) and where each of its blocks is
    (as :func:`~newsindex.query.blocks.place` has it), from the layouts stored with them: no
    block header is read. ``None`` if the segment has no impacts for the word, if their
    blocks do not fill its posting list, or if ``leaf`` has been read from already."""
    return None if leaf._i else _layout_places(reader, leaf)


def _layout_places(reader: Any, leaf: W3LeafMatcher) -> tuple[tuple, list[tuple]] | None:
    """:func:`_impact_places` wherever ``leaf`` stands."""
    fieldname, text = leaf._term
    if fieldname != IMPACTS_FIELD:
        return None
    figures = read_impacts(reader, text if isinstance(text, bytes) else text.encode("utf-8"))
    if figures is None:
        return None
    sizes, heads, levels, counts = figures[5:]
    start = leaf._baseoffset  # the first block's length prefix
    length = leaf._length  # Whoosh's term table reads it back as a 1-tuple
    if start + sum(sizes) != leaf._startoffset + (length[0] if type(length) is tuple else length):
        return None
    places = []
    for size, head, level, count in zip(sizes, heads, levels, counts, strict=True):
        places.append((start + 4 + head, start + size, level, count))
        start += size
    return figures, places


def _places_from(reader: Any, leaf: W3LeafMatcher) -> tuple[Sequence[int], list[tuple]] | None:
    """The last ids and places of a body word's blocks from the one ``leaf`` stands in on,
    from the word's impacts (see :func:`_impact_places`); ``None`` without a reader or
    impacts."""
    located = None if reader is None else _layout_places(reader, leaf)
    if located is None:
        return None
    (lasts, *_figures), places = located
    j = bisect.bisect_left(lasts, leaf._maxid)
    if j == len(lasts) or places[j][0] != leaf._dataoffset:
        return None
    return lasts[j:], places[j:]


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
        smaller, larger = sorted(sides, key=lambda side: _size(side[0]))
        found = _scores(smaller[0], scored=False, reader=reader) if smaller is not larger else {}
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
    context = _term_at_a_time_context(searcher)
    if context is None or _holds_phrase(query):
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
    list: from a body word's impacts where it has them (:func:`_impact_places`), else from
    the block headers, which leaves ``leaf`` at its last block."""
    impacts = _impact_places(reader, leaf)
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


def holds(reader: Any, leaf: W3LeafMatcher, docnum: int) -> bool:
    """Whether a fresh Whoosh 3 posting list of a segment holds ``docnum``: only the block
    whose range has it is read, found from the word's impacts (:func:`_impact_places`) where
    it has them, else from the block headers before it."""
    impacts = _impact_places(reader, leaf)
    if impacts is None:
        return holds_by_headers(leaf, docnum)
    (lasts, *_figures), places = impacts
    j = bisect.bisect_left(lasts, docnum)
    return j < len(lasts) and docnum in block_at(leaf, places[j])[0]


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


def _term_at_a_time_context(searcher: Any) -> Any:
    """The search context to build matchers in, as Whoosh's collector builds them but for
    reading term at a time (see newsindex.query.compile.And); None if the searcher does not
    rank with :class:`NewsWeighting`, which the scores here are the same numbers as."""
    weighting = searcher.weighting
    if not isinstance(weighting, NewsWeighting) or weighting.use_final:
        return None
    return searcher.context().set(**{TERM_AT_A_TIME: True})


def _holds_phrase(query: wq.Query) -> bool:
    """Whether the query has a phrase: never the shape :func:`_two_terms` takes, and Whoosh's
    phrase matcher finds its first match as it is built (a quarter of a phrase query's time
    went into building one only to find that out)."""
    return any(isinstance(leaf, wq.Phrase) for leaf in query.leaves())


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
            return None if None in sides else sides
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


def segment_scores(
    searcher: Any, query: wq.Query, *, scored: bool = True
) -> list[tuple[int, Any, dict]] | None:
    """Every match of ``query`` with its score, per segment: ``(offset, reader, {docnum in
    the segment: score})``; ``None`` as for :func:`top_documents`. With ``scored`` false the
    scores may be any positive number (for date order, which needs the matches only: a
    word's postings are then read without computing their scores), unless
    :func:`scored_anyway` says otherwise."""
    context = _term_at_a_time_context(searcher)
    if context is None:
        return None
    weighting = searcher.weighting
    phrases = _phrases(query)
    segments = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if phrases:
            found = _phrases_scores(phrases, sub, weighting)
            if found is None:
                return None
        else:
            matcher = query.matcher(sub, context)
            if not _evaluable(matcher):
                return None
            found = _scores(matcher, scored=scored, reader=reader)
        segments.append((offset, reader, found))
    return segments


def scored_anyway(query: wq.Query) -> bool:
    """Whether :func:`segment_scores` gives ``query``'s matches their scores even when not
    asked to: an exact phrase's are (its matches are found from its words' postings, weights
    and all, and summing their scores is a small part of the work). Scoring a phrase's hits
    again afterwards would find every match once more."""
    return _phrases(query) is not None


def scores_of(searcher: Any, query: wq.Query, docnums: Sequence[int]) -> dict[int, float] | None:
    """The scores of a few documents (by document number in the searcher), the same numbers
    :func:`segment_scores` gives, reading only the blocks that hold them (an exact phrase:
    every match, as its positions are checked for each); ``None`` as for
    :func:`top_documents`."""
    context = _term_at_a_time_context(searcher)
    if context is None:
        return None
    phrases = _phrases(query)
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
        if not _evaluable(matcher):
            return None
        found = _scores(matcher, wanted, reader=sub.reader())
        scores.update((offset + d, score) for d, score in found.items())
    return scores


def _phrases_scores(phrases: list[Phrase], sub: Any, weighting: Any) -> dict[int, float] | None:
    """Every match of one or two exact phrases (see :func:`_phrases`) in a segment, scored
    as a union of them; ``None`` where one cannot be evaluated here."""
    try:
        return _union([_phrase_scores(phrase, sub, weighting) for phrase in phrases])
    except _Unsupported:
        return None


def _evaluable(matcher: Any) -> bool:
    if not matcher.is_active():
        return True
    kind = type(matcher)
    if kind is W3LeafMatcher:
        return isinstance(matcher.scorer, BM25Scorer)
    if kind in (WrappingMatcher, FilterMatcher, DateFilterMatcher):
        return _evaluable(matcher.child)
    if kind in (UnionMatcher, *_INTERSECTIONS):
        return _evaluable(matcher.a) and _evaluable(matcher.b)
    if kind is ExcludingMatcher:  # the excluded side only gives document numbers
        return _evaluable(matcher.a)
    if kind is ArrayUnionMatcher:
        return matcher._scored and all(_evaluable(m) for m in matcher._submatchers)
    return False


def _scores(
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
    ``reader``, a body word's blocks are found from its impacts (:func:`_wanted_blocks`).

    A freshly built matcher may already have moved past documents it will not match (an
    intersection skips to its first common document): reading on from there loses none. An
    intersection reads its smaller side first and then only the other side's blocks that can
    hold one of those documents.
    """
    if not matcher.is_active() or (wanted is not None and not wanted):
        return {}
    kind = type(matcher)
    if within is not None and kind not in (W3LeafMatcher, WrappingMatcher, UnionMatcher):
        found = _scores(matcher, wanted, scored=scored, reader=reader)
        return {d: score for d, score in found.items() if d in within}
    if kind is W3LeafMatcher:
        scorer = matcher.scorer
        if wanted is not None:
            docnums, weights = _postings_of(matcher, wanted, reader=reader)
            return dict(zip(docnums, scorer.scores(docnums, weights), strict=True))
        found: dict[int, float] = {}
        for docnums, weights in _blocks(matcher, reader=reader):
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
        found = _scores(matcher.child, wanted, scored=scored, within=within, reader=reader)
        return _boosted(found, matcher.boost)
    if kind in (FilterMatcher, DateFilterMatcher):  # deleted documents, a date range
        allowed, exclude = matcher._ids, matcher._exclude
        if type(allowed) is InRange and not exclude:
            # A date range holding fewer documents than the query matches: read only those.
            if len(allowed) < (_size(matcher.child) if wanted is None else len(wanted)):
                inside = allowed.documents()
                if wanted is not None:
                    keep = set(wanted)
                    inside = [d for d in inside if d in keep]
                return _boosted(
                    _scores(matcher.child, inside, scored=scored, reader=reader), matcher.boost
                )
            if wanted is None:  # read whole, but only the documents in range scored
                found = _scores(
                    matcher.child, scored=scored, within=allowed.document_set(), reader=reader
                )
                return _boosted(found, matcher.boost)
        found = {
            d: s
            for d, s in _scores(matcher.child, wanted, scored=scored, reader=reader).items()
            if (d in allowed) != exclude
        }
        return _boosted(found, matcher.boost)
    if kind is UnionMatcher:  # a.score() + b.score() where both match
        return _union(
            [
                _scores(matcher.a, wanted, scored=scored, within=within, reader=reader),
                _scores(matcher.b, wanted, scored=scored, within=within, reader=reader),
            ]
        )
    if kind in _INTERSECTIONS:  # a.score() + b.score(), where both match
        if wanted is None and _size(matcher.b) < _size(matcher.a):
            second = _scores(matcher.b, scored=scored, reader=reader)
            first = _scores(matcher.a, sorted(second), reader=reader)
        else:
            first = _scores(matcher.a, wanted, scored=scored, reader=reader)
            second = _scores(matcher.b, sorted(first), reader=reader)
        return {d: score + second[d] for d, score in first.items() if d in second}
    if kind is ArrayUnionMatcher:  # Whoosh's union of many clauses in a small segment
        found = _array_union(matcher, reader)
        return found if wanted is None else {d: found[d] for d in wanted if d in found}
    if kind is ExcludingMatcher:
        found = _scores(matcher.a, wanted, scored=scored, reader=reader)
        excluded = matcher.b
        if found and excluded.is_active():
            for docnum in excluded.all_ids():
                found.pop(docnum, None)
        return found
    raise _Unsupported(matcher)


def _size(matcher: Any) -> int:
    """About how many documents an evaluable matcher matches (for choosing what to read
    first: any estimate gives the same results)."""
    if not matcher.is_active():
        return 0
    kind = type(matcher)
    if kind is W3LeafMatcher:
        return matcher.scorer.size
    if kind in (WrappingMatcher, FilterMatcher, DateFilterMatcher):
        return _size(matcher.child)
    if kind is UnionMatcher:
        return _size(matcher.a) + _size(matcher.b)
    if kind in _INTERSECTIONS:
        return min(_size(matcher.a), _size(matcher.b))
    if kind is ExcludingMatcher:
        return _size(matcher.a)
    if kind is ArrayUnionMatcher:
        return sum(_size(m) for m in matcher._submatchers)
    raise _Unsupported(matcher)


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
        for docnum, score in _scores(clause, reader=reader).items():
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


def _blocks(matcher: W3LeafMatcher, *, values: bool = False, reader: Any = None) -> Iterator[tuple]:
    """A Whoosh 3 posting list's blocks from where the matcher stands (see
    :func:`newsindex.query.blocks.block`). With the segment's ``reader``, a body word's blocks
    after the first are found from its impacts (:func:`_places_from`), no header read; the
    matcher's block figures then stay those of its first block."""
    if not matcher.is_active():
        return
    located = _places_from(reader, matcher)
    start = matcher._i
    block = read_block(matcher, values=values)
    yield tuple(part[start:] for part in block) if start else block
    if located is not None:
        for where in located[1][1:]:
            yield block_at(matcher, where, values=values)
        matcher._atend = True
        return
    matcher._next_block()
    while matcher.is_active():
        yield read_block(matcher, values=values)
        matcher._next_block()


def _wanted_blocks(
    matcher: W3LeafMatcher, wanted: Sequence[int], first: int, values: bool, reader: Any
) -> Iterator[tuple[int, int, tuple]]:
    """``(first, end, block)`` for each block, from where the matcher stands, whose range of
    ids holds ``wanted[first:end]``: found from the word's impacts with the segment's
    ``reader`` (:func:`_places_from`), else by reading the block headers in between."""
    located = _places_from(reader, matcher)
    if located is not None:
        lasts, places = located
        j = 0
        while first < len(wanted):
            j = bisect.bisect_left(lasts, wanted[first], j)
            if j == len(lasts):
                return
            end = bisect.bisect_right(wanted, lasts[j], first)
            if j:
                block = block_at(matcher, places[j], values=values)
            else:
                block = read_block(matcher, values=values)
            yield first, end, block
            first = end
            j += 1
        return
    while matcher.is_active() and first < len(wanted):
        end = bisect.bisect_right(wanted, matcher._maxid, first)
        if end > first:
            yield first, end, read_block(matcher, values=values)
            first = end
        matcher._next_block()


# --- exact phrases ------------------------------------------------------------------------------


def _phrases(query: wq.Query) -> list[Phrase] | None:
    """The phrases of a query that is one, or one in title or body (as ``"..."`` is)."""
    if type(query) is Phrase:
        return [query]
    if (
        type(query) is wq.Or
        and len(query.subqueries) == 2
        and query.boost == 1.0
        and all(type(q) is Phrase for q in query.subqueries)
    ):
        return list(query.subqueries)
    return None


def _phrase_scores(phrase: Phrase, searcher: Any, weighting: NewsWeighting) -> dict[int, float]:
    """Score by document number of an exact phrase in one segment, as Whoosh's matcher has them.

    The rarest word's postings are read whole; each next word's only in the blocks that can
    hold a document still in the running (the impacts' layouts or the block headers give their
    last id); then the words' positions are checked where all of them occur. Whoosh's matcher
    walks the same posting lists a posting at a time. Scores: the words' BM25 scores summed in
    Whoosh's binary tree (its intersection of the words), times the phrase's boost.
    """
    if not phrase.is_exact(searcher.schema):
        raise _Unsupported(phrase)
    words = phrase.segment_terms(searcher)
    if words is None:
        return {}
    reader, fieldname = searcher.reader(), phrase.fieldname
    scorers = [weighting.scorer(searcher, fieldname, word) for word in words]
    if not all(isinstance(scorer, BM25Scorer) for scorer in scorers):
        raise _Unsupported(phrase)
    weights: dict[int, dict[int, float]] = {}
    values: dict[int, dict[int, bytes]] = {}
    wanted: list[int] = []
    seen: list[int] = []  # the words read so far, rarest first
    for i in sorted(range(len(words)), key=lambda i: reader.doc_frequency(fieldname, words[i])):
        matcher = reader.postings(fieldname, words[i])
        weights[i], values[i] = _postings_in(matcher, wanted if seen else None, reader)
        seen.append(i)
        if len(seen) == 1:
            wanted = sorted(values[i])
        else:  # in the word so far, and the words read so far at their places in the phrase
            common = list(filter(values[i].__contains__, wanted))
            # One key per document, the words' values in reading order: at C speed but for
            # the combinations not seen before (most postings hold a single position).
            keys = zip(*[map(values[j].__getitem__, common) for j in seen], strict=True)
            side_by_side = _SideBySide(seen)
            wanted = list(itertools.compress(common, map(side_by_side.__getitem__, keys)))
        if not wanted:
            return {}
    deleted = reader.deleted_docs_set if reader.has_deletions() else ()
    order = range(len(words))
    matched = [docnum for docnum in wanted if docnum not in deleted]
    per_word = [
        scorers[i].scores(matched, list(map(weights[i].__getitem__, matched))) for i in order
    ]
    sums = _tree_sums(per_word)
    if phrase.boost != 1.0:
        sums = [score * phrase.boost for score in sums]
    return dict(zip(matched, sums, strict=True))


def _tree_sums(parts: list[list[float]]) -> list[float]:
    """Sum per document as Whoosh's ``make_binary_tree`` of intersections adds them up."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    left, right = _tree_sums(parts[:half]), _tree_sums(parts[half:])
    return [a + b for a, b in zip(left, right, strict=True)]


def _postings_of(
    matcher: W3LeafMatcher, wanted: Sequence[int], *, values: bool = False, reader: Any = None
) -> tuple[list, ...]:
    """The ``wanted`` documents (ascending) in a posting list from where the matcher stands,
    and their weights (and position values); only the blocks whose id range holds a wanted
    document are decoded.

    A block is matched against its wanted documents the cheapest way: where those are
    consecutive numbers, its postings between the first and the last are a slice; where they
    are many (a date range's articles), each posting is looked up in a set of them at C
    speed; else each wanted document is looked up among the block's. The blocks are found as
    :func:`_wanted_blocks` finds them (with the segment's ``reader``, from the impacts)."""
    docnums: list[int] = []
    weights: list[float] = []
    found_values: list[bytes] = []
    wanted_set: set[int] | None = None
    if not matcher.is_active():
        return (docnums, weights, found_values) if values else (docnums, weights)
    # Moved into its block, the matcher has decoded it; documents before it are not matches.
    start = bisect.bisect_left(wanted, matcher.id()) if matcher._i else 0
    for first, end, block in _wanted_blocks(matcher, wanted, start, values, reader):
        ids = block[0]
        low, high = wanted[first], wanted[end - 1]
        if high - low == end - 1 - first:  # consecutive: every posting between them
            taken = slice(bisect.bisect_left(ids, low), bisect.bisect_right(ids, high))
            docnums.extend(ids[taken])
            weights.extend(block[1][taken])
            if values:
                found_values.extend(block[2][taken])
        elif (end - first) * _DENSE_WANTED > len(ids):
            if wanted_set is None:  # none before where the matcher stands
                wanted_set = set(wanted[start:])
            held = list(map(wanted_set.__contains__, ids))
            docnums.extend(itertools.compress(ids, held))
            weights.extend(itertools.compress(block[1], held))
            if values:
                found_values.extend(itertools.compress(block[2], held))
        else:
            where = dict(zip(ids, range(len(ids)), strict=True))
            for docnum in wanted[first:end]:
                i = where.get(docnum)
                if i is not None:
                    docnums.append(docnum)
                    weights.append(block[1][i])
                    if values:
                        found_values.append(block[2][i])
    return (docnums, weights, found_values) if values else (docnums, weights)


_DENSE_WANTED = 8
"""A block is tested posting by posting against the wanted documents in its range once
those are more than one in this many of its postings (see :func:`_postings_of`)."""


def _postings_in(
    matcher: Any, wanted: Sequence[int] | None, reader: Any = None
) -> tuple[dict[int, float], dict[int, bytes]]:
    """``docnum -> weight`` and ``docnum -> positions value`` of a posting list, for the
    ``wanted`` documents only (sorted; None: all), decoding only the blocks that can hold one."""
    if type(matcher) is FilterMatcher:  # deleted documents: left out by the caller
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        raise _Unsupported(matcher)
    if wanted is not None:
        docnums, weights, values = _postings_of(matcher, wanted, values=True, reader=reader)
    else:
        docnums, weights, values = [], [], []
        for block in _blocks(matcher, values=True, reader=reader):
            docnums.extend(block[0])
            weights.extend(block[1])
            values.extend(block[2])
    return dict(zip(docnums, weights, strict=True)), dict(zip(docnums, values, strict=True))


class _SideBySide(dict):
    """Whether words with these position values (in phrase order ``offsets``) occur side by
    side somewhere, remembered per combination of values: most postings of a word hold one
    position, so the same combinations recur from one document to the next."""

    def __init__(self, offsets: Sequence[int]) -> None:
        super().__init__()
        self.offsets = offsets

    def __missing__(self, values: tuple[bytes, ...]) -> bool:
        found = self[values] = bool(phrase_starts(list(map(_positions, values)), self.offsets))
        return found


_POSITIONS: dict[bytes, tuple[int, ...]] = {}
"""Decoded position values: most are a word's single position, shared by many postings."""


def _positions(value: bytes) -> tuple[int, ...]:
    """Whoosh's ``Positions.decode_positions``: a frequency, then pickled position deltas."""
    found = _POSITIONS.get(value)
    if found is None:
        found = tuple(itertools.accumulate(pickle.loads(value[4:])))
        if len(_POSITIONS) >= 100_000:
            _POSITIONS.clear()
        _POSITIONS[value] = found
    return found
