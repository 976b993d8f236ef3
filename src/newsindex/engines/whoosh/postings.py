"""Reading a term's posting list for term-at-a-time scoring: its blocks from where its
matcher stands, or only the blocks that hold some wanted documents.

A block's ids and weights are decoded without its position values where it allows (see
:mod:`.codec.blocks`). Where the segment has a body word's impacts (see
:mod:`.codec.impacts`), the blocks are found from the layouts stored with them, and no
block header in between is read.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher

from newsindex.engines.whoosh.codec.blocks import block as read_block
from newsindex.engines.whoosh.codec.blocks import block_at, goto, ids_and_weights
from newsindex.engines.whoosh.codec.blocks import holds as holds_by_headers
from newsindex.engines.whoosh.codec.impacts import IMPACTS_FIELD, read_impacts

__all__ = [
    "Unsupported",
    "holds",
    "impact_places",
    "posting_blocks",
    "postings_in",
    "postings_of",
    "stored_blocks",
]

T = TypeVar("T")


class Unsupported(Exception):
    """A matcher tree or phrase has a node that term-at-a-time evaluation does not handle
    (raised here, in :mod:`.phrases` and in :mod:`.accumulate`). For a phrase it means
    Whoosh's collector runs the query instead; a tree is checked before it is evaluated."""


def impact_places(reader: Any, leaf: W3LeafMatcher) -> tuple[tuple, list[tuple]] | None:
    """A body word's impacts (see :mod:`.codec.impacts`) and where each of its blocks is
    (as :func:`.codec.blocks.place` has it), from the layouts stored with them: no
    block header is read. ``None`` if the segment has no impacts for the word, if their
    blocks do not fill its posting list, or if ``leaf`` has been read from already."""
    return None if leaf._i else _layout_places(reader, leaf)


def _layout_places(reader: Any, leaf: W3LeafMatcher) -> tuple[tuple, list[tuple]] | None:
    """:func:`impact_places` wherever ``leaf`` stands."""
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
    from the word's impacts (see :func:`impact_places`); ``None`` without a reader or
    impacts."""
    located = None if reader is None else _layout_places(reader, leaf)
    if located is None:
        return None
    (lasts, *_figures), places = located
    j = bisect.bisect_left(lasts, leaf._maxid)
    if j == len(lasts) or places[j][0] != leaf._dataoffset:
        return None
    return lasts[j:], places[j:]


def holds(reader: Any, leaf: W3LeafMatcher, docnum: int) -> bool:
    """Whether a fresh Whoosh 3 posting list of a segment holds ``docnum``: only the block
    whose range has it is read, found from the word's impacts (:func:`impact_places`) where
    it has them, else from the block headers before it."""
    impacts = impact_places(reader, leaf)
    if impacts is None:
        return holds_by_headers(leaf, docnum)
    (lasts, *_figures), places = impacts
    j = bisect.bisect_left(lasts, docnum)
    return j < len(lasts) and docnum in block_at(leaf, places[j])[0]


def posting_blocks(
    matcher: W3LeafMatcher, *, values: bool = False, reader: Any = None
) -> Iterator[tuple]:
    """A Whoosh 3 posting list's blocks from where the matcher stands (see
    :func:`.codec.blocks.block`). With the segment's ``reader``, a body word's blocks
    after the first are found from its impacts (:func:`_places_from`), no header read; the
    matcher's block figures then stay those of its first block."""
    if not matcher.is_active():
        return
    start = matcher._i
    blocks = _each_block(matcher, reader, functools.partial(read_block, values=values))
    first = next(blocks)
    yield tuple(part[start:] for part in first) if start else first
    yield from blocks


def stored_blocks(matcher: W3LeafMatcher, *, reader: Any = None) -> Iterator[tuple]:
    """``(start, deltas, weights)`` for each of a Whoosh 3 posting list's blocks from where
    the matcher stands, as stored (see :func:`.codec.blocks.ids_and_weights`): nothing is
    decoded into Python numbers. The postings before ``start`` (only ever in the first
    block) are behind the matcher. The blocks are found as :func:`posting_blocks` finds
    them."""
    if not matcher.is_active():
        return
    start = matcher._i
    for deltas, weights in _each_block(matcher, reader, ids_and_weights):
        yield start, deltas, weights
        start = 0


def _each_block(matcher: W3LeafMatcher, reader: Any, decode: Callable[[Any], T]) -> Iterator[T]:
    """``decode(matcher)`` with the matcher on each block of an active posting list from the
    one it stands in, the blocks found as :func:`posting_blocks` says."""
    located = _places_from(reader, matcher)
    yield decode(matcher)
    if located is not None:
        for where in located[1][1:]:
            goto(matcher, where)
            yield decode(matcher)
        matcher._atend = True
        return
    matcher._next_block()
    while matcher.is_active():
        yield decode(matcher)
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


def postings_of(
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
those are more than one in this many of its postings (see :func:`postings_of`)."""


def postings_in(
    matcher: Any, wanted: Sequence[int] | None, reader: Any = None
) -> tuple[dict[int, float], dict[int, bytes]]:
    """``docnum -> weight`` and ``docnum -> positions value`` of a posting list, for the
    ``wanted`` documents only (sorted; None: all), decoding only the blocks that can hold one."""
    if type(matcher) is FilterMatcher:  # deleted documents: left out by the caller
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        raise Unsupported(matcher)
    if wanted is not None:
        docnums, weights, values = postings_of(matcher, wanted, values=True, reader=reader)
    else:
        docnums, weights, values = [], [], []
        for block in posting_blocks(matcher, values=True, reader=reader):
            docnums.extend(block[0])
            weights.extend(block[1])
            values.extend(block[2])
    return dict(zip(docnums, weights, strict=True)), dict(zip(docnums, values, strict=True))
