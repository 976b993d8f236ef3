"""The index folder: whether it holds an index, creating and opening one, its version file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex

from newsindex.engines.whoosh.codec.schema import (
    META_FILE,
    SCHEMA_VERSION,
    build_schema,
    from_stored,
)
from newsindex.engines.whoosh.damage import DAMAGE, INDEX_NAME, find_damage, has_segment_files
from newsindex.engines.whoosh.lock import LOCK_POLL, take_lock, write_failure
from newsindex.errors import (
    IndexCorruptError,
    IndexExistsError,
    IndexNotFoundError,
    IndexVersionError,
    NewsIndexError,
)
from newsindex.models import Article

__all__ = [
    "OPEN_RETRIES",
    "committed_count",
    "create_index",
    "discard_empty_index",
    "generation_or_none",
    "holds_index",
    "is_index",
    "latest_generation",
    "missing_error",
    "open_index",
    "open_whoosh",
    "stored_articles",
    "write_meta",
]


OPEN_RETRIES = 20  # a commit may delete the table of contents a reader is about to open


def latest_generation(folder: Path) -> int:
    """The newest committed generation in ``folder`` (-1 when there is none)."""
    return TOC._latest_generation(FileStorage(str(folder)), INDEX_NAME)


def generation_or_none(folder: Path) -> int | None:
    """The newest committed generation, or None when there is none (or no folder)."""
    try:
        generation = latest_generation(folder)
    except OSError:
        return None
    return generation if generation >= 0 else None


_BOOKKEEPING = re.compile(
    rf"_{INDEX_NAME}_\d+\.toc|{INDEX_NAME}_WRITELOCK|{re.escape(META_FILE)}|terms\.json"
)
"""The files an index without articles holds: a table of contents, the lock, the version and
the terms cache."""


def discard_empty_index(path: str | os.PathLike[str]) -> bool:
    """Delete the index at ``path`` if it holds no articles and the folder nothing else;
    whether it did. The folder itself goes too once empty.

    For undoing a failed first import. It takes the write lock without waiting, so an index
    another process is writing (its articles not yet committed) is never touched.
    """
    folder = Path(path)
    if not is_index(folder) or has_segment_files(folder):
        return False
    try:
        lock = take_lock(FileStorage(str(folder)), 0)
    except NewsIndexError:
        return False
    try:
        names = os.listdir(folder)
        if not all(_BOOKKEEPING.fullmatch(name) for name in names):
            return False
        if committed_count(folder) != 0:
            return False
        for name in names:  # the lock file last, while still held: see take_lock
            if name != f"{INDEX_NAME}_WRITELOCK":
                (folder / name).unlink()
        (folder / f"{INDEX_NAME}_WRITELOCK").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
    finally:
        lock.release()
    return True


def holds_index(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds an index, sound or damaged (a damaged one is still the user's)."""
    folder = Path(path)
    return is_index(folder) or (folder / META_FILE).exists() or has_segment_files(folder)


def is_index(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a newsindex index."""
    # Listing rather than opening: a commit in another process may delete the file we would open.
    return (Path(path) / META_FILE).is_file() and latest_generation(Path(path)) >= 0


def write_meta(folder: Path) -> None:
    """Record this schema version, atomically: a reader sees the old file or the new one."""
    meta = {"schema_version": SCHEMA_VERSION, "format": "newsindex"}
    partial = folder / f"{META_FILE}.{os.getpid()}.tmp"
    partial.write_text(json.dumps(meta) + "\n", encoding="utf-8")
    os.replace(partial, folder / META_FILE)


def _holds_nothing(storage: FileStorage) -> bool:
    """Whether the Whoosh index in ``storage`` has no segments (an unreadable one holds some)."""
    try:
        return not TOC.read(storage, INDEX_NAME).segments
    except Exception:
        return False


def create_index(path: str | os.PathLike[str], *, lock_timeout: float = 10.0) -> FileIndex:
    """Make a new, empty index at ``path`` (creating the folder).

    Done under the write lock, so two processes creating the same index at once end with one
    index (the second gets :class:`IndexExistsError`) rather than one wiping the other's commit.
    Articles in a folder that lost its version file are never wiped: that is an
    :class:`IndexVersionError`, and ``reindex`` adopts them.
    """
    folder = Path(path)
    if is_index(folder):
        raise IndexExistsError(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failure(folder, exc) from None
    storage = FileStorage(str(folder))
    lock = take_lock(storage, lock_timeout)
    try:
        if is_index(folder):
            raise IndexExistsError(folder)
        damage = find_damage(folder)
        if damage is not None:
            # Segments without a readable table of contents: a damaged index, not an empty
            # folder; creating would leave its articles to be deleted as leftovers.
            raise damage
        if latest_generation(folder) >= 0 and not _holds_nothing(storage):
            # Articles but no version file: creating would wipe them; reindex keeps them.
            raise IndexVersionError(folder, "unknown", SCHEMA_VERSION)
        ix = whoosh_index.create_in(str(folder), build_schema())
        write_meta(folder)
    except OSError as exc:
        raise write_failure(folder, exc) from None
    finally:
        lock.release()
    return ix


def missing_error(folder: Path) -> IndexCorruptError | IndexNotFoundError:
    """The error for a folder without a readable index: damaged if it holds segments."""
    return find_damage(folder) or IndexNotFoundError(folder)


def open_whoosh(folder: Path) -> FileIndex:
    """Whoosh's index in ``folder``, retrying while a commit swaps its table of contents."""
    for _attempt in range(OPEN_RETRIES):
        try:
            return whoosh_index.open_dir(str(folder))
        except (FileNotFoundError, whoosh_index.EmptyIndexError):
            if latest_generation(folder) < 0:
                break
            time.sleep(LOCK_POLL)
        except DAMAGE as exc:
            damage = find_damage(folder)
            if damage is not None:
                raise damage from None
            if isinstance(exc, whoosh_index.IndexError):
                raise
            time.sleep(LOCK_POLL)  # a table of contents read while a commit replaced it
    raise missing_error(folder)


def open_index(path: str | os.PathLike[str]) -> FileIndex:
    """Open the index at ``path``, checking that this newsindex can read it."""
    folder = Path(path)
    if not is_index(folder):
        damage = find_damage(folder)
        if damage is not None:
            raise damage
        if generation_or_none(folder) is not None:
            # Whoosh's files without our version file: reindex adopts them.
            raise IndexVersionError(folder, "unknown", SCHEMA_VERSION)
        raise IndexNotFoundError(folder)
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        version = meta["schema_version"]
    except (OSError, ValueError, KeyError, TypeError):
        version = "unknown"
    if version != SCHEMA_VERSION:
        raise IndexVersionError(folder, version, SCHEMA_VERSION)
    try:
        return open_whoosh(folder)
    except whoosh_index.IndexError as exc:
        raise IndexVersionError(folder, f"unreadable ({exc})", SCHEMA_VERSION) from None


def committed_count(path: str | os.PathLike[str]) -> int | None:
    """How many articles the latest commit at ``path`` holds, from its table of contents
    alone (None when there is no readable one)."""
    try:
        toc = TOC.read(FileStorage(str(path)), INDEX_NAME)
    except Exception:  # no index, or a damaged one: the caller treats both as "not known"
        return None
    return sum(segment.doc_count() for segment in toc.segments)


def stored_articles(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Every article stored in the index at ``path``, whatever newsindex schema wrote it.

    The way out of an :class:`IndexVersionError`: stored fields outlive analysis changes.
    """
    with open_whoosh(Path(path)).searcher() as searcher:
        for stored in searcher.all_stored_fields():
            yield from_stored(stored)
