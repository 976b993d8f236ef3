"""Read files and folders of articles, choosing the reader by file type.

Folders are read recursively in name order, so the same folder always yields the same articles
in the same order. Inside a folder, hidden files and folders (names starting with ``.``: version
control, editor and system files) are skipped silently, files of other types are skipped and
passed to ``on_ignored`` if one is given, and symbolic links to folders are not followed (so a
link loop cannot trap the walk). A file named explicitly must be of a supported type.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from newsindex.errors import IngestError
from newsindex.ingest.common import OnError, read_failure, report_error
from newsindex.ingest.feeds import read_feed
from newsindex.ingest.jsonl import read_json, read_jsonl
from newsindex.ingest.seed import read_seed
from newsindex.models import Article

__all__ = ["FILE_TYPES", "OnIgnored", "file_type", "read_path", "read_paths"]

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
    ".rss": read_feed,
    ".atom": read_feed,
    ".xml": read_feed,
}
"""File name endings (lowercase) and their readers, called as ``reader(path, on_error=...)``."""

_EXPECTED = ", ".join(list(FILE_TYPES)[:-1]) + " or " + list(FILE_TYPES)[-1]
# Longest first, so "x.jsonl.gz" is matched whole rather than by a shorter ending.
_ENDINGS = sorted(FILE_TYPES, key=len, reverse=True)


def file_type(path: str | os.PathLike[str]) -> str | None:
    """The :data:`FILE_TYPES` key a file name ends with (case-insensitively), or ``None``."""
    name = Path(path).name.lower()
    return next((end for end in _ENDINGS if name.endswith(end)), None)


def read_path(
    path: str | os.PathLike[str], *, on_error: OnError = None, on_ignored: OnIgnored = None
) -> Iterator[Article]:
    """Yield the articles of a file (read by its type) or of a folder (recursively)."""
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
        for file in _walk(target, on_error, on_ignored):
            yield from _read_file(file, on_error)
        return
    kind = file_type(target)
    if kind is None:
        shown = f"'{target.suffix}'" if target.suffix else "(no extension)"
        reason = f"unsupported file type {shown} (expected {_EXPECTED})"
        report_error(IngestError(str(path), 0, reason), on_error)
        return
    yield from _read_file(target, on_error)


def read_paths(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    on_error: OnError = None,
    on_ignored: OnIgnored = None,
) -> Iterator[Article]:
    """Yield the articles of several files and folders, in the order given.

    A single path is accepted too, so ``read_paths("news/")`` does not iterate over characters.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for path in paths:
        yield from read_path(path, on_error=on_error, on_ignored=on_ignored)


def _read_file(path: Path, on_error: OnError) -> Iterator[Article]:
    reader = FILE_TYPES[file_type(path)]  # type: ignore[index]  # callers checked the type
    yield from reader(path, on_error=on_error)


def _walk(folder: Path, on_error: OnError, on_ignored: OnIgnored) -> Iterator[Path]:
    """Readable files under ``folder``, depth first, in name order; files of other types go to
    ``on_ignored``."""
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
            if file_type(path):
                yield path
            elif on_ignored is not None:
                on_ignored(path)
