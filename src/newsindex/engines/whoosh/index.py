"""The index folder on disk: create, open, write (atomically, under a lock), delete and describe.

One import is one Whoosh commit: articles go into a single writer and become visible together
when its table of contents is renamed into place, or not at all if anything fails before that.
Every write holds the folder's write lock (an OS file lock, which the kernel releases when its
process dies) and starts by removing whatever dead or failed writers left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import itertools
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex
from whoosh.searching import Searcher
from whoosh.util.times import long_to_datetime
from whoosh.writing import SegmentWriter

from newsindex.engines.whoosh.codec.schema import (
    SCHEMA_VERSION,
    UNDATED,
    build_schema,
    from_stored,
    to_document,
)
from newsindex.engines.whoosh.damage import DAMAGE, find_damage
from newsindex.engines.whoosh.searchers import FolderState, SearcherPool, folder_identity
from newsindex.engines.whoosh.writer import IMPORT_MEMORY_MB, import_documents
from newsindex.errors import (
    ArticleNotFoundError,
    IndexCorruptError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
    NewsIndexError,
)
from newsindex.fields import DATE_FIELD
from newsindex.models import Article, IndexStats

__all__ = [
    "IMPORT_MEMORY_MB",
    "META_FILE",
    "OpenIndex",
    "Progress",
    "committed_count",
    "create_index",
    "delete_articles",
    "index_stats",
    "is_index",
    "newest_published",
    "open_index",
    "rebuild_index",
    "stored_articles",
    "write_articles",
]

META_FILE = "newsindex.json"
"""Beside Whoosh's files: which newsindex schema version wrote the index."""

Progress = Callable[[int], None]
"""Called with the running count of articles written."""


_PROGRESS_EVERY = 500
_INDEX_NAME = "MAIN"  # Whoosh's default: tables of contents _MAIN_<gen>.toc, MAIN_<segment>.*
_LOCK_POLL = 0.05  # seconds between attempts to take the write lock
_OPEN_RETRIES = 20  # a commit may delete the table of contents a reader is about to open
_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


# --- the folder -------------------------------------------------------------------------------


def _generation(folder: Path) -> int:
    """The newest committed generation in ``folder`` (-1 when there is none)."""
    return TOC._latest_generation(FileStorage(str(folder)), _INDEX_NAME)


def _generation_or_none(folder: Path) -> int | None:
    """The newest committed generation, or None when there is none (or no folder)."""
    try:
        generation = _generation(folder)
    except OSError:
        return None
    return generation if generation >= 0 else None


def is_index(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a newsindex index."""
    # Listing rather than opening: a commit in another process may delete the file we would open.
    return (Path(path) / META_FILE).is_file() and _generation(Path(path)) >= 0


def _write_meta(folder: Path) -> None:
    """Record this schema version, atomically: a reader sees the old file or the new one."""
    meta = {"schema_version": SCHEMA_VERSION, "format": "newsindex"}
    partial = folder / f"{META_FILE}.{os.getpid()}.tmp"
    partial.write_text(json.dumps(meta) + "\n", encoding="utf-8")
    os.replace(partial, folder / META_FILE)


def _write_failure(folder: object, exc: OSError) -> IndexReadOnlyError | IndexWriteError:
    """Our error for an ``OSError`` met while writing to the index folder."""
    if exc.errno in _READ_ONLY_ERRNOS:
        return IndexReadOnlyError(folder)
    return IndexWriteError(folder, (exc.strerror or str(exc)).lower())


def _damage_or_failure(folder: Path, exc: BaseException) -> BaseException:
    """Our error for ``exc``, met while writing: damage found in the folder, a failure to
    write, or ``exc`` itself."""
    damage = find_damage(folder)
    if damage is not None:
        return damage
    if isinstance(exc, OSError):
        return _write_failure(folder, exc)
    return exc


def _take_lock(storage: FileStorage, timeout: float):
    """The index's write lock, waiting up to ``timeout`` seconds for another writer to let go.

    Whoosh's lock is ``flock`` on ``MAIN_WRITELOCK``: the kernel drops it when the holding
    process dies, so a crashed writer blocks the index no longer than it lives.
    """
    folder = storage.folder
    if not os.access(folder, os.W_OK):
        raise IndexReadOnlyError(folder)
    lock = storage.lock(f"{_INDEX_NAME}_WRITELOCK")
    deadline = time.monotonic() + timeout
    try:
        while not lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise IndexLockedError(folder, timeout)
            time.sleep(_LOCK_POLL)
    except OSError as exc:
        raise _write_failure(folder, exc) from None
    return lock


def _remove_leftovers(storage: FileStorage) -> None:
    """Delete the files no commit refers to: what killed or failed writers left behind.

    Only called while holding the write lock, so no live writer owns them. Readers open the
    files of the latest commit, which stay; files of an older commit that a reader still has
    open remain readable through its open handles (on Windows the delete fails, and a later
    write tries again).
    """
    toc = TOC.read(storage, _INDEX_NAME)
    live = {segment.segment_id() for segment in toc.segments}
    toc_file = re.compile(rf"_{_INDEX_NAME}_(\d+)\.toc(\..+)?")  # .<time>: never renamed
    segment_file = re.compile(rf"({_INDEX_NAME}_[0-9a-z]+)\..+")
    partial_meta = re.compile(rf"({re.escape(META_FILE)}|{re.escape(TERMS_FILE)})\.\d+\.tmp")
    for entry in os.scandir(storage.folder):
        if entry.name == f"{_INDEX_NAME}.tmp":
            shutil.rmtree(entry.path, ignore_errors=True)
            continue
        toc_match = toc_file.fullmatch(entry.name)
        segment_match = segment_file.fullmatch(entry.name)
        stale_toc = toc_match and (toc_match[2] or int(toc_match[1]) != toc.generation)
        stale_segment = segment_match and segment_match[1] not in live
        if stale_toc or stale_segment or partial_meta.fullmatch(entry.name):
            with contextlib.suppress(OSError):
                os.remove(entry.path)


def _holds_nothing(storage: FileStorage) -> bool:
    """Whether the Whoosh index in ``storage`` has no segments (an unreadable one holds some)."""
    try:
        return not TOC.read(storage, _INDEX_NAME).segments
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
        raise _write_failure(folder, exc) from None
    storage = FileStorage(str(folder))
    lock = _take_lock(storage, lock_timeout)
    try:
        if is_index(folder):
            raise IndexExistsError(folder)
        damage = find_damage(folder)
        if damage is not None:
            # Segments without a readable table of contents: a damaged index, not an empty
            # folder; creating would leave its articles to be deleted as leftovers.
            raise damage
        if _generation(folder) >= 0 and not _holds_nothing(storage):
            # Articles but no version file: creating would wipe them; reindex keeps them.
            raise IndexVersionError(folder, "unknown", SCHEMA_VERSION)
        ix = whoosh_index.create_in(str(folder), build_schema())
        _write_meta(folder)
    except OSError as exc:
        raise _write_failure(folder, exc) from None
    finally:
        lock.release()
    return ix


def _missing(folder: Path) -> IndexCorruptError | IndexNotFoundError:
    """The error for a folder without a readable index: damaged if it holds segments."""
    return find_damage(folder) or IndexNotFoundError(folder)


def _open_whoosh(folder: Path) -> FileIndex:
    """Whoosh's index in ``folder``, retrying while a commit swaps its table of contents."""
    for _attempt in range(_OPEN_RETRIES):
        try:
            return whoosh_index.open_dir(str(folder))
        except (FileNotFoundError, whoosh_index.EmptyIndexError):
            if _generation(folder) < 0:
                break
            time.sleep(_LOCK_POLL)
        except DAMAGE as exc:
            damage = find_damage(folder)
            if damage is not None:
                raise damage from None
            if isinstance(exc, whoosh_index.IndexError):
                raise
            time.sleep(_LOCK_POLL)  # a table of contents read while a commit replaced it
    raise _missing(folder)


def open_index(path: str | os.PathLike[str]) -> FileIndex:
    """Open the index at ``path``, checking that this newsindex can read it."""
    folder = Path(path)
    if not is_index(folder):
        damage = find_damage(folder)
        if damage is not None:
            raise damage
        if _generation_or_none(folder) is not None:
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
        return _open_whoosh(folder)
    except whoosh_index.IndexError as exc:
        raise IndexVersionError(folder, f"unreadable ({exc})", SCHEMA_VERSION) from None


def committed_count(path: str | os.PathLike[str]) -> int | None:
    """How many articles the latest commit at ``path`` holds, from its table of contents
    alone (None when there is no readable one)."""
    try:
        toc = TOC.read(FileStorage(str(path)), _INDEX_NAME)
    except Exception:  # no index, or a damaged one: the caller treats both as "not known"
        return None
    return sum(segment.doc_count() for segment in toc.segments)


def stored_articles(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Every article stored in the index at ``path``, whatever newsindex schema wrote it.

    The way out of an :class:`IndexVersionError`: stored fields outlive analysis changes.
    """
    with _open_whoosh(Path(path)).searcher() as searcher:
        for stored in searcher.all_stored_fields():
            yield from_stored(stored)


# --- writers ----------------------------------------------------------------------------------


class _Writer(SegmentWriter):
    """Whoosh's writer, holding our lock; it is released even if removing temp files fails."""

    def _finish(self) -> None:
        if self._searcher is not None:
            self._searcher._orig_close()
            self._searcher = None
        shutil.rmtree(self._tempstorage.folder, ignore_errors=True)
        self.is_closed = True
        lock, self.writelock = self.writelock, None
        if lock:
            lock.release()


def _writer(ix: FileIndex, lock_timeout: float, limitmb: int = IMPORT_MEMORY_MB):
    """A writer holding the write lock, on a folder cleared of dead writers' leftovers."""
    lock = _take_lock(ix.storage, lock_timeout)
    try:
        _remove_leftovers(ix.storage)
        writer = _Writer(ix, _lk=False, limitmb=limitmb)
        writer.writelock = lock
        return writer
    except DAMAGE as exc:
        lock.release()
        raise _damage_or_failure(Path(ix.storage.folder), exc) from None
    except BaseException:
        lock.release()
        raise


def _abandon(writer: SegmentWriter) -> None:
    """Undo a writer that will not commit: remove its files, free the lock."""
    lock, writer.writelock = writer.writelock, None  # kept until its files are gone
    if lock is None:
        return  # it got as far as committing: the folder is no longer its to tidy
    try:
        if not writer.is_closed:
            with contextlib.suppress(Exception):
                writer.cancel()
        with contextlib.suppress(Exception):
            _remove_leftovers(writer.storage)
    finally:
        lock.release()


def _commit_replacing_all(writer: SegmentWriter) -> None:
    """Commit the writer's new segment as the whole index, dropping every committed segment."""
    if writer._added:
        segments = [writer._finalize_segment()]
    else:
        writer._close_segment()
        segments = []
    writer._commit_toc(segments)
    writer._finish()


TERMS_FILE = "terms.json"
"""Beside Whoosh's files: the analyzer's memo of word -> term from imports (a cache only)."""

_MAX_SAVED_TERMS = 200_000


def _save_terms(folder: Path, terms: dict[str, str]) -> None:
    """Merge ``terms`` into the folder's terms file, atomically; a cache, so failures pass."""
    with contextlib.suppress(OSError, ValueError):
        saved = _load_terms(folder)
        saved.update(terms)
        if len(saved) > _MAX_SAVED_TERMS:
            saved = dict(itertools.islice(saved.items(), _MAX_SAVED_TERMS))
        partial = folder / f"{TERMS_FILE}.{os.getpid()}.tmp"
        partial.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, folder / TERMS_FILE)


def _load_terms(folder: Path) -> dict[str, str]:
    """The saved word -> term memo ({} when missing or unreadable)."""
    try:
        terms = json.loads((folder / TERMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return terms if isinstance(terms, dict) else {}


def write_articles(
    ix: FileIndex,
    articles: Iterable[Article],
    *,
    lock_timeout: float = 10.0,
    progress: Progress | None = None,
    limitmb: int = IMPORT_MEMORY_MB,
    procs: int = 1,
) -> int:
    """Insert or replace ``articles`` by id in one commit; returns how many were stored.

    If the iterable raises (a bad record, an interrupted import), nothing is committed and the
    index stays exactly as it was. An id that occurs twice keeps its last version. ``procs`` > 1
    spreads the indexing over that many processes; ``limitmb`` bounds the memory they use for
    postings, together. A failure to write (a full disk, a killed worker process) raises
    :class:`IndexWriteError` and commits nothing.
    """
    folder = ix.storage.folder
    writer = _writer(ix, lock_timeout, limitmb)
    try:
        documents = ((article.id, to_document(article)) for article in articles)
        try:
            return import_documents(
                writer,
                documents,
                procs=procs,
                limitmb=limitmb,
                progress=progress,
                progress_every=_PROGRESS_EVERY,
                lock_fd=writer.writelock.fd,
                save_terms=functools.partial(_save_terms, Path(folder)),
            )
        except DAMAGE as exc:
            raise _damage_or_failure(Path(folder), exc) from None
    except BaseException:
        _abandon(writer)
        raise


def delete_articles(ix: FileIndex, ids: Iterable[str], *, lock_timeout: float = 10.0) -> int:
    """Delete articles by id in one commit; an unknown id deletes nothing and raises."""
    wanted = list(dict.fromkeys(ids))
    writer = _writer(ix, lock_timeout)
    try:
        with writer.searcher() as searcher:
            docnums = []
            for article_id in wanted:
                docnum = searcher.document_number(id=article_id)
                if docnum is None:
                    raise ArticleNotFoundError(article_id)
                docnums.append(docnum)
        for docnum in docnums:
            writer.delete_document(docnum)
        writer.commit(merge=False)
    except DAMAGE as exc:
        _abandon(writer)
        raise _damage_or_failure(Path(ix.storage.folder), exc) from None
    except BaseException:
        _abandon(writer)
        raise
    return len(docnums)


def rebuild_index(
    path: str | os.PathLike[str], *, lock_timeout: float = 10.0, progress: Progress | None = None
) -> int:
    """Rebuild the index at ``path`` with this version's schema from its stored articles.

    The way out of an :class:`IndexVersionError`. It works in place, under the write lock: the
    articles go into one new segment that replaces all the others in a single commit, so an
    interrupted rebuild leaves the old index as it was and readers see old or new, never a mix.
    The version file is rewritten last; if that step is lost, rebuilding again is harmless.
    """
    folder = Path(path)
    ix = _open_whoosh(folder)
    writer = _writer(ix, lock_timeout)
    count = 0
    try:
        writer.schema = build_schema()
        with ix.searcher() as searcher:  # the old commit, read while the new one is written
            for stored in searcher.all_stored_fields():
                writer.add_document(**to_document(from_stored(stored)))
                count += 1
                if progress and count % _PROGRESS_EVERY == 0:
                    progress(count)
        _commit_replacing_all(writer)
        _write_meta(folder)
    except DAMAGE as exc:
        _abandon(writer)
        raise _damage_or_failure(folder, exc) from None
    except BaseException:
        _abandon(writer)
        raise
    if progress:
        progress(count)
    return count


def _size_on_disk(folder: Path) -> int:
    total = 0
    for entry in os.scandir(folder):
        # A commit in another process may delete a file between the listing and the stat.
        with contextlib.suppress(FileNotFoundError):
            if entry.is_file():
                total += entry.stat().st_size
    return total


def _published_range(searcher) -> tuple[dt.datetime, dt.datetime] | None:
    """Earliest and latest publication time (naive UTC) of the live articles.

    Read from the date column of the documents not deleted: the term list would still hold the
    dates of deleted or replaced articles until their segment is merged away.
    """
    low, high = None, None
    for reader, _offset in searcher.reader().leaf_readers():
        if not reader.has_column(DATE_FIELD):
            continue
        column = reader.column_reader(DATE_FIELD, translate=False)
        if reader.has_deletions():
            values = [column[d] for d in reader.all_doc_ids()]
        else:
            values = list(column)
        dated = [v for v in values if v < UNDATED]
        if dated:
            low = min(dated) if low is None else min(low, *dated)
            high = max(dated) if high is None else max(high, *dated)
    if low is None or high is None:
        return None
    return long_to_datetime(low), long_to_datetime(high)


def newest_published(searcher) -> dt.datetime | None:
    """The latest publication time in the index (naive UTC), or None if nothing is dated."""
    span = _published_range(searcher)
    return span[1] if span else None


def index_stats(searcher: Searcher, folder: Path) -> IndexStats:
    """Article count, date range and size of the index ``searcher`` reads, in ``folder``."""
    span = _published_range(searcher)
    count = searcher.doc_count()
    first, last = (d.replace(tzinfo=dt.timezone.utc) for d in span) if span else (None, None)
    return IndexStats(
        path=str(folder),
        articles=count,
        first_published=first,
        last_published=last,
        size_bytes=_size_on_disk(folder),
        schema_version=SCHEMA_VERSION,
    )


class OpenIndex:
    """An opened index folder, with searchers kept on its latest commit.

    Safe to share between threads: every read borrows a searcher no other thread is using
    (:class:`.searchers.SearcherPool`), renewed after any commit, by this process or
    another, and after the folder was replaced by another (a rename swap), so a long-lived
    instance always answers from the newest complete commit of what is at its path now. Writes
    take the folder's file lock, so writes from several threads wait for each other as writes
    from several processes do.
    """

    def __init__(
        self, ix: FileIndex, weighting: Callable[[dt.datetime | None], object], lock_timeout: float
    ) -> None:
        self._ix = ix
        self._weighting = weighting
        self._terms: dict[str, str] = {}
        self._terms_stamp: int | None = None
        self.lock_timeout = lock_timeout
        self.path = Path(ix.storage.folder)
        self._pool = SearcherPool(self._look, self._open_searcher, self._moved)
        self._pool.current()
        self._own: tuple[Searcher, FolderState] | None = None

    # --- the folder and its searchers ----------------------------------------------------------

    def _look(self) -> FolderState:
        """The folder's identity and newest commit; our error if it is gone or damaged."""
        try:
            identity = folder_identity(self.path)
            generation = _generation(self.path)
        except FileNotFoundError:
            raise IndexNotFoundError(self.path) from None
        except OSError as exc:
            raise IndexWriteError(self.path, (exc.strerror or str(exc)).lower()) from None
        if generation < 0:
            raise _missing(self.path)
        return FolderState(identity, generation)

    def _moved(self, state: FolderState) -> None:
        """Another folder now stands at the path: check it is an index this newsindex reads."""
        self._ix = open_index(self.path)

    def _open_searcher(self) -> Searcher:
        """A new searcher on the latest commit, with its weighting and the saved terms."""
        for _attempt in range(_OPEN_RETRIES):
            generation = _generation_or_none(self.path)
            try:
                searcher = self._ix.searcher()
            except Exception as exc:  # a commit or a rename in between, or damage: see below
                self._raise_if_damaged(exc, generation)
                time.sleep(_LOCK_POLL)
                continue
            try:
                # The weighting may depend on the contents (the recency prior counts back from
                # the newest article), so it is made anew with each searcher.
                searcher.weighting = self._weighting(newest_published(searcher))
                # Each searcher unpickles its own analyzers: teach them the words imports saw.
                searcher.schema["body"].analyzer.learn(self._known_terms())
            except DAMAGE as exc:
                searcher.close()
                self._raise_if_damaged(exc, generation)
                continue
            return searcher
        raise _missing(self.path)

    def _raise_if_damaged(self, exc: BaseException, generation: int | None) -> None:
        """Raise our error for ``exc`` unless a commit since ``generation`` explains it."""
        if isinstance(exc, NewsIndexError):
            raise exc
        if _generation_or_none(self.path) != generation:
            return  # the folder changed under the read: the caller tries again
        damage = find_damage(self.path)
        if damage is not None:
            raise damage from None
        if not self.path.is_dir():
            raise IndexNotFoundError(self.path) from None
        if not isinstance(exc, DAMAGE):
            raise exc

    @contextlib.contextmanager
    def lend(self) -> Iterator[Searcher]:
        """A searcher on the latest commit for the caller alone while the block runs.

        A read that fails on a damaged file raises :class:`IndexCorruptError` naming it.
        """
        with self._pool.lend() as searcher:
            try:
                yield searcher
            except DAMAGE:
                damage = find_damage(self.path)
                if damage is not None:
                    raise damage from None
                raise

    def searcher(self) -> Searcher:
        """A searcher on the latest commit that this instance keeps for one caller's own
        use (tests, tools); searches borrow theirs through :meth:`lend`."""
        state = self._pool.current()
        if self._own is not None and self._own[1] != state:
            self._own[0].close()
            self._own = None
        if self._own is None:
            self._own = (self._open_searcher(), state)
        return self._own[0]

    def _known_terms(self) -> dict[str, str]:
        """The saved word -> term memo, read again only when an import has changed it."""
        try:
            stamp = (self.path / TERMS_FILE).stat().st_mtime_ns
        except OSError:
            return {}
        if stamp != self._terms_stamp:
            self._terms, self._terms_stamp = _load_terms(self.path), stamp
        return self._terms

    def close(self) -> None:
        """Release the searchers' open files (those on loan when their reads end)."""
        self._pool.close()
        if self._own is not None:
            self._own[0].close()
            self._own = None

    def analyzers(self, searcher: Searcher) -> Callable[[str | None], object]:
        """``field -> analyzer`` of ``searcher``'s schema (None: the prose fields').

        From the searcher a query runs on, so parsing and snippets analyse exactly as that
        commit does; ``FileIndex.schema`` would unpickle the table of contents on every access
        and hand out new analyzers with cold word caches.
        """
        schema = searcher.schema
        return lambda field: schema[field or "body"].analyzer

    # --- reads and writes ----------------------------------------------------------------------

    def article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        with self.lend() as searcher:
            stored = searcher.document(id=article_id)
        return None if stored is None else from_stored(stored)

    def count(self) -> int:
        """How many articles the latest commit holds."""
        with self.lend() as searcher:
            return searcher.doc_count()

    def stats(self) -> IndexStats:
        """:func:`index_stats` of this index."""
        with self.lend() as searcher:
            return index_stats(searcher, self.path)

    def write(self, articles: Iterable[Article], **options) -> int:
        """:func:`write_articles` on this index (the one at its path now)."""
        self._pool.current()
        return write_articles(self._ix, articles, lock_timeout=self.lock_timeout, **options)

    def delete(self, ids: Iterable[str]) -> int:
        """:func:`delete_articles` on this index (the one at its path now)."""
        self._pool.current()
        return delete_articles(self._ix, ids, lock_timeout=self.lock_timeout)
