"""Damaged index folders: name the file at fault, check a folder, salvage what can be read.

An index folder holds Whoosh's tables of contents (``_MAIN_<generation>.toc``: the schema and
the list of segments of each commit; only the newest counts), its segments (``MAIN_<id>.seg``,
each a compound file of postings, columns and stored articles), our version file and the
stemmed-terms cache. Articles are stored whole in their segment, so a segment that can still
be read gives back every article in it, even when the table of contents that listed it is
gone: its document count is read from the layout of its stored-fields column.

Nothing here writes: :func:`salvage` only reads, and the index layer commits what it returns.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import re
import struct
import zlib
from array import array
from pathlib import Path
from typing import Any, TypeGuard

import attrs
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.reading import SegmentReader

from newsindex.engines.whoosh.codec.schema import SCHEMA_VERSION, build_schema, from_stored
from newsindex.errors import IndexCorruptError, IndexVersionError, NewsIndexError
from newsindex.models import Article, IndexCheck

__all__ = [
    "CORRUPT_DATA",
    "DAMAGE",
    "INDEX_NAME",
    "Salvage",
    "access_error",
    "check_folder",
    "find_damage",
    "has_segment_files",
    "is_access_failure",
    "salvage",
]

INDEX_NAME = "MAIN"
"""Whoosh's default index name: tables of contents ``_MAIN_<gen>.toc``, segments ``MAIN_<id>.*``."""

DAMAGE = (
    EOFError,
    struct.error,
    pickle.UnpicklingError,
    zlib.error,
    UnicodeDecodeError,
    OSError,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    AssertionError,
    ImportError,
    OverflowError,
    MemoryError,
)
"""What reading a damaged file raises inside Whoosh (beside its own bare ``Exception``): a
damaged table of contents unpickles into anything, an absurd size or a module name included."""

CORRUPT_DATA = (EOFError, struct.error, pickle.UnpicklingError, zlib.error, UnicodeDecodeError)

_NOT_DAMAGE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EMFILE, errno.ENFILE})
"""Failures to read a sound file: no permission, no file handle left."""


def is_access_failure(exc: BaseException) -> TypeGuard[OSError]:
    """Whether ``exc`` says a file could not be opened or read for a reason that is not
    damage (permissions, no file handles): such files are never reported lost."""
    return isinstance(exc, OSError) and exc.errno in _NOT_DAMAGE_ERRNOS


def access_error(folder: Path, exc: OSError) -> NewsIndexError:
    """Our error for a file of the index that cannot be read though it may be sound."""
    name = Path(exc.filename).name if exc.filename else "a file"
    reason = (exc.strerror or str(exc)).lower()
    return NewsIndexError(
        f"Cannot read {name} in the index at '{folder}' ({reason}): the index may be sound; "
        "fix the permissions or the open-file limit and try again."
    )


"""What only damaged bytes raise (never a bug of ours): reported as damage even when the file
at fault cannot be named."""

_TOC_FILE = re.compile(rf"_{INDEX_NAME}_(\d+)\.toc")
_SEGMENT_FILE = re.compile(rf"({INDEX_NAME}_[0-9a-z]+)\.(.+)")


def _reason(exc: BaseException, path: Path | None = None) -> str:
    """A short description of a low-level read failure (of the file at ``path``)."""
    if isinstance(exc, FileNotFoundError):
        return "missing"
    with contextlib.suppress(OSError):
        if path is not None and path.stat().st_size == 0:
            return "empty"
    if isinstance(exc, (EOFError, struct.error)) or "expected a character" in str(exc):
        return "cut short"
    return "unreadable"


def has_segment_files(folder: Path) -> bool:
    """Whether ``folder`` holds any segment file (of a live or a damaged index)."""
    try:
        return any(_SEGMENT_FILE.fullmatch(name) for name in os.listdir(folder))
    except OSError:
        return False


def _segment_files(folder: Path) -> dict[str, list[str]]:
    """Segment id -> its files in ``folder``, in name order."""
    found: dict[str, list[str]] = {}
    for name in sorted(os.listdir(folder)):
        match = _SEGMENT_FILE.fullmatch(name)
        if match and match[2] != "WRITELOCK" and not name.startswith(f"{INDEX_NAME}_WRITELOCK"):
            found.setdefault(match[1], []).append(name)
    return found


def _latest_toc(folder: Path) -> str | None:
    names = [name for name in os.listdir(folder) if _TOC_FILE.fullmatch(name)]
    return max(names, key=lambda name: int(_TOC_FILE.fullmatch(name)[1]), default=None)  # type: ignore[index]


def _read_toc(storage: FileStorage) -> TOC:
    return TOC.read(storage, INDEX_NAME)


def _open_segment(storage: FileStorage, schema: Any, segment: Any) -> SegmentReader:
    return SegmentReader(storage, schema, segment)


def find_damage(folder: Path) -> IndexCorruptError | None:
    """The error naming the damaged file of the index in ``folder``, or None if none is found.

    Reads the newest table of contents, then opens each segment it lists and reads its last
    stored article: what a truncated, emptied or deleted file fails first.
    """
    storage = FileStorage(str(folder))
    try:
        toc_name = _latest_toc(folder)
    except OSError:
        return None
    if toc_name is None:
        if has_segment_files(folder):
            return IndexCorruptError(folder, None, "its table of contents is missing")
        return None
    try:
        toc = _read_toc(storage)
    except Exception as exc:  # any failure to read it is damage, but for access
        if is_access_failure(exc):
            return None
        return IndexCorruptError(folder, toc_name, _reason(exc, folder / toc_name))
    for segment in toc.segments:
        try:
            name = _segment_name(segment)
        except Exception:  # not a segment at all: the table of contents is damaged
            return IndexCorruptError(folder, toc_name, "unreadable")
        try:
            reader = _open_segment(storage, toc.schema, segment)
            try:
                if reader.doc_count_all():
                    reader.stored_fields(reader.doc_count_all() - 1)
            finally:
                reader.close()
        except Exception as exc:  # any failure to read it is damage, but for access
            if is_access_failure(exc):
                return None
            return IndexCorruptError(folder, name, _reason(exc, folder / name))
    return None


def _segment_name(segment: Any) -> str:
    return str(segment.make_filename(".seg") if segment.compound else segment.segment_id())


# --- segments without a table of contents ---------------------------------------------------


def _column_count(data: bytes) -> int | None:
    """The number of documents of a stored-fields column, from its layout (None: unreadable).

    The column is the values, their lengths (an array), for large columns their offsets (an
    array of the same length), then the arrays' type codes (and ``X`` when offsets are there).
    The values take exactly the sum of the lengths, which fixes the count.
    """
    if len(data) < 2:
        return None
    end = len(data)
    if data[-1:] == b"X":
        length_code, offset_code = chr(data[-3]), chr(data[-2])
        tail = 3
    else:
        length_code, offset_code, tail = chr(data[-1]), "", 1
    try:
        size = array(length_code).itemsize
        offset_size = array(offset_code).itemsize if offset_code else 0
    except ValueError:
        return None
    lengths = array(length_code)
    top = end - tail
    count = 0
    while True:
        count += 1
        lengths_end = top - count * offset_size
        start = lengths_end - count * size
        if start < 0:
            return None
        if not offset_size:  # lengths grow by one item from the end
            item = array(length_code, data[start : start + size])
            item.byteswap()
            lengths.append(item[0])
            if sum(lengths) == start:
                return count
        else:  # offsets too: check the first offset and the last value's end, then all
            first = array(offset_code, data[lengths_end : lengths_end + offset_size])
            last = array(offset_code, data[top - offset_size : top])
            tail_length = array(length_code, data[lengths_end - size : lengths_end])
            for item in (first, last, tail_length):
                item.byteswap()
            if first[0] == 0 and last[0] + tail_length[0] == start:
                block = array(length_code, data[start:lengths_end])
                block.byteswap()
                if sum(block) == start:
                    return count


def _loose_segment(storage: FileStorage, segid: str) -> W3Segment | None:
    """A segment object for a compound segment file no table of contents lists."""
    segment = W3Segment(W3Codec(), INDEX_NAME, 0, segid=segid.removeprefix(f"{INDEX_NAME}_"))
    segment.compound = True
    try:
        files = segment.open_compound_file(storage)
        column = W3Codec.column_filename(segment, "_stored")
        handle = files.open_file(column)
        data = bytes(handle.read(files.file_length(column)))
        handle.close()
        files.close()
    except Exception:  # any failure to read it: nothing to salvage from this file
        return None
    count = _column_count(data)
    if count is None:
        return None
    segment.set_doc_count(count)
    segment._fieldlengths = {}
    return segment


# --- check and salvage ------------------------------------------------------------------------


@attrs.define
class Salvage:
    """What could be read from a folder's segments."""

    articles: dict[str, Article] = attrs.Factory(dict)
    """The readable live articles by id."""
    lost: list[str] = attrs.Factory(list)
    """What could not be read: a file and what is wrong with it, or a count of articles."""
    problems: list[str] = attrs.Factory(list)
    """Everything found damaged: what is lost, and damage the stored articles survive (a
    segment's postings, rebuilt from them)."""
    damaged_files: list[str] = attrs.Factory(list)
    """Files of the folder that are damaged (to move aside)."""
    notes: list[str] = attrs.Factory(list)
    """Caveats about what was read."""
    segments: int = 0
    """Segments looked at."""
    toc: TOC | None = None
    """The newest table of contents, None when it could not be read."""


def _read_articles(reader: SegmentReader, name: str, found: Salvage, *, newer: bool = True) -> bool:
    """Add the articles of one segment to ``found``; whether all of them could be read."""
    bad = []
    perdoc = reader._perdoc
    for docnum in range(reader.doc_count_all()):
        if reader.is_deleted(docnum):
            continue
        try:
            article = from_stored(perdoc.stored_fields(docnum))
        except Exception:  # a stored article that does not decode is lost, the rest are kept
            bad.append(docnum)
            continue
        if newer or article.id not in found.articles:
            found.articles[article.id] = article
    if bad:
        ids = _ids_of(reader, bad)
        named = f" (ids: {', '.join(ids)})" if ids else ""
        found.lost.append(f"{name}: {_articles(len(bad))} stored but unreadable{named}")
    return not bad


def _ids_of(reader: SegmentReader, docnums: list[int]) -> list[str]:
    """The ids of documents whose stored copy is unreadable, from the ``id`` field's postings
    (so that the articles can be imported again); those that cannot be found are left out."""
    wanted, ids = set(docnums), {}
    with contextlib.suppress(Exception):  # the postings may be damaged too
        for term in reader.lexicon("id"):
            for docnum in reader.postings("id", term).all_ids():
                if docnum in wanted:
                    ids[docnum] = term.decode("utf-8") if isinstance(term, bytes) else term
    return [ids[docnum] for docnum in sorted(ids)]


def salvage(folder: Path, *, check_postings: bool = True) -> Salvage:
    """Every article that can be read from the segments in ``folder``, and what is lost.

    With a readable table of contents, its segments are read in commit order (a later copy of
    an id replaces an earlier one, and deleted articles stay deleted). Without one, every
    segment file is read, oldest first by modification time; articles deleted or replaced in
    the lost commits may then come back in an earlier version, which the report says.
    """
    storage = FileStorage(str(folder))
    found = Salvage()
    try:
        toc = _read_toc(storage)
        segments = [(segment, _segment_name(segment)) for segment in toc.segments]
        schema = toc.schema
        found.toc = toc
    except OSError as exc:
        if is_access_failure(exc):
            raise access_error(folder, exc) from None
        segments = _without_toc(folder, storage, found, exc)
        schema = build_schema()
    except ImportError as exc:
        if (exc.name or "").startswith("newsindex"):  # sound, but from another newsindex
            raise IndexVersionError(folder, "unknown", SCHEMA_VERSION) from None
        segments = _without_toc(folder, storage, found, exc)
        schema = build_schema()
    except Exception as exc:  # a table of contents that cannot be read: read the files
        segments = _without_toc(folder, storage, found, exc)
        schema = build_schema()
    for segment, name in segments:
        found.segments += 1
        try:
            reader = _open_segment(storage, schema, segment)
        except Exception as exc:  # the whole segment is lost, unless it only cannot be opened
            if is_access_failure(exc):
                raise access_error(folder, exc) from None
            found.lost.append(f"{name}: {_reason(exc, folder / name)} ({_count_of(segment)})")
            found.damaged_files.extend(_files_of(folder, segment))
            continue
        try:
            if not _read_articles(reader, name, found):
                found.damaged_files.extend(_files_of(folder, segment))
            elif check_postings:
                try:
                    _check_postings(reader)
                except Exception as exc:  # the articles survive: the index is rebuilt
                    found.problems.append(f"{name}: postings {_reason(exc)}")
                    found.damaged_files.extend(_files_of(folder, segment))
        finally:
            with contextlib.suppress(Exception):
                reader.close()
    found.problems[:0] = found.lost
    return found


def _count_of(segment: Any) -> str:
    try:
        return _articles(segment.doc_count())
    except Exception:  # a segment object from a damaged table of contents
        return "articles unknown"


def _without_toc(
    folder: Path, storage: FileStorage, found: Salvage, exc: BaseException
) -> list[tuple[Any, str]]:
    """The segments of a folder whose table of contents cannot be read, found from its files."""
    toc_name = _latest_toc(folder)
    if toc_name:
        found.lost.append(f"{toc_name}: {_reason(exc, folder / toc_name)}")
        found.damaged_files.append(toc_name)
    else:
        found.lost.append("the table of contents is missing")
    segments = []
    files = _segment_files(folder)
    by_age = sorted(files, key=lambda segid: _mtime(folder, files[segid]))
    for segid in by_age:
        if f"{segid}.seg" not in files[segid]:
            found.lost.append(f"{segid}: not a compound segment, cannot be read alone")
            found.damaged_files.extend(files[segid])
            continue
        segment = _loose_segment(storage, segid)
        name = f"{segid}.seg"
        if segment is None:
            found.lost.append(f"{name}: unreadable")
            found.damaged_files.append(name)
            continue
        segments.append((segment, name))
    if segments:
        found.notes.append(
            "articles deleted or replaced since the segments were written may be back "
            "in an earlier version"
        )
    return segments


def _articles(count: int) -> str:
    return f"{count:,} article{'' if count == 1 else 's'}"


def _mtime(folder: Path, names: list[str]) -> float:
    try:
        return max(os.stat(folder / name).st_mtime for name in names)
    except OSError:
        return 0.0


def _files_of(folder: Path, segment: Any) -> list[str]:
    prefix = f"{segment.segment_id()}."
    return sorted(name for name in os.listdir(folder) if name.startswith(prefix))


def _check_postings(reader: SegmentReader) -> None:
    """Read every posting list of the segment, checking document numbers are in range."""
    count = reader.doc_count_all()
    for fieldname, text in reader.all_terms():
        for docnum in reader.postings(fieldname, text).all_ids():
            if not 0 <= docnum < count:
                raise ValueError(f"a posting of {fieldname}:{text!r} points past the segment")


def check_folder(folder: Path, *, version_problem: str | None = None) -> IndexCheck:
    """Read everything in the index at ``folder`` and report what is wrong (nothing writes)."""
    found = salvage(folder)
    problems = ([version_problem] if version_problem else []) + found.problems
    unlisted: list[str] = []
    if found.toc is not None:  # the one salvage read, not a newer one
        toc = found.toc
        live = sum(segment.doc_count() for segment in toc.segments)
        if not found.lost and live != len(found.articles):
            problems.append(
                f"the table of contents counts {live:,} articles but {len(found.articles):,} "
                "distinct ids are stored"
            )
        listed = {segment.segment_id() for segment in toc.segments}
        unlisted = sorted(set(_segment_files(folder)) - listed)
    notes = [
        f"{segid}: not in the last commit (a write in progress, or left by one that died)"
        for segid in unlisted
    ]
    notes += found.notes
    return IndexCheck(
        path=str(folder),
        articles=len(found.articles),
        segments=found.segments,
        problems=tuple(problems),
        notes=tuple(notes),
    )
