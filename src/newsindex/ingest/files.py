"""Read files and folders of articles, choosing the reader by file type.

Folders are read recursively in name order, so the same folder always yields the same articles
in the same order. Inside a folder, hidden files and folders (names starting with ``.``: version
control, editor and system files) are skipped silently, files of other types are skipped and
passed to ``on_ignored`` if one is given, and symbolic links to folders are not followed (so a
link loop cannot trap the walk). A file named explicitly must be of a supported type.

A name that does not say the type (no extension, ``.gz``, ``.xml``, ``.htm``, ``.html``) is read
by its content (:mod:`newsindex.ingest.detect`), falling back to its ending's reader if it has
one; so is a stream, such as standard input, unless its format is given. An ``http://`` or
``https://`` URL given to :func:`read_paths` is fetched (:mod:`newsindex.ingest.fetch`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from newsindex.errors import IngestError, InvalidArgumentError
from newsindex.ingest.common import OnError, read_failure, report_error
from newsindex.ingest.csvfile import ColumnMap, check_column_map, read_csv, read_tsv
from newsindex.ingest.dates import DateOrder
from newsindex.ingest.detect import detect_type
from newsindex.ingest.feeds import read_feed
from newsindex.ingest.fetch import Fetcher, is_url
from newsindex.ingest.jsonl import read_json, read_jsonl
from newsindex.ingest.pages import read_page
from newsindex.ingest.seed import read_seed
from newsindex.ingest.warc import OnSkipped, read_warc
from newsindex.models import Article

__all__ = [
    "FILE_TYPES",
    "OnIgnored",
    "Source",
    "file_type",
    "input_formats",
    "read_path",
    "read_paths",
    "read_stream",
]

Source = str | os.PathLike[str] | BinaryIO
"""A file or folder, a URL (a string), or a binary stream (standard input, an upload) read by
its content."""

OnIgnored = Callable[[Path], None] | None
"""Called with each file of another type a folder holds, or ``None`` to skip them silently."""


def _read_seed(path: Path, *, on_error: OnError = None) -> Iterator[Article]:
    try:
        yield from read_seed(path)
    except IngestError as err:
        report_error(err, on_error)


FILE_TYPES: dict[str, Callable[..., Iterator[Article]]] = {
    ".txt": _read_seed,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".jsonl.gz": read_jsonl,
    ".ndjson.gz": read_jsonl,
    ".json": read_json,
    ".json.gz": read_json,
    ".csv": read_csv,
    ".csv.gz": read_csv,
    ".tsv": read_tsv,
    ".tsv.gz": read_tsv,
    ".rss": read_feed,
    ".atom": read_feed,
    ".xml": read_feed,
    ".html": read_page,
    ".htm": read_page,
    ".warc": read_warc,
    ".warc.gz": read_warc,
}
"""File name endings (lowercase) and their readers, called as ``reader(path, on_error=...)``."""

_EXPECTED = ", ".join(list(FILE_TYPES)[:-1]) + " or " + list(FILE_TYPES)[-1]
# Endings that do not say what a file holds: its content does.
_SNIFFED_ENDINGS = (".gz", ".xml", ".htm", ".html")
_TAKE_COLUMN_MAP = frozenset({read_csv, read_tsv, read_jsonl, read_json})
# Longest first, so "x.jsonl.gz" is matched whole rather than by a shorter ending.
_ENDINGS = sorted(FILE_TYPES, key=len, reverse=True)


def file_type(path: str | os.PathLike[str]) -> str | None:
    """The :data:`FILE_TYPES` key a file name ends with (case-insensitively), or ``None``."""
    name = Path(path).name.lower()
    return next((end for end in _ENDINGS if name.endswith(end)), None)


def input_formats() -> tuple[str, ...]:
    """The names a format may be given by: each :data:`FILE_TYPES` ending without its dots and
    ``.gz`` (``csv``, ``json``, ``jsonl`` ...), sorted."""
    return tuple(sorted({kind.lstrip(".").removesuffix(".gz") for kind in FILE_TYPES}))


_FORMATS = ", ".join(input_formats())


def read_path(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = None,
    on_ignored: OnIgnored = None,
    on_skipped: OnSkipped = None,
    column_map: ColumnMap | None = None,
    format: str | None = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    """Yield the articles of a file (read by its type) or of a folder (recursively).

    ``column_map`` (article field to column or key name) is for CSV, TSV and JSON files;
    ``format`` (one of :func:`input_formats`) reads a file named explicitly as that format,
    whatever its name.
    ``on_skipped(address, content_type)`` hears of each web-archive record that is not a page.
    ``date_order`` (``"dayfirst"`` or ``"monthfirst"``) reads a date such as ``03/04/2025``,
    an error without it.
    """
    forced = _format_type(format)
    columns = check_column_map(column_map or {})
    target = Path(path)
    try:
        is_folder = stat.S_ISDIR(target.stat().st_mode)
    except FileNotFoundError:
        report_error(IngestError(str(path), 0, "no such file or folder"), on_error)
        return
    except OSError as exc:
        report_error(IngestError(str(path), 0, read_failure(exc)), on_error)
        return
    if is_folder:
        for file, found in _walk(target, on_error, on_ignored):
            yield from _read_file(file, found, on_error, columns, on_skipped, date_order)
        return
    try:
        kind = forced or _kind_of(target)
    except OSError as exc:
        report_error(IngestError(str(path), 0, read_failure(exc)), on_error)
        return
    if kind is None:
        shown = f"'{target.suffix}'" if target.suffix else "(no extension)"
        reason = f"unsupported file type {shown} (expected {_EXPECTED})"
        report_error(IngestError(str(path), 0, reason), on_error)
        return
    yield from _read_file(target, kind, on_error, columns, on_skipped, date_order)


def read_stream(
    stream: BinaryIO,
    *,
    name: str | None = None,
    on_error: OnError = None,
    column_map: ColumnMap | None = None,
    format: str | None = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    """Yield the articles of a binary stream, read as ``format`` or, without one, by content.

    Errors name ``name``: by default the stream's own name, else ``<stdin>``. The stream is
    copied to a temporary file first, which is removed when reading ends.
    """
    forced = _format_type(format)
    columns = check_column_map(column_map or {})
    if name is None:
        own = getattr(stream, "name", None)
        name = own if isinstance(own, str) else "<stdin>"
    shown = name

    def renamed(err: IngestError) -> IngestError:
        return IngestError(shown, err.line, err.reason)

    def report(err: IngestError) -> None:
        report_error(renamed(err), on_error)

    with tempfile.TemporaryDirectory(prefix="newsindex-") as folder:
        copy = Path(folder) / "input"
        try:
            with open(copy, "wb") as file:
                shutil.copyfileobj(stream, file)
            kind = forced or detect_type(copy)
        except OSError as exc:
            report_error(IngestError(shown, 0, read_failure(exc)), on_error)
            return
        if kind is None:
            reason = f"cannot tell the format of the input: give it as one of {_FORMATS}"
            report_error(IngestError(shown, 0, reason), on_error)
            return
        try:
            yield from _read_file(
                copy, kind, report if on_error else None, columns, date_order=date_order
            )
        except IngestError as err:
            raise renamed(err) from err.__cause__


def read_paths(
    paths: Iterable[Source] | str | os.PathLike[str],
    *,
    on_error: OnError = None,
    on_ignored: OnIgnored = None,
    on_skipped: OnSkipped = None,
    column_map: ColumnMap | None = None,
    format: str | None = None,
    fetcher: Fetcher | None = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    """Yield the articles of several files, folders, URLs and streams, in the order given.

    A single path is accepted too, so ``read_paths("news/")`` does not iterate over characters.
    ``column_map`` and ``format`` are as for :func:`read_path` and :func:`read_stream`. URLs
    are fetched by ``fetcher``, else by a :class:`~newsindex.ingest.fetch.Fetcher` with its
    defaults, made for this call.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    with contextlib.ExitStack() as stack:
        for path in paths:
            if isinstance(path, str) and is_url(path):
                fetcher = fetcher or stack.enter_context(Fetcher())
                yield from fetcher.read(path, on_error=on_error)
            elif isinstance(path, (str, os.PathLike)):
                yield from read_path(
                    path,
                    on_error=on_error,
                    on_ignored=on_ignored,
                    on_skipped=on_skipped,
                    column_map=column_map,
                    format=format,
                    date_order=date_order,
                )
            else:
                yield from read_stream(
                    path,
                    on_error=on_error,
                    column_map=column_map,
                    format=format,
                    date_order=date_order,
                )


def _format_type(format: str | None) -> str | None:
    """The :data:`FILE_TYPES` key of a format name, or :class:`InvalidArgumentError`."""
    if format is None:
        return None
    if format not in input_formats():
        raise InvalidArgumentError(
            "format", format, f"Unknown format {format!r}: use one of {_FORMATS}."
        )
    return next(kind for kind in FILE_TYPES if kind.lstrip(".").removesuffix(".gz") == format)


def _kind_of(path: Path) -> str | None:
    """The :data:`FILE_TYPES` key to read ``path`` with: by its name or, where the name does not
    say, by its content. Raises ``OSError`` when the content cannot be read."""
    kind = file_type(path)
    if (kind is None and not path.suffix) or path.name.lower().endswith(_SNIFFED_ENDINGS):
        return detect_type(path) or kind
    return kind


def _read_file(
    path: Path,
    kind: str,
    on_error: OnError,
    column_map: ColumnMap,
    on_skipped: OnSkipped = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    reader = FILE_TYPES[kind]
    options: dict[str, Any] = {}
    if reader in _TAKE_COLUMN_MAP:  # the readers of records: JSON, CSV
        options = {"column_map": column_map or None, "date_order": date_order}
    elif on_skipped is not None and reader is read_warc:
        options = {"on_skipped": on_skipped}
    yield from reader(path, on_error=on_error, **options)


def _walk(folder: Path, on_error: OnError, on_ignored: OnIgnored) -> Iterator[tuple[Path, str]]:
    """Readable files under ``folder`` and their types, depth first, in name order; files of
    other types go to ``on_ignored``."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        report_error(IngestError(str(folder), 0, read_failure(exc)), on_error)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path, on_error, on_ignored)
        elif entry.is_file():
            try:
                kind = _kind_of(path)
            except OSError as exc:
                report_error(IngestError(str(path), 0, read_failure(exc)), on_error)
                continue
            if kind:
                yield path, kind
            elif on_ignored is not None:
                on_ignored(path)
