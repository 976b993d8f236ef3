"""Reading Whoosh 3 posting blocks: ids and weights without the position values.

A block is a pickled ``(ids, weights, values)`` tuple, usually zlib-compressed (see
:mod:`..writer`). Scoring needs only the ids and weights, but unpickling the tuple
makes a bytes object for every posting's positions, most of the work of decoding a block.
In a block of ``schema.ARRAY_BLOCKS_FROM`` postings or more, newsindex's writer stores ids
and weights as arrays, each pickled as a header and one run of bytes, and they come first; so
for a block whose leading bytes are exactly the ones that layout gives,
:func:`ids_and_weights` decompresses only that head and copies the two arrays out of it. Any
other block (a small one, Whoosh's own writer's, an older newsindex's, another byte order's)
is unpickled whole, as Whoosh does. Both give the same numbers.
"""

from __future__ import annotations

import functools
import itertools
import pickle
import struct
import zlib
from array import array
from collections.abc import Sequence
from typing import Any

import attrs

from newsindex.engines.whoosh.codec.schema import ARRAY_BLOCKS_FROM, BLOCK_PROTOCOL

__all__ = ["block", "block_at", "goto", "holds", "ids_and_weights", "place"]

_FRAME_LENGTH = slice(3, 11)
"""Where a protocol 4 pickle's first frame gives its length (the one part of the head that
depends on the values)."""

_IDS_TAIL = 5
"""Bytes between the end of the ids' data and the weights: memoize, tuple, memoize, reduce,
memoize."""


@attrs.frozen
class _Layout:
    """How a block of newsindex's layout with a given number of postings begins."""

    before: bytes
    """The bytes before the ids' data, the frame length zeroed."""
    after: bytes
    """The bytes between the ids' data and the weights."""
    between: bytes
    """The bytes between that and the weights' data, when the weights are an array."""
    ids: slice
    """Where the ids' data lies."""
    weights_at: int
    """Where the weights begin (None, a float or an array)."""
    weights: slice
    """Where an array's weights' data lies."""


@functools.lru_cache(maxsize=512)
def _layout(count: int) -> _Layout | None:
    """The layout of a ``count``-posting block, found by pickling one of that size."""
    ids = array("I", [0x01020304] * count)
    weights = array("f", [0.5] * count)
    dumped = pickle.dumps((ids, weights, ()), BLOCK_PROTOCOL)
    ids_start = dumped.find(ids.tobytes())
    ids_end = ids_start + 4 * count
    weights_at = ids_end + _IDS_TAIL
    weights_start = dumped.find(weights.tobytes(), weights_at)
    if ids_start < 0 or weights_start < 0 or dumped[2] != pickle.FRAME[0]:
        return None
    before = bytearray(dumped[:ids_start])
    before[_FRAME_LENGTH] = bytes(8)
    return _Layout(
        before=bytes(before),
        after=dumped[ids_end:weights_at],
        between=dumped[weights_at:weights_start],
        ids=slice(ids_start, ids_end),
        weights_at=weights_at,
        weights=slice(weights_start, weights_start + 4 * count),
    )


def _head(matcher: Any, length: int) -> bytes:
    """The first ``length`` bytes of the current block's pickle (decompressing no further)."""
    start = matcher._dataoffset
    size = matcher._nextoffset - start
    if not matcher._compression:
        return matcher._postfile.get(start, min(size, length))
    return zlib.decompressobj().decompress(matcher._postfile.get(start, size), length)


def _fast(matcher: Any) -> tuple[Sequence[int], Any] | None:
    """The current block's delta-coded ids and raw weights (None, one float or an array),
    read from its head; None if the block is not in newsindex's layout (a block of fewer
    than ``ARRAY_BLOCKS_FROM`` postings never is: it holds tuples, cheap to unpickle whole)."""
    count = matcher._blocklength
    layout = _layout(count) if count >= ARRAY_BLOCKS_FROM else None
    if layout is None:
        return None
    at = layout.weights_at
    head = _head(matcher, layout.weights.stop)
    if len(head) <= at:
        return None
    found = bytearray(head[: layout.ids.start])
    found[_FRAME_LENGTH] = bytes(8)
    if found != layout.before or head[layout.ids.stop : at] != layout.after:
        return None
    ids = array("I")
    ids.frombytes(head[layout.ids])
    kind = head[at]
    if kind == pickle.NONE[0]:
        return ids, None
    if kind == pickle.BINFLOAT[0] and len(head) >= at + 9:
        return ids, struct.unpack(">d", head[at + 1 : at + 9])[0]
    if head[at : layout.weights.start] == layout.between and len(head) == layout.weights.stop:
        weights = array("f")
        weights.frombytes(head[layout.weights])
        return ids, weights
    return None


def ids_and_weights(matcher: Any) -> tuple[Sequence[int], Any]:
    """The current block's delta-coded ids and its weights as stored: None (all 1.0), one
    float (all equal) or one per posting."""
    if matcher._data is None:
        found = _fast(matcher)
        if found is not None:
            return found
        matcher._read_data()
    data = matcher._data
    return data[0], data[1]


def block(matcher: Any, *, values: bool = False) -> tuple:
    """The current block's ``(docnums, weights)`` (and values), decoded whole, as
    ``W3LeafMatcher._read_ids`` and ``_read_weights`` decode them."""
    if values and matcher._data is None:
        matcher._read_data()  # the values too: the whole block
    deltas, weights = ids_and_weights(matcher)
    docnums: Sequence[int] = tuple(itertools.accumulate(deltas))
    if weights is None:
        weights = (1.0,) * len(docnums)
    elif isinstance(weights, float):
        weights = (weights,) * len(docnums)
    return (docnums, weights, matcher._data[2]) if values else (docnums, weights)


def place(matcher: Any) -> tuple:
    """Where the matcher's current block is, for :func:`block_at` to read it later without
    reading its header again."""
    return matcher._dataoffset, matcher._nextoffset, matcher._compression, matcher._blocklength


def goto(matcher: Any, where: tuple) -> None:
    """Put the matcher on the block at ``where`` (from :func:`place`) for reading that block
    only (its header is not read again)."""
    matcher._dataoffset, matcher._nextoffset, matcher._compression, matcher._blocklength = where
    matcher._data = None


def block_at(matcher: Any, where: tuple, *, values: bool = False) -> tuple:
    """The ``(docnums, weights)`` (and values) of the block at ``where`` (from :func:`place`),
    as :func:`block` gives them; the matcher is left there for reading it only."""
    goto(matcher, where)
    return block(matcher, values=values)


def holds(matcher: Any, docnum: int) -> bool:
    """Whether a Whoosh 3 posting list, from the block it stands in, holds ``docnum``: block
    headers are read up to the block whose range has it, and that block's ids only (Whoosh's
    ``skip_to`` decodes each block it stops in whole, positions too)."""
    while matcher._maxid < docnum:
        if matcher._lastblock:
            return False
        matcher._goto(matcher._nextoffset)
    deltas, _weights = ids_and_weights(matcher)
    return docnum in itertools.accumulate(deltas)
