"""Posting lists written as Whoosh 3's postings file and term table hold them, a block at a time.

Whoosh's postings writer takes a posting at a time and compresses every block. Here a term's
postings, gathered in memory (:mod:`..writer`) or read back from a run
(:mod:`.runs`), go in a block at a time: its document numbers, weights and position
values encoded at C speed, zlib only where it pays; short lists (:class:`ShortLists`) each
written as its one block with its term table entry, without Whoosh's calls, in one write per
field. The files are those Whoosh's own writer makes, apart from
which blocks are compressed (a flag in each block) and the pickle protocol of the blocks and
their tuples or arrays (see ``schema.BLOCK_PROTOCOL`` and ``schema.ARRAY_BLOCKS_FROM``);
Whoosh reads them as its own, and a test pins that the postings equal Whoosh's, byte for byte.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import pickle
import struct
import zlib
from array import array
from collections.abc import Sequence
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter, W3TermInfo
from whoosh.system import pack_int, pack_uint
from whoosh.util.numeric import length_to_byte

from newsindex.engines.whoosh.codec.impacts import block_impact
from newsindex.engines.whoosh.codec.schema import ARRAY_BLOCKS_FROM, BLOCK_PROTOCOL

__all__ = [
    "LENGTH_BYTES",
    "SINGLE_PRECISION",
    "SINGLE_VALUES",
    "BlockWriter",
    "ShortLists",
    "add_postings",
    "block_figures",
    "block_stats",
    "position_value",
]

_COMPRESS_FROM = 128
"""Blocks whose pickle is shorter than this are stored uncompressed (zlib gains them nothing and
its setup costs more than the rest of writing them)."""

_TERM_INFO = W3TermInfo._struct
"""A term entry's figures, as ``W3TermInfo.to_bytes`` packs them (its offset and length follow)."""

_SHORT_INFO = struct.Struct(_TERM_INFO.format + "qi")
"""A term entry's value when its postings are one block: its figures, then the block's offset
and length (``pack_long`` and ``pack_int``)."""

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


class ShortLists:
    """Writes posting lists of at most a block's worth for one field of a segment, each as its
    one block with its term table entry: the bytes ``start_postings``, :func:`add_postings`,
    ``finish_postings``, ``W3TermInfo.to_bytes`` and ``OrderedHashWriter.add`` would write,
    without their calls, and gathered into one write per file (most terms have a posting or
    a few, so their cost is per term).

    Nothing else may write to the postings file or the term table between an :meth:`add`
    and the next :meth:`flush`.
    """

    def __init__(self, postwriter: Any, table: Any, prefix: bytes, fieldobj: Any) -> None:
        self.postfile, self.table, self.prefix = postwriter._postfile, table, prefix
        self.compression = postwriter._compression
        # How W3PostingsWriter._mini_values stores the values: a tuple, None or joined bytes.
        fixed = fieldobj.format.fixed_value_size()
        self.values_kind = (
            "tuple" if fixed is None or fixed < 0 else "none" if fixed == 0 else "join"
        )
        self.blocks: list[bytes] = []
        self.entries: list[bytes] = []
        self.postpos = self.tablepos = 0  # where the next block and entry go, once started

    def add(
        self,
        btext: bytes,
        docnums: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        stats: tuple[float, int | None, int],
    ) -> None:
        """Add a term's postings (weights as stored: single precision) and their block's
        highest weight, shortest and longest field length (see :func:`block_stats`)."""
        key = self.prefix + btext
        table = self.table
        if key <= table.lastkey:
            raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
        if not self.blocks:  # the files may have been written to since the last flush
            self.postpos, self.tablepos = self.postfile.tell(), table.dbfile.tell()
        heaviest, shortest, longest = stats
        count = len(docnums)
        if count == 1:
            ids: Sequence[int] = (docnums[0],)
        else:
            deltas = map(operator.sub, docnums, itertools.chain((0,), docnums))
            ids = array("I", deltas) if count >= ARRAY_BLOCKS_FROM else tuple(deltas)
        first = weights[0]
        packed: Any
        if count == 1 or weights.count(first) == count:
            packed = None if first == 1.0 else first
        else:
            packed = weights if type(weights) is array else array("f", weights)
            if count < ARRAY_BLOCKS_FROM:
                packed = tuple(packed)
        kept = [v for v in values if v]
        kind = self.values_kind
        mini = tuple(kept) if kind == "tuple" else (None if kind == "none" else b"".join(kept))
        databytes = pickle.dumps((ids, packed, mini), BLOCK_PROTOCOL)
        level = self.compression if len(databytes) >= _COMPRESS_FROM else 0
        if level:
            databytes = zlib.compress(databytes, level)
        shortest_byte, longest_byte = LENGTH_BYTES[shortest], LENGTH_BYTES[longest]
        last = docnums[-1]
        infobytes = pickle.dumps((count, last, heaviest, level, shortest_byte, longest_byte), 2)
        blocklength = len(infobytes) + len(databytes)
        block = b"".join((WHOOSH3_HEADER_MAGIC, pack_int(-blocklength), infobytes, databytes))
        value = _SHORT_INFO.pack(
            False,
            sum(weights),
            count,
            shortest_byte,
            longest_byte,
            heaviest,
            docnums[0],
            last,
            self.postpos,
            len(block),
        )
        self.blocks.append(block)
        self.postpos += len(block)
        entry = _ENTRY_LENGTHS.pack(len(key), len(value)) + key + value
        self.entries.append(entry)
        table.index.append(self.tablepos)
        hashed = _md5_hash(key)
        table.buckets[hashed & 255].append((hashed, self.tablepos))
        self.tablepos += len(entry)
        table.lastkey = key

    def flush(self) -> None:
        """Write what was added."""
        if self.blocks:
            self.postfile.write(b"".join(self.blocks))
            self.table.dbfile.write(b"".join(self.entries))
            self.blocks, self.entries = [], []


def _md5_hash(key: bytes) -> int:
    """Whoosh's ``md5_hash`` (the low 32 bits of the key's MD5), from the digest's bytes."""
    return int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[12:], "big")


class _LengthBytes(dict):
    """Field length -> ``length_to_byte(length)``, memoised."""

    def __missing__(self, length: int | None) -> int:
        found = self[length] = length_to_byte(length)
        return found


LENGTH_BYTES = _LengthBytes()


class _Single(dict):
    """Weight -> the same weight in single precision, as an ``array("f")`` stores it, memoised
    (a term's one posting is held as a plain float: see the writer)."""

    def __missing__(self, weight: float) -> float:
        found = self[weight] = array("f", (weight,))[0]
        return found


SINGLE_PRECISION = _Single()


def add_postings(
    postwriter: Any,
    docnums: Sequence[int],
    weights: Sequence[float],
    values: Sequence[Any],
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
        postwriter._maxweight, postwriter._minlength, postwriter._maxlength = block_stats(
            postwriter._ids, postwriter._weights, lengths
        )


def block_figures(
    docnums: Sequence[int],
    weights: Sequence[float],
    lengths: dict[int, int],
    title: Sequence[int] | None,
    limit: int,
) -> list:
    """The impacts (see :mod:`.impacts`) of a body word's blocks of ``limit``
    postings; ``title``: the documents with the word in the title, if any."""
    titled = set(title) if title is not None else None
    return [
        block_impact(
            docnums[start : start + limit], weights[start : start + limit], lengths, titled
        )
        for start in range(0, len(docnums), limit)
    ]


def block_stats(
    docnums: Sequence[int], weights: Sequence[float], lengths: dict[int, int]
) -> tuple[float, int | None, int]:
    """A block's highest weight, shortest and longest field length (None and 0 when its
    documents have no length), as Whoosh's postings writer keeps them for the block header."""
    known = [n for n in map(lengths.get, docnums) if n]
    return max(0, max(weights)), (min(known) if known else None), (max(known) if known else 0)
