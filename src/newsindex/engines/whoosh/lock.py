"""The write lock of an index folder, the cleanup of what dead writers left, and write errors."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import time
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.util.filelock import LockBase

from newsindex.engines.whoosh.codec.schema import META_FILE
from newsindex.engines.whoosh.damage import INDEX_NAME, find_damage
from newsindex.engines.whoosh.terms import TERMS_FILE
from newsindex.errors import (
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexWriteError,
)

__all__ = ["LOCK_POLL", "damage_or_failure", "remove_leftovers", "take_lock", "write_failure"]


LOCK_POLL = 0.05  # seconds between attempts to take the write lock


_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def write_failure(folder: object, exc: OSError) -> IndexReadOnlyError | IndexWriteError:
    """Our error for an ``OSError`` met while writing to the index folder."""
    if exc.errno in _READ_ONLY_ERRNOS:
        return IndexReadOnlyError(folder)
    return IndexWriteError(folder, (exc.strerror or str(exc)).lower())


def damage_or_failure(folder: Path, exc: BaseException) -> BaseException:
    """Our error for ``exc``, met while writing: damage found in the folder, a failure to
    write, or ``exc`` itself."""
    damage = find_damage(folder)
    if damage is not None:
        return damage
    if isinstance(exc, OSError):
        return write_failure(folder, exc)
    return exc


def take_lock(storage: FileStorage, timeout: float) -> LockBase:
    """The index's write lock, waiting up to ``timeout`` seconds for another writer to let go.

    Whoosh's lock is ``flock`` on ``MAIN_WRITELOCK``: the kernel drops it when the holding
    process dies, so a crashed writer blocks the index no longer than it lives.
    """
    folder = storage.folder
    if not os.path.isdir(folder):
        raise IndexNotFoundError(folder)
    if not os.access(folder, os.W_OK):
        raise IndexReadOnlyError(folder)
    lock = storage.lock(f"{INDEX_NAME}_WRITELOCK")
    deadline = time.monotonic() + timeout
    try:
        while True:
            if lock.acquire(blocking=False):
                if _still_there(lock):
                    return lock
                lock.release()  # the file was removed while we waited: lock the one there now
            if time.monotonic() >= deadline:
                raise IndexLockedError(folder, timeout)
            time.sleep(LOCK_POLL)
    except FileNotFoundError:
        raise IndexNotFoundError(folder) from None
    except OSError as exc:
        raise write_failure(folder, exc) from None


def _still_there(lock: LockBase) -> bool:
    """Whether the file ``lock`` holds is still the lock file at its path: a lock taken on a
    file another process removed (discarding an empty index) locks nothing."""
    try:
        return os.fstat(lock.fd).st_ino == os.stat(lock.filename).st_ino
    except FileNotFoundError:
        return False


def remove_leftovers(storage: FileStorage) -> None:
    """Delete the files no commit refers to: what killed or failed writers left behind.

    Only called while holding the write lock, so no live writer owns them. Readers open the
    files of the latest commit, which stay; files of an older commit that a reader still has
    open remain readable through its open handles (on Windows the delete fails, and a later
    write tries again).
    """
    toc = TOC.read(storage, INDEX_NAME)
    live = {segment.segment_id() for segment in toc.segments}
    toc_file = re.compile(rf"_{INDEX_NAME}_(\d+)\.toc(\..+)?")  # .<time>: never renamed
    segment_file = re.compile(rf"({INDEX_NAME}_[0-9a-z]+)\..+")
    partial_meta = re.compile(rf"({re.escape(META_FILE)}|{re.escape(TERMS_FILE)})\.\d+\.tmp")
    for entry in os.scandir(storage.folder):
        if entry.name == f"{INDEX_NAME}.tmp":
            shutil.rmtree(entry.path, ignore_errors=True)
            continue
        toc_match = toc_file.fullmatch(entry.name)
        segment_match = segment_file.fullmatch(entry.name)
        stale_toc = toc_match and (toc_match[2] or int(toc_match[1]) != toc.generation)
        stale_segment = segment_match and segment_match[1] not in live
        if stale_toc or stale_segment or partial_meta.fullmatch(entry.name):
            with contextlib.suppress(OSError):
                os.remove(entry.path)
