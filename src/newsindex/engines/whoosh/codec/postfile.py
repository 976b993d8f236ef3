"""Posting lists written as Whoosh 3's postings file and term table hold them, a block at a time.

Whoosh's postings writer takes a posting at a time and compresses every block. Here a term's
postings, gathered in memory (:mod:`..writer`) or read back from a run
(:mod:`.runs`), go in a block at a time: its document numbers, weights and position
values encoded at C speed, zlib only where it pays, a short list written as its one block with
its term table entry in one call. The files are those Whoosh's own writer makes, apart from
which blocks are compressed (a flag in each block) and the pickle protocol of the blocks and
their tuples or arrays (see ``schema.BLOCK_PROTOCOL`` and ``schema.ARRAY_BLOCKS_FROM``);
Whoosh reads them as its own, and a test pins that the postings equal Whoosh's, byte for byte.
"""

from __future__ import annotations

import itertools
import operator
import pickle
import struct
import zlib
from array import array
from collections.abc import Sequence
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter, W3TermInfo
from whoosh.system import pack_int, pack_long, pack_uint
from whoosh.util.numeric import length_to_byte

from newsindex.engines.whoosh.codec.impacts import block_impact
from newsindex.engines.whoosh.codec.schema import ARRAY_BLOCKS_FROM, BLOCK_PROTOCOL

__all__ = [
    "SINGLE_VALUES",
    "BlockWriter",
    "add_entry",
    "add_postings",
    "block_figures",
    "position_value",
]

_COMPRESS_FROM = 128
"""Blocks whose pickle is shorter than this are stored uncompressed (zlib gains them nothing and
its setup costs more than the rest of writing them)."""

_TERM_INFO = W3TermInfo._struct
"""A term entry's figures, as ``W3TermInfo.to_bytes`` packs them (its offset and length follow)."""

_ENTRY_LENGTHS = struct.Struct("!ii")
"""The key and value lengths before a term table entry, as Whoosh's ``HashWriter`` writes them."""

SINGLE_VALUES: dict[int, bytes] = {}
"""Position values of words that occur once in a field, by position: most postings are these,
so they are encoded once and shared."""


def _single_value(position: int) -> bytes:
    value = SINGLE_VALUES.get(position)
    if value is None:
        value = SINGLE_VALUES[position] = pack_uint(1) + pickle.dumps([position], 2)
    return value


def position_value(found: list[int]) -> bytes:
    """Whoosh's ``Positions`` encoding of a term's positions in one field (a test pins that
    the postings equal Whoosh's own, byte for byte)."""
    if len(found) == 1:
        return _single_value(found[0])
    deltas = [found[0], *map(operator.sub, found[1:], found)]
    return pack_uint(len(found)) + pickle.dumps(deltas, 2)


class BlockWriter(W3PostingsWriter):
    """Whoosh 3's postings writer with C-speed block encoding, a newer pickle protocol and no
    zlib for small blocks.

    Writes the blocks Whoosh's reader expects: pickled ``(ids, weights, values)`` tuples; a
    block records whether it is compressed. In a block of ``ARRAY_BLOCKS_FROM`` postings or
    more, the ids (delta-coded) and the weights, where they differ, are arrays rather than
    tuples: Whoosh reads any sequence there, and an array pickles as a header and one run of
    bytes, so the query layer can read a block's ids and weights without unpickling its
    position values (``.blocks``).
    """

    layouts: list | None = None
    """Where the blocks written go (.impacts.Layout), while a term's are wanted."""

    def _mini_ids(self) -> Sequence[int]:
        ids = self._ids
        deltas = map(operator.sub, ids, itertools.chain((0,), ids))  # delta-encoded
        return array("I", deltas) if len(ids) >= ARRAY_BLOCKS_FROM else tuple(deltas)

    def _mini_weights(self) -> float | Sequence[float] | None:
        weights = self._weights
        first = weights[0]
        if weights.count(first) == len(weights):
            return None if first == 1.0 else first
        if type(weights) is not array:
            weights = array("f", weights)  # single precision, as Whoosh stores weights
        return weights if len(weights) >= ARRAY_BLOCKS_FROM else tuple(weights)

    def _write_block(self, last: bool = False) -> None:
        # Whoosh's own method, but zlib only where it pays (Whoosh compresses every block).
        self._terminfo.add_block(self)
        head = b"" if self._blockcount else WHOOSH3_HEADER_MAGIC
        self._put_block(self._maxweight, self._minlength, self._maxlength, last=last, head=head)
        self._blockcount += 1
        self._new_block()

    def _put_block(
        self, heaviest: float, shortest: int | None, longest: int, *, last: bool, head: bytes
    ) -> int:
        """Encode the buffered postings (``_ids``, ``_weights``, ``_values``) and write them as
        a block after ``head``: its length (negative if ``last``), its info and its data, in
        one write; return the number of bytes written."""
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, BLOCK_PROTOCOL)
        level = self._compression if len(databytes) >= _COMPRESS_FROM else 0
        if level:
            databytes = zlib.compress(databytes, level)
        ids = self._ids
        info = (
            len(ids),
            ids[-1],
            heaviest,
            level,
            length_to_byte(shortest),
            length_to_byte(longest),
        )
        infobytes = pickle.dumps(info, 2)
        blocklength = len(infobytes) + len(databytes)
        if self.layouts is not None:  # see .impacts.Layout
            self.layouts.append((4 + blocklength, len(infobytes), level, len(ids)))
        postfile = self._postfile
        # Where the block starts: a run's blocks of a term end there (see runs).
        self.last_block = postfile.tell() + len(head)
        length = pack_int(-blocklength if last else blocklength)
        postfile.write(b"".join((head, length, infobytes, databytes)))
        return len(head) + 4 + blocklength

    def write_short(
        self, docnums: array, weights: array, values: list[Any], lengths: dict[int, int]
    ) -> bytes:
        """Write a term's postings, no more than a block's worth, as its one block; return
        its term entry's bytes: what ``start_postings``, :func:`add_postings`,
        ``finish_postings`` and ``W3TermInfo.to_bytes`` do, without their calls (most terms
        have a few postings)."""
        heaviest, shortest, longest = _block_stats(docnums, weights, lengths)
        self._ids, self._weights, self._values = docnums, weights, [v for v in values if v]
        written = self._put_block(heaviest, shortest, longest, last=True, head=WHOOSH3_HEADER_MAGIC)
        start = self.last_block - len(WHOOSH3_HEADER_MAGIC)  # where the magic went
        shortest_byte = 0 if shortest is None else length_to_byte(shortest)
        entry = _TERM_INFO.pack(
            False,
            sum(weights),
            len(docnums),
            shortest_byte,
            length_to_byte(longest),
            heaviest,
            docnums[0],
            docnums[-1],
        )
        return entry + pack_long(start) + pack_int(written)


def add_entry(table: Any, key: bytes, value: bytes) -> None:
    """``OrderedHashWriter.add`` in one write: the term table's entry for a term."""
    if key <= table.lastkey:
        raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
    dbfile = table.dbfile
    where = dbfile.tell()
    table.index.append(where)
    dbfile.write(_ENTRY_LENGTHS.pack(len(key), len(value)) + key + value)
    hashed = table.hashfn(key)
    table.buckets[hashed & 255].append((hashed, where))
    table.lastkey = key


def add_postings(
    postwriter: Any,
    docnums: array,
    weights: array,
    values: list[Any],
    lengths: dict[int, int],
) -> None:
    """Fill a Whoosh 3 postings writer a block at a time instead of a posting at a time.

    Leaves the writer exactly as that many ``add_posting`` calls would: full blocks written,
    the last one buffered for ``finish_postings`` (which may inline a short list).
    """
    limit = postwriter._blocklimit
    for start in range(0, len(docnums), limit):
        if start:
            postwriter._write_block()
        end = start + limit
        postwriter._ids, postwriter._weights = docnums[start:end], weights[start:end]
        postwriter._values = [v for v in values[start:end] if v]
        postwriter._maxweight, postwriter._minlength, postwriter._maxlength = _block_stats(
            postwriter._ids, postwriter._weights, lengths
        )


def block_figures(
    docnums: array, weights: array, lengths: dict[int, int], title: tuple | None, limit: int
) -> list:
    """The impacts (see :mod:`.impacts`) of a body word's blocks of ``limit``
    postings; ``title``: the word's title postings, if any."""
    titled = set(title[0]) if title is not None else None
    return [
        block_impact(
            docnums[start : start + limit], weights[start : start + limit], lengths, titled
        )
        for start in range(0, len(docnums), limit)
    ]


def _block_stats(
    docnums: array, weights: array, lengths: dict[int, int]
) -> tuple[float, int | None, int]:
    """A block's highest weight, shortest and longest field length (None and 0 when its
    documents have no length), as Whoosh's postings writer keeps them for the block header."""
    known = [n for n in map(lengths.get, docnums) if n]
    return max(0, max(weights)), (min(known) if known else None), (max(known) if known else 0)
