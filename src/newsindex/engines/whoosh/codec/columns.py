"""Per-segment column values read into arrays once, for the query layer and the ranking.

Whoosh reads a column value with a file read and a ``struct`` unpack per document. Scoring and
date filtering ask for one per matching document, so every query paid that cost for every
match. Here a segment's column is read whole, once per open segment, at C speed.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.columns import NumericColumn
from whoosh.util.numeric import byte_to_length

from newsindex.engines.whoosh.codec.schema import UNDATED
from newsindex.fields import DATE_FIELD

__all__ = [
    "date_order",
    "date_sort_keys",
    "dates",
    "field_lengths",
    "first_keys",
    "per_segment",
]

_CACHE: weakref.WeakKeyDictionary[Any, dict[object, object]] = weakref.WeakKeyDictionary()

_LENGTHS = [byte_to_length(b) if b else 1 for b in range(256)]
"""Field length by Whoosh's length byte; 1 for "no length", as Whoosh's BM25F reads it."""


def per_segment(reader: Any, key: object, build: Callable[[], object]) -> Any:
    """``build()`` once per segment reader and ``key``; kept while the reader lives."""
    cached = _CACHE.setdefault(reader, {})
    if key not in cached:
        cached[key] = build()
    return cached[key]


def _values(column: Any) -> Sequence[int]:
    """Every value of a column reader, by document number."""
    if isinstance(column, NumericColumn.Reader):
        values = array(column._typecode)
        if values.itemsize == column._fixedlen:
            values.frombytes(column._dbfile.get(column._basepos, column._count * column._fixedlen))
            if sys.byteorder == "little":
                values.byteswap()  # Whoosh stores them big-endian
            missing = column._doccount - column._count  # the writer leaves trailing defaults out
            values.extend([column._default] * missing)
            return values
    return list(column)


def dates(reader: Any) -> Sequence[int]:
    """The date column of a segment (Whoosh's ticks), by document number; ``[]`` if none."""

    def build() -> Sequence[int]:
        if not reader.has_column(DATE_FIELD):
            return []
        return _values(reader.column_reader(DATE_FIELD, translate=False))

    return per_segment(reader, DATE_FIELD, build)


def date_order(reader: Any) -> tuple[Sequence[int], Sequence[int]]:
    """A segment's dates in ascending order and the document numbers in that order (for
    finding the documents of a date range by bisection)."""

    def build() -> tuple[Sequence[int], Sequence[int]]:
        published = dates(reader)
        docnums = sorted(range(len(published)), key=published.__getitem__)
        keys: Sequence[int] = list(map(published.__getitem__, docnums))
        if isinstance(published, array):
            keys = array(published.typecode, keys)
        return keys, array("I", docnums)

    return per_segment(reader, ("date order",), build)


def date_sort_keys(reader: Any, *, newest_first: bool) -> array[int]:
    """A segment's sort keys for date order, by document number: ascending keys put the
    newest (or the oldest) first, and undated articles last either way, all equal."""

    def build() -> array[int]:
        published = dates(reader) or [UNDATED] * reader.doc_count_all()
        if newest_first:  # dates negated (ticks are >= 0); undated above them all
            return array("q", [-d if d < UNDATED else 1 for d in published])
        return array("Q", [d if d < UNDATED else UNDATED for d in published])

    return per_segment(reader, ("date sort keys", newest_first), build)


_KEY_CHUNK = 64
"""Documents per chunk in :func:`first_keys`' table of the least key of each chunk."""


def first_keys(reader: Any, lasts: Sequence[int], *, newest_first: bool) -> list[int]:
    """For each of the consecutive ranges of a segment's documents that start at document 0
    and end at ``lasts`` (inclusive, ascending: a posting list's blocks), a lower bound of
    the least date sort key (see :func:`date_sort_keys`) among its documents: the least key
    of the chunks of ``_KEY_CHUNK`` documents it overlaps, from a table built once per
    segment. A chunk the range shares with its neighbour may lower its bound; articles added
    in date order have neighbours of about the same date."""
    keys = date_sort_keys(reader, newest_first=newest_first)

    def build() -> Sequence[int]:
        chunks = (keys[i : i + _KEY_CHUNK] for i in range(0, len(keys), _KEY_CHUNK))
        return array(keys.typecode, map(min, chunks))

    minima = per_segment(reader, ("date sort key minima", newest_first), build)
    firsts = itertools.chain((0,), ((last + 1) // _KEY_CHUNK for last in lasts))
    ends = (last // _KEY_CHUNK + 1 for last in lasts)
    return list(map(min, map(minima.__getitem__, map(slice, firsts, ends))))


def field_lengths(reader: Any, fieldname: str) -> Sequence[int]:
    """Each document's length in ``fieldname`` as Whoosh's scorers see it (quantized; 1 if
    the field is empty)."""

    def build() -> Sequence[int]:
        perdoc = getattr(reader, "_perdoc", None)
        if perdoc is None or not hasattr(perdoc, "_cached_reader"):  # not a Whoosh 3 segment
            return [reader.doc_field_length(d, fieldname, 1) for d in range(reader.doc_count_all())]
        column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if column is None:
            return [1] * reader.doc_count_all()
        return array("I", [_LENGTHS[b] for b in _values(column)])

    return per_segment(reader, ("lengths", fieldname), build)
