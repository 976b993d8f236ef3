"""Read articles from CSV and TSV files (``.csv``, ``.tsv``, gzipped or not) with a header row.

Each row becomes a record keyed by its column names and is read by
:func:`newsindex.ingest.records.article_from_record`, so the columns are named as a JSON record's
keys are (``title``/``headline``, ``body``/``content``/``text``, ``published``/``date``/``pubDate``,
``url``/``link`` ...), in any letter case. A column map (``{"title": "Headline Text"}``: article
field to column) names the others. ``authors`` and ``tags`` columns may hold several names
separated by ``;`` or ``|``.

The delimiter of a ``.csv`` file (``,``, ``;`` or a tab) is found by :class:`csv.Sniffer` on the
first rows, else by counting them in the header; a ``.tsv`` file is tab-separated. Fields may be
quoted and hold newlines; a leading BOM is dropped. Errors name the file and the physical line
where the row starts.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping

from newsindex.errors import IngestError, InvalidArgumentError
from newsindex.ingest.common import (
    OnError,
    open_binary,
    read_failure,
    report_error,
    utf8_reason,
)
from newsindex.ingest.dates import DateOrder
from newsindex.ingest.records import FIELD_KEYS, KNOWN_KEYS, article_from_record
from newsindex.models import Article

__all__ = [
    "DELIMITERS",
    "ColumnMap",
    "check_column_map",
    "looks_like_csv",
    "read_csv",
    "read_tsv",
    "sniff_delimiter",
]

ColumnMap = Mapping[str, str]
"""Article field to the column it is read from: ``{"title": "headline", "published": "date"}``."""

DELIMITERS = ",;\t"
"""The delimiters a ``.csv`` file may use."""

_SNIFF_BYTES = 64 * 1024
_LIST_SEPARATOR = re.compile(r"\s*[;|]\s*")
_LIST_FIELDS = ("authors", "tags")
_KEY_BY_LOWER = {key.lower(): key for key in KNOWN_KEYS}


def check_column_map(column_map: ColumnMap) -> dict[str, str]:
    """``column_map`` as a dict, or :class:`InvalidArgumentError` naming an unknown field."""
    for field, column in column_map.items():
        if field not in FIELD_KEYS:
            known = ", ".join(FIELD_KEYS)
            message = f"Cannot map a column to {field!r}: map to one of {known}."
            raise InvalidArgumentError("column_map", dict(column_map), message)
        if not isinstance(column, str) or not column.strip():
            message = f"The column mapped to {field!r} must be a column name, not {column!r}."
            raise InvalidArgumentError("column_map", dict(column_map), message)
    return dict(column_map)


def read_csv(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = None,
    column_map: ColumnMap | None = None,
    delimiter: str | None = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    """Yield the articles of a CSV file, one per row after the header; blank rows are skipped.

    ``delimiter`` is sniffed when not given. Gzipped files are recognised by their content.
    ``date_order`` reads a date such as ``03/04/2025`` day first or month first.
    """
    columns = check_column_map(column_map or {})
    name = str(path)
    try:
        stream = open_binary(path)
    except OSError as exc:
        report_error(IngestError(name, 0, read_failure(exc)), on_error)
        return
    with stream:
        yield from _read_rows(stream, name, on_error, columns, delimiter, date_order)


def read_tsv(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = None,
    column_map: ColumnMap | None = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    """Yield the articles of a tab-separated file, as :func:`read_csv` does."""
    yield from read_csv(
        path, on_error=on_error, column_map=column_map, delimiter="\t", date_order=date_order
    )


def sniff_delimiter(head: str) -> str | None:
    """The delimiter of a CSV text starting with ``head``: ``,``, ``;`` or a tab, or ``None``.

    :class:`csv.Sniffer` decides when what it finds also splits the header; otherwise the
    delimiter found most often in the header line wins.
    """
    header = head.split("\n", 1)[0]
    try:
        found = csv.Sniffer().sniff(head, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    if found and found in header:
        return found
    counts = {char: header.count(char) for char in DELIMITERS}
    best = max(counts, key=lambda char: counts[char])
    return best if counts[best] else None


def looks_like_csv(head: str) -> bool:
    """Whether ``head`` starts like a CSV file of articles: a header naming an article field."""
    lines = head.split("\n", 1)
    delimiter = sniff_delimiter(head) if len(lines) > 1 else None
    if delimiter is None:
        return False
    header = next(csv.reader([lines[0]], delimiter=delimiter), [])
    return any(_header_key(column) in KNOWN_KEYS for column in header)


def _header_key(column: str) -> str:
    column = column.strip()
    return _KEY_BY_LOWER.get(column.lower(), column)


def _read_rows(
    stream: Iterable[bytes],
    name: str,
    on_error: OnError,
    columns: dict[str, str],
    delimiter: str | None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    lines = _decoded_lines(stream, name)
    try:
        head = list(_take_head(lines))
    except IngestError as err:
        report_error(err, on_error)
        return
    if delimiter is None:
        delimiter = sniff_delimiter("".join(head)) or ","
    reader = csv.reader(itertools.chain(head, lines), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except IngestError as err:  # a bad byte: the rest of the file cannot be lined up
            report_error(err, on_error)
            return
        except csv.Error as exc:
            report_error(IngestError(name, start, f"invalid CSV: {exc}"), on_error)
            start = reader.line_num + 1
            if header is None:
                return
            continue
        line, start = start, reader.line_num + 1
        if not any(field.strip() for field in row):
            continue
        if header is None:
            try:
                header = _check_header(row, columns, name, line)
            except IngestError as err:
                report_error(err, on_error)
                return
            continue
        try:
            yield _article(header, row, columns, name, line, date_order)
        except IngestError as err:
            report_error(err, on_error)


def _decoded_lines(stream: Iterable[bytes], name: str) -> Iterator[str]:
    """The lines of ``stream`` as text, ends kept; a bad byte raises naming its line."""
    lineno = 0
    try:
        for lineno, raw in enumerate(stream, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise IngestError(name, lineno, utf8_reason(exc, exc.start)) from exc
            yield text.removeprefix("\ufeff") if lineno == 1 else text
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(name, lineno + 1 if lineno else 0, read_failure(exc)) from exc


def _take_head(lines: Iterator[str]) -> Iterator[str]:
    """The first lines of ``lines``, up to about :data:`_SNIFF_BYTES` characters."""
    size = 0
    for line in lines:
        yield line
        size += len(line)
        if size >= _SNIFF_BYTES:
            return


def _check_header(row: list[str], columns: dict[str, str], name: str, line: int) -> list[str]:
    header = [_header_key(column) for column in row]
    seen: set[str] = set()
    for column in header:
        if column in seen and column:
            raise IngestError(name, line, f"column {column!r} appears twice in the header")
        seen.add(column)
    for field, column in columns.items():
        if _header_key(column) not in seen:
            listed = ", ".join(repr(c.strip()) for c in row)
            raise IngestError(
                name, line, f"no column {column!r} (mapped to {field}); the header has {listed}"
            )
    return header


def _article(
    header: list[str],
    row: list[str],
    columns: dict[str, str],
    name: str,
    line: int,
    date_order: DateOrder = None,
) -> Article:
    if len(row) != len(header):
        raise IngestError(name, line, f"the row has {len(row)} fields and the header {len(header)}")
    record: dict[str, object] = dict(zip(header, row, strict=True))
    mapped = {field: record.get(_header_key(column)) for field, column in columns.items()}
    for column in columns.values():
        record.pop(_header_key(column), None)
    for field, value in mapped.items():
        for key in FIELD_KEYS[field]:
            record.pop(key, None)
        record[field] = value
    for field in _LIST_FIELDS:
        for key in FIELD_KEYS[field]:
            value = record.get(key)
            if isinstance(value, str) and value.strip():
                record[key] = _LIST_SEPARATOR.split(value.strip())
    return article_from_record(record, name, line, date_order=date_order)
