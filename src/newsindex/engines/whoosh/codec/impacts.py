"""Impacts: per posting block of a frequent body word, a bound on its documents' best score.

A Whoosh 3 block header gives the block's highest weight and shortest field length, which
mostly come from different documents, so the best score they bound is near the best any
document could have: for a frequent word, nearly every block's bound reaches the first page,
and every block is decoded. Lucene keeps per block the (frequency, length) pairs that can score
best, its "impacts"; newsindex keeps two figures that bound them, for the documents that have
the word in the title too and for the others (their title score is added on top of the first
group's only):

- ``M``, the block's highest weight, and
- ``R``, its least ratio of field length (as the scorer quantizes it) to weight.

BM25's term score, ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgfl))``, equals
``(k1 + 1) / (1 + alpha / tf + beta * length / tf)`` with ``alpha = k1 * (1 - b)`` and
``beta = k1 * b / avgfl``, so no document of the group scores more than
``(k1 + 1) / (1 + alpha / M + beta * R)``: for any ``k1``, ``b`` and average length a search
uses. An empty group has ``M = 0``; a block whose figures are unknown has ``M = inf, R = 0``,
which bounds nothing.

The writer stores them per segment, for body words with at least :data:`MIN_BLOCKS` blocks,
with where each block is (so a search reads no block header it does not need), in a file of
the segment (``.imp``, inside its compound file), as little-endian numbers. A segment without
one (written by Whoosh's own writer: a merge, an older newsindex) is searched as before.
"""

from __future__ import annotations

import itertools
import math
import operator
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from whoosh.filedb.filetables import HashReader, HashWriter
from whoosh.util.numeric import byte_to_length, length_to_byte

from newsindex.engines.whoosh.codec.columns import per_segment

__all__ = [
    "IMPACTS_FIELD",
    "MIN_BLOCKS",
    "MIN_PIECE",
    "UNKNOWN",
    "Impact",
    "Layout",
    "block_impact",
    "combine",
    "encode_impacts",
    "read_impacts",
    "write_impacts",
]

IMPACTS_FIELD = "body"
"""The field whose frequent words get impacts (titles are short: their postings are read
whole)."""

MIN_BLOCKS = 4
"""Words with fewer blocks in a segment are decoded whole: bounds would save little."""

MIN_PIECE = 32
"""A run (see :mod:`.runs`) computes the figures of a word's postings only from this
many on; a block packed from smaller pieces has unknown figures."""

_EXT = ".imp"
_MAGIC = b"NIMP"

Impact = tuple[int, float, float, float, float]
"""A block's last document number, then ``M`` and ``R`` for the documents without the word
in their title, then for those with it."""

Layout = tuple[int, int, int, int]
"""Where a block is, from the end of the one before it (or of the posting list's header):
its length in bytes with its length prefix, the length of its pickled header, its zlib
level and its number of postings. A block's bytes do not change when a run is copied, so
these hold wherever its term's postings end up."""

UNKNOWN: tuple[float, float, float, float] = (math.inf, 0.0, math.inf, 0.0)
"""The figures of a block nothing is known about."""

_NONE = (0.0, math.inf)  # an empty group's M and R


class _Quantized(dict):
    """Field length -> the length Whoosh's scorer reads back (1 for none), memoised."""

    def __missing__(self, length: int) -> int:
        byte = length_to_byte(length)
        found = self[length] = byte_to_length(byte) if byte else 1
        return found


_QUANTIZED = _Quantized()


def block_impact(
    docnums: Sequence[int],
    weights: Sequence[float],
    lengths: Mapping[int, int],
    titled: frozenset[int] | set[int] | None,
) -> Impact:
    """The figures of one block: its documents, their weights and field lengths (unquantized,
    by document number), and which of its documents have the word in the title too."""
    found = map(lengths.get, docnums, itertools.repeat(0))
    ratios = list(map(operator.truediv, map(_QUANTIZED.__getitem__, found), weights))
    if not titled or titled.isdisjoint(docnums):
        return (docnums[-1], max(weights), min(ratios), *_NONE)
    flags = list(map(titled.__contains__, docnums))
    if all(flags):
        return (docnums[-1], *_NONE, max(weights), min(ratios))
    others = list(map(operator.not_, flags))
    return (
        docnums[-1],
        max(itertools.compress(weights, others)),
        min(itertools.compress(ratios, others)),
        max(itertools.compress(weights, flags)),
        min(itertools.compress(ratios, flags)),
    )


def combine(parts: Sequence[Impact | None], last: int) -> Impact:
    """The figures of a block made of ``parts`` (in document order) ending at document
    ``last``; unknown if any part's are."""
    known = [part for part in parts if part is not None]
    if len(known) < len(parts):
        return (last, *UNKNOWN)
    return (
        last,
        max(part[1] for part in known),
        min(part[2] for part in known),
        max(part[3] for part in known),
        min(part[4] for part in known),
    )


_CODES = "IddddIBBH"
"""The array type of each stored column: an :data:`Impact`'s five parts, a :data:`Layout`'s
four."""

_SWAP = sys.byteorder != "little"
"""Whether this machine's arrays must be byte-swapped: the file holds little-endian numbers,
so an index reads the same on any machine."""


def encode_impacts(impacts: Sequence[Impact], layouts: Sequence[Layout]) -> bytes | None:
    """A term's block figures and layouts as stored (compact: a segment holds them until it
    is written); None, nothing to store, for a term of fewer than :data:`MIN_BLOCKS` blocks
    or without a layout for every block."""
    if not MIN_BLOCKS <= len(impacts) == len(layouts):
        return None
    columns = [*zip(*impacts, strict=True), *zip(*layouts, strict=True)]
    parts = [array(code, column) for code, column in zip(_CODES, columns, strict=True)]
    if _SWAP:
        for part in parts:
            part.byteswap()
    return b"".join(part.tobytes() for part in parts)


def _decode(data: bytes) -> tuple[array, ...]:
    parts = tuple(array(code) for code in _CODES)
    count = len(data) // sum(part.itemsize for part in parts)
    start = 0
    for part in parts:
        part.frombytes(data[start : start + part.itemsize * count])
        start += part.itemsize * count
        if _SWAP:
            part.byteswap()
    return parts


def write_impacts(segment: Any, storage: Any, table: Iterable[tuple[bytes, bytes]]) -> None:
    """Write a segment's impacts file: ``(term, encode_impacts(its figures))`` pairs."""
    writer = HashWriter(segment.create_file(storage, _EXT), magic=_MAGIC)
    for term, data in table:
        writer.add(term, data)
    writer.close()


def read_impacts(reader: Any, term: bytes) -> tuple[array, ...] | None:
    """A body word's block figures in a segment reader's segment, as columns: last ids, ``M``
    and ``R`` of each group, then the four parts of each block's :data:`Layout`; None where
    the segment has none for it."""
    table = per_segment(reader, "impacts", lambda: _open(reader))
    if table is None:
        return None
    data = table.get(term)
    return None if data is None else _decode(data)


def _open(reader: Any) -> HashReader | None:
    segment = getattr(reader, "_segment", None)
    storage = getattr(reader, "_storage", None)
    if segment is None or storage is None:
        return None
    name = segment.make_filename(_EXT)
    try:
        if not storage.file_exists(name):
            return None
        return HashReader(storage.open_file(name), storage.file_length(name), magic=_MAGIC)
    except (OSError, ValueError, KeyError):
        return None
