"""Reading Whoosh 3 posting blocks: ids and weights without the position values.

A block is a pickled ``(ids, weights, values)`` tuple, usually zlib-compressed (see
:mod:`newsindex.writer`). Scoring needs only the ids and weights, but unpickling the tuple
makes a bytes object for every posting's positions, most of the work of decoding a block.
newsindex's writer stores ids and weights as arrays, each pickled as a header and one run of
bytes, and they come first; so for a block whose leading bytes are exactly the ones that
layout gives, :func:`ids_and_weights` decompresses only that head and copies the two arrays
out of it. Any other block (Whoosh's own writer, an older newsindex, another byte order) is
unpickled whole, as Whoosh does. Both give the same numbers.
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

__all__ = ["block", "ids_and_weights"]

_PROTOCOL = 4
"""The pickle protocol newsindex's writer uses for blocks (``writer._BLOCK_PROTOCOL``)."""

_FRAME_LENGTH = slice(3, 11)
"""Where a protocol 4 pickle's first frame gives its length (the one part of the head that
depends on the values)."""

_IDS_TAIL = 5
"""Bytes between the end of the ids' data and the weights: memoize, tuple, memoize, reduce,
memoize."""


@functools.lru_cache(maxsize=512)
def _layout(count: int) -> tuple[bytes, bytes, bytes] | None:
    """How a ``count``-posting block of newsindex's layout begins: the bytes before the ids'
    data (frame length zeroed), the bytes between the ids' data and the weights, and the
    bytes between that and the weights' data when the weights are an array."""
    ids = array("I", [0x01020304] * count)
    weights = array("f", [0.5] * count)
    dumped = pickle.dumps((ids, weights, ()), _PROTOCOL)
    ids_start = dumped.find(ids.tobytes())
    ids_end = ids_start + 4 * count
    weights_start = dumped.find(weights.tobytes(), ids_end + _IDS_TAIL)
    if ids_start < 0 or weights_start < 0 or dumped[2] != pickle.FRAME[0]:
        return None
    before = bytearray(dumped[:ids_start])
    before[_FRAME_LENGTH] = bytes(8)
    return (
        bytes(before),
        dumped[ids_end : ids_end + _IDS_TAIL],
        dumped[ids_end + _IDS_TAIL : weights_start],
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
    read from its head; None if the block is not in newsindex's layout."""
    count = matcher._blocklength
    layout = _layout(count)
    if layout is None:
        return None
    before, after, between = layout
    ids_start = len(before)
    weights_at = ids_start + 4 * count + len(after)  # where the weights begin
    weights_start = weights_at + len(between)  # an array's data
    head = _head(matcher, weights_start + 4 * count)
    if len(head) <= weights_at:
        return None
    found = bytearray(head[:ids_start])
    found[_FRAME_LENGTH] = bytes(8)
    if found != before or head[weights_at - len(after) : weights_at] != after:
        return None
    ids = array("I")
    ids.frombytes(head[ids_start : ids_start + 4 * count])
    kind = head[weights_at]
    if kind == pickle.NONE[0]:
        return ids, None
    if kind == pickle.BINFLOAT[0] and len(head) >= weights_at + 9:
        return ids, struct.unpack(">d", head[weights_at + 1 : weights_at + 9])[0]
    if head[weights_at:weights_start] == between and len(head) == weights_start + 4 * count:
        weights = array("f")
        weights.frombytes(head[weights_start:])
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
    if values:
        if matcher._data is None:
            matcher._read_data()
        deltas, weights = matcher._data[0], matcher._data[1]
    else:
        deltas, weights = ids_and_weights(matcher)
    docnums: Sequence[int] = tuple(itertools.accumulate(deltas))
    if weights is None:
        weights = (1.0,) * len(docnums)
    elif isinstance(weights, float):
        weights = (weights,) * len(docnums)
    return (docnums, weights, matcher._data[2]) if values else (docnums, weights)
