"""Runs: a segment's postings written out in pieces while memory fills, joined at the end.

An import process keeps one segment open from its first document to its last. Whenever the
postings it holds pass its memory share, it writes them out as a *run* (:class:`RunWriter`),
fields and terms in sorted order: a term with more postings than fill one block as its posting
blocks, already in the index's format; a term with fewer (most terms) as its postings
themselves, in the run's list of terms. The segment's document numbers go on from one run to
the next, so a term's postings in run 2 all come after its postings in run 1.

When the segment is finished, :func:`join_runs` writes its postings file from the runs, term
by term: the blocks are copied as bytes, without decoding or encoding them again (only the mark
on a term's last block, a negative length, becomes a plain one where more blocks follow), and
the short pieces are packed into full blocks, so that a rare word has as few blocks as it
would have had in a segment written at once.

A search is as fast as the index has few segments (each is another look-up of every term and
another set of matchers); runs bound an import's memory without making more segments. Their
files live in the index's temporary folder, which the import removes when it ends, and a later
writer removes if a killed import left it.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
import struct
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.system import pack_ushort

from newsindex.engines.whoosh.codec.impacts import combine, encode_impacts
from newsindex.engines.whoosh.codec.postfile import ShortLists

__all__ = ["RunWriter", "join_runs"]

_RECORDS_PER_CHUNK = 4096
"""Term records pickled together in a run's term file, read back a chunk at a time."""

_LENGTH = struct.Struct("!i")
"""A block's length prefix, as Whoosh's postings writer writes it (negative on a term's last
block)."""

# A term's record in a run: field name, term bytes, run number, then its statistics (total
# weight, document frequency, shortest and longest field length, highest weight, first and
# last document number), then either the postings themselves (document numbers, weights,
# position values) or None, and the length of its blocks in the run's postings file and the
# offset of its last block in them, and last the impacts of its blocks or piece and the
# layouts of its blocks (see .impacts), if they were computed. The first three sort
# a term's records by run, so by document number.
Record = tuple[
    str,
    bytes,
    int,
    float,
    int,
    "int | None",
    int,
    float,
    int,
    int,
    "tuple[Any, Any, Any] | None",
    int,
    int,
    "tuple[list, list] | None",
]


class RunWriter:
    """Takes postings as a Whoosh field writer does (``start_field``, ``start_term``, the
    postings writer's blocks, ``finish_term``) into run ``number`` of a segment."""

    def __init__(self, storage: Any, name: str, number: int, codec: Any) -> None:
        self.number, self.codec = number, codec
        self._postfile = storage.create_file(name + ".pst")
        self._termfile = storage.create_file(name + ".trm")
        self._records: list[Record] = []
        self._postwriter: Any = None
        self._fieldname = ""
        self._format: Any = None
        self._btext = b""
        self.impacts: list | None = None  # the current term's, set before finish_term

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        self._fieldname = fieldname
        self._format = fieldobj.format
        self._postwriter = self.codec.postings_writer(self._postfile)

    def start_term(self, btext: bytes) -> None:
        self._btext = btext
        self._postwriter.start_postings(self._format, W3TermInfo())

    def finish_term(self) -> None:
        postwriter = self._postwriter
        if postwriter.written():
            info = postwriter.finish_postings()
            offset, length = info.extent()
            stats = (
                info._weight,
                info._df,
                info._minlength,
                info._maxlength,
                info._maxweight,
                info._minid,
                info._maxid,
            )
            postings = None
            blocks, last_block = length, postwriter.last_block - offset
        else:  # fewer postings than a block: kept as they are, to pack with other runs'
            ids, weights = postwriter._ids, postwriter._weights
            stats = (
                sum(weights),
                len(ids),
                postwriter._minlength,
                postwriter._maxlength,
                postwriter._maxweight,
                ids[0],
                ids[-1],
            )
            postings = (ids, weights, postwriter._values)
            blocks = last_block = 0
            postwriter._terminfo = None  # between terms, as finish_postings leaves it
        impacts = None
        if self.impacts is not None:
            impacts = (self.impacts, postwriter.layouts or [])
        self._records.append(
            (
                self._fieldname,
                self._btext,
                self.number,
                *stats,
                postings,
                blocks,
                last_block,
                impacts,
            )
        )
        self.impacts = postwriter.layouts = None
        if len(self._records) >= _RECORDS_PER_CHUNK:
            self._write_records()

    def short_lists(self) -> _ShortRecords:
        """Where the current field's posting lists of fewer postings than a block may go
        instead of through ``start_term`` and ``finish_term`` (as :class:`.postfile.ShortLists`
        takes them)."""
        return _ShortRecords(self)

    def add_record(self, record: Record) -> None:
        self._records.append(record)
        if len(self._records) >= _RECORDS_PER_CHUNK:
            self._write_records()

    def finish_field(self) -> None:
        self._postwriter = None

    def _write_records(self) -> None:
        self._termfile.write(pickle.dumps(self._records, pickle.HIGHEST_PROTOCOL))
        self._records = []

    def close(self) -> None:
        if self._records:
            self._write_records()
        self._termfile.close()
        self._postfile.close()


class _ShortRecords:
    """A run's records of short posting lists, added as :class:`.postfile.ShortLists` takes
    them: the postings kept as they are, to pack with other runs' (no impacts)."""

    def __init__(self, run: RunWriter) -> None:
        self.run = run

    def add(
        self,
        btext: bytes,
        docnums: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        stats: tuple[float, int | None, int],
    ) -> None:
        """Add a term's postings and its block's figures (see ``postfile.block_stats``)."""
        heaviest, shortest, longest = stats
        kept = values if len(values) == 1 or all(values) else [v for v in values if v]
        run = self.run
        run.add_record(
            (
                run._fieldname,
                btext,
                run.number,
                sum(weights),
                len(docnums),
                shortest,
                longest,
                heaviest,
                docnums[0],
                docnums[-1],
                (docnums, weights, kept),
                0,
                0,
                None,
            )
        )

    def flush(self) -> None:
        """Nothing to do: records are written with the run's."""


def _records(storage: Any, name: str) -> Iterator[Record]:
    with storage.open_file(name + ".trm") as termfile:
        raw = termfile.file
        while True:
            try:
                chunk = pickle.load(raw)
            except EOFError:
                return
            yield from chunk


class _Joiner:
    """Writes a term's postings from its runs' records through the segment's postings writer
    (newsindex's block writer): short pieces packed into blocks, blocks copied."""

    def __init__(self, postwriter: Any, runs: list[Any]) -> None:
        self.postwriter, self.runs = postwriter, runs
        self.limit = postwriter._blocklimit
        self.impacts: list | None = None  # the last term's, per block; None: not all known

    def write(self, records: list[Record], *, impacts: bool = False) -> None:
        """Write a term's postings from its ``records``; with ``impacts``, gather its blocks'
        figures and layouts (see .impacts) in ``impacts`` and the postings writer's
        ``layouts``."""
        self.impacts = [] if impacts else None
        self.postwriter.layouts = [] if impacts else None
        pending: list[Record] = []
        count = 0
        last = len(records) - 1
        for i, record in enumerate(records):
            if record[10] is None:
                if pending:
                    self._pack(pending, last=False)
                    pending, count = [], 0
                self._copy(record, last=i == last)
                continue
            if pending and count + record[4] > self.limit:
                self._pack(pending, last=False)
                pending, count = [], 0
            pending.append(record)
            count += record[4]
        if pending:
            self._pack(pending, last=True)

    def _pack(self, records: list[Record], last: bool) -> None:
        """Write the postings of short pieces as one block."""
        postwriter = self.postwriter
        if len(records) == 1:
            ids, weights, values = _postings(records[0])
        else:
            ids, weights, values = array("I"), array("f"), []
            for record in records:
                part_ids, part_weights, part_values = _postings(record)
                ids.extend(part_ids)
                weights.extend(part_weights)
                values.extend(part_values)
        shortest = [record[5] for record in records if record[5] is not None]
        if self.impacts is not None:
            pieces = [record[13][0][0] if record[13] else None for record in records]
            self.impacts.append(combine(pieces, ids[-1]))
        postwriter._ids, postwriter._weights, postwriter._values = ids, weights, values
        postwriter._minlength = min(shortest) if shortest else None
        postwriter._maxlength = max(record[6] for record in records)
        postwriter._maxweight = max(record[7] for record in records)
        postwriter._write_block(last=last)

    def _copy(self, record: Record, last: bool) -> None:
        """Copy a run's blocks of the term; add their statistics to the term's."""
        postwriter = self.postwriter
        if self.impacts is not None:
            if record[13] is None or len(record[13][0]) != len(record[13][1]):
                self.impacts = None
            else:
                self.impacts.extend(record[13][0])
                postwriter.layouts.extend(record[13][1])
        data = self.runs[record[2]].read(record[11])
        if not last:  # more blocks follow: the run's last block is no longer the term's
            data = bytearray(data)
            (mark,) = _LENGTH.unpack_from(data, record[12])
            _LENGTH.pack_into(data, record[12], -mark)
        if postwriter._blockcount:
            data = memoryview(data)[len(WHOOSH3_HEADER_MAGIC) :]
        postwriter._postfile.write(data)
        postwriter._blockcount += 1
        info = postwriter._terminfo
        weight, df, shortest, longest, heaviest, first, final = record[3:10]
        info._weight += weight
        info._df += df
        if shortest is not None and (info._minlength is None or shortest < info._minlength):
            info._minlength = shortest
        info._maxlength = max(info._maxlength, longest)
        info._maxweight = max(info._maxweight, heaviest)
        if info._minid is None:
            info._minid = first
        info._maxid = final


def join_runs(
    storage: Any,
    names: list[str],
    fieldwriter: Any,
    schema: Any,
    block_writer: type,
    *,
    impacts: tuple[str, list] | None = None,
) -> None:
    """Write the postings of the runs ``names`` (in document order) through ``fieldwriter``,
    the segment's Whoosh 3 field writer, with postings writers of class ``block_writer``;
    then delete the runs' files. ``impacts``: a field, and a list to append ``(term,
    encoded figures)`` to for its terms whose blocks' figures are all known and stored (see
    :func:`.impacts.encode_impacts`)."""
    runs = [storage.open_file(name + ".pst") for name in names]
    terms = _by_term(heapq.merge(*(_records(storage, name) for name in names)))
    try:
        for fieldname, field_terms in itertools.groupby(terms, key=lambda records: records[0][0]):
            fieldwriter.start_field(fieldname, schema[fieldname])
            fieldwriter._postwriter.__class__ = block_writer
            postwriter = fieldwriter._postwriter
            joiner = _Joiner(postwriter, [run.file for run in runs])
            short = ShortLists(
                postwriter,
                fieldwriter._tindex,
                pack_ushort(fieldwriter._fieldid),
                schema[fieldname],
            )
            limit = postwriter._blocklimit
            stored = impacts[1] if impacts is not None and fieldname == impacts[0] else None
            for records in field_terms:
                if _short(records, limit):
                    short.add(records[0][1], *_joined(records))
                    continue
                short.flush()
                fieldwriter.start_term(records[0][1])
                joiner.write(records, impacts=stored is not None)
                figures, layouts = joiner.impacts, postwriter.layouts
                postwriter.layouts = None
                if stored is not None and figures is not None:
                    encoded = encode_impacts(figures, layouts)
                    if encoded is not None:
                        stored.append((records[0][1], encoded))
                fieldwriter.finish_term()
            short.flush()
            fieldwriter.finish_field()
    finally:
        for run in runs:
            run.close()
    for name in names:
        storage.delete_file(name + ".pst")
        storage.delete_file(name + ".trm")


def _short(records: list[Record], limit: int) -> bool:
    """Whether a term's records are postings (no blocks) that fill one block at most."""
    if len(records) == 1:
        return records[0][10] is not None and records[0][4] <= limit
    return all(record[10] is not None for record in records) and (
        sum(record[4] for record in records) <= limit
    )


def _joined(
    records: list[Record],
) -> tuple[Any, Any, Any, tuple[float, int | None, int]]:
    """The postings of a term's short records as one list, and its block's highest weight,
    shortest and longest field length: what :meth:`_Joiner._pack` writes of them."""
    if len(records) == 1:
        record = records[0]
        ids, weights, values = _postings(record)
        return ids, weights, values, (record[7], record[5], record[6])
    ids, weights, values = array("I"), array("f"), []
    for record in records:
        part_ids, part_weights, part_values = _postings(record)
        ids.extend(part_ids)
        weights.extend(part_weights)
        values.extend(part_values)
    shortest = [record[5] for record in records if record[5] is not None]
    stats = (
        max(record[7] for record in records),
        min(shortest) if shortest else None,
        max(record[6] for record in records),
    )
    return ids, weights, values, stats


def _postings(record: Record) -> tuple[Any, Any, Any]:
    """The postings a record of fewer postings than a block holds (the only kind packed)."""
    postings = record[10]
    assert postings is not None, "a record of whole blocks has no postings to pack"
    return postings


def _by_term(records: Iterator[Record]) -> Iterator[list[Record]]:
    """Group sorted records by (field, term)."""
    group: list[Record] = []
    for record in records:
        if group and (record[1] != group[0][1] or record[0] != group[0][0]):
            yield group
            group = []
        group.append(record)
    if group:
        yield group
