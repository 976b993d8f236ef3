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
import json
import multiprocessing
import os
import pickle
import queue
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.searching import Searcher
from whoosh.util import random_name
from whoosh.util.times import long_to_datetime
from whoosh.writing import SegmentWriter

from newsindex.errors import (
    ArticleNotFoundError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
)
from newsindex.models import Article, IndexStats
from newsindex.schema import DATE_FIELD, SCHEMA_VERSION, build_schema, from_stored, to_document

__all__ = [
    "META_FILE",
    "OpenIndex",
    "Progress",
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
_WORKER_POLL = 0.25  # seconds between liveness checks while waiting on worker processes
_READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
# Worker processes are forked on Linux whatever the default (forkserver from Python 3.14): they
# start at once, inherit the loaded analyzers, and their lifetime is tied to the writer's.
# Elsewhere the default is used, looked up only when needed so that importing fixes nothing.
_FORK = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def _context():
    return _FORK or multiprocessing.get_context()


# --- the folder -------------------------------------------------------------------------------


def _generation(folder: Path) -> int:
    """The newest committed generation in ``folder`` (-1 when there is none)."""
    return TOC._latest_generation(FileStorage(str(folder)), _INDEX_NAME)


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
    partial_meta = re.compile(rf"{re.escape(META_FILE)}\.\d+\.tmp")
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


def _open_whoosh(folder: Path) -> FileIndex:
    """Whoosh's index in ``folder``, retrying while a commit swaps its table of contents."""
    for _attempt in range(_OPEN_RETRIES):
        try:
            return whoosh_index.open_dir(str(folder))
        except (FileNotFoundError, whoosh_index.EmptyIndexError):
            if _generation(folder) < 0:
                break
            time.sleep(_LOCK_POLL)
    raise IndexNotFoundError(folder)


def open_index(path: str | os.PathLike[str]) -> FileIndex:
    """Open the index at ``path``, checking that this newsindex can read it."""
    folder = Path(path)
    if not is_index(folder):
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


def stored_articles(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Every article stored in the index at ``path``, whatever newsindex schema wrote it.

    The way out of an :class:`IndexVersionError`: stored fields outlive analysis changes.
    """
    with _open_whoosh(Path(path)).searcher() as searcher:
        for stored in searcher.all_stored_fields():
            yield from_stored(stored)


# --- writers ----------------------------------------------------------------------------------


class _Finishing:
    """Whoosh's ``_finish``, but the lock is released even if removing the temp folder fails."""

    def _finish(self) -> None:
        if self._searcher is not None:
            self._searcher._orig_close()
            self._searcher = None
        shutil.rmtree(self._tempstorage.folder, ignore_errors=True)
        self.is_closed = True
        lock, self.writelock = self.writelock, None
        if lock:
            lock.release()


class _Writer(_Finishing, SegmentWriter):
    """The single-process writer."""


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this forked process as soon as its parent dies."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


class _Worker(SubWriterTask):
    """A worker process of :class:`_ParallelWriter`: indexes batches into a segment of its own.

    Unlike Whoosh's, it never outlives the writer that started it: a forked worker drops its
    copy of the write lock and asks the kernel to kill it with its parent (Linux), and any
    worker notices a dead parent within a fraction of a second and exits.
    """

    if _FORK:
        _Popen = staticmethod(_FORK.Process._Popen)

    def __init__(self, *args: object, lock_fd: int | None) -> None:
        super().__init__(*args)
        self.lock_fd = lock_fd
        self.daemon = True  # never keeps the interpreter from exiting

    def run(self) -> None:
        if self.lock_fd is not None:
            # The forked copy of the lock's descriptor would keep the lock held after the
            # parent died; only the parent may hold it.
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)
            _die_with_parent()
        parent = multiprocessing.parent_process()
        writer = SegmentWriter(self.storage.open_index(self.indexname), _lk=False, **self.kwargs)
        self.writer = writer
        while True:
            try:
                job = self.jobqueue.get(timeout=_WORKER_POLL)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    return  # the next writer removes the files written so far
                continue
            if job is None:
                break
            self._process_file(*job)
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment))


class _ParallelWriter(_Finishing, MpWriter):
    """Whoosh's ``MpWriter`` (multisegment), made to fail rather than lose articles or hang.

    Whoosh's version waits a second for each worker's result and silently leaves out the
    segment of a worker that died or was late, so a "successful" commit could lose articles;
    its ``cancel`` leaves the workers running (a process that failed an import then hangs at
    exit); and forked workers keep the write lock after their parent is killed. Here every
    worker is accounted for: the commit checks that the new segments hold exactly the
    documents sent, and otherwise raises :class:`IndexWriteError`, committing nothing.
    """

    def __init__(self, ix: FileIndex, lock, *, procs: int, limitmb: int) -> None:
        # MpWriter.__init__ without its queues of the default multiprocessing context.
        SegmentWriter.__init__(self, ix, _lk=False, limitmb=limitmb)
        self.writelock = lock
        self.procs = procs
        self.batchsize = 256  # documents per job file
        self.subargs = {"limitmb": limitmb}
        # The workers' segments are committed side by side rather than merged, which is where
        # the time would go; later commits merge small segments as usual.
        self.multisegment = True
        self.tasks: list[_Worker] = []
        self.jobqueue = _context().Queue(procs * 4)
        self.resultqueue = _context().Queue()
        self.docbuffer: list = []
        self._grouping = 0
        self._added_sub = False
        self.sent = 0

    def _start_workers(self) -> None:
        # All at once, before the queues start their feeder threads: forking a process that
        # has threads can deadlock the child.
        forked = _context().get_start_method() == "fork"
        lock_fd = self.writelock.fd if forked and self.writelock else None
        if forked:
            # Forked workers inherit what is loaded here: the analyzers load their parts
            # (NLTK's stemmer) on first use, which would otherwise cost each worker a second.
            for _name, field in self.schema.items():
                if getattr(field, "analyzer", None):
                    list(field.analyzer("warm"))
        args = (self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs)
        for _ in range(self.procs):
            task = _Worker(*args, True, lock_fd=lock_fd)
            task.start()
            self.tasks.append(task)

    def _put(self, job: tuple[str, int] | None) -> None:
        """Queue a job, failing (rather than waiting forever) if a worker has died."""
        while True:
            try:
                self.jobqueue.put(job, timeout=_WORKER_POLL)
                return
            except queue.Full:
                for task in self.tasks:
                    if task.exitcode is not None:
                        reason = f"an indexing process stopped with exit code {task.exitcode}"
                        raise IndexWriteError(self.storage.folder, reason) from None

    def _enqueue(self) -> None:
        if not self.tasks:
            self._start_workers()
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as jobfile:
            for item in self.docbuffer:
                pickle.dump(item, jobfile, 2)
        self._put((filename, len(self.docbuffer)))
        self.sent += len(self.docbuffer)
        self.docbuffer = []

    def _collect(self) -> list:
        """Every worker's result, however long they take; stops early when one cannot come."""
        results: list = []
        while len(results) < len(self.tasks):
            codes = [task.exitcode for task in self.tasks if task.exitcode is not None]
            if any(codes):
                break  # a worker died: its share is lost, and it may hold the job queue's lock
            try:
                results.append(self.resultqueue.get(timeout=_WORKER_POLL))
            except queue.Empty:
                # A worker's result is in the queue before the worker exits, so once they have
                # all exited, a result not in the queue now never will be.
                if len(codes) == len(self.tasks):
                    break
        return results

    def commit(self, mergetype=None, optimize=None, merge=None) -> None:
        if self.tasks or self.docbuffer:
            self._commit(mergetype, optimize, merge)
        else:
            SegmentWriter.commit(self, mergetype=mergetype, optimize=optimize, merge=merge)
        self._close_queues()

    def _commit(self, mergetype, optimize, merge) -> None:
        if self.docbuffer:
            self._enqueue()
        for _task in self.tasks:
            self._put(None)
        segments = self._merge_segments(mergetype, optimize, merge)
        results = self._collect()
        if len(results) == len(self.tasks):
            for task in self.tasks:
                task.join()  # each has sent its result and is on its way out
        new = [segment for _run, _fieldnames, segment in results]
        written = sum(segment.doc_count_all() for segment in new)
        failed = [task.exitcode for task in self.tasks if task.exitcode]
        if len(results) != len(self.tasks) or failed or written != self.sent:
            codes = f", exit codes {failed}" if failed else ""
            reason = f"the indexing processes wrote {written} of {self.sent} articles{codes}"
            raise IndexWriteError(self.storage.folder, reason)
        segments += [segment for segment in new if segment.doc_count_all()]
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()

    def stop_workers(self) -> None:
        """Kill the workers (they only ever write files that no commit refers to)."""
        for task in self.tasks:
            if task.exitcode is None:
                task.kill()
        for task in self.tasks:
            task.join()
        self._close_queues(wait=False)

    def _close_queues(self, *, wait: bool = True) -> None:
        for jobs in (self.jobqueue, self.resultqueue):
            if not wait:  # workers killed: what is still buffered can never be sent
                jobs.cancel_join_thread()
            jobs.close()
            jobs.join_thread()  # so the next writer forks no process with a thread running


def _writer(ix: FileIndex, lock_timeout: float, procs: int = 1, limitmb: int = 128):
    """A writer holding the write lock, on a folder cleared of dead writers' leftovers."""
    lock = _take_lock(ix.storage, lock_timeout)
    try:
        _remove_leftovers(ix.storage)
        if procs > 1:
            return _ParallelWriter(ix, lock, procs=procs, limitmb=limitmb)
        writer = _Writer(ix, _lk=False, limitmb=limitmb)
        writer.writelock = lock
        return writer
    except OSError as exc:
        lock.release()
        raise _write_failure(ix.storage.folder, exc) from None
    except BaseException:
        lock.release()
        raise


def _abandon(writer: SegmentWriter) -> None:
    """Undo a writer that will not commit: stop its workers, remove its files, free the lock."""
    if isinstance(writer, _ParallelWriter):
        writer.stop_workers()
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


def _commit(writer: SegmentWriter, superseded: Iterable[int], *, replace_all: bool = False) -> None:
    """``SegmentWriter.commit`` that also drops documents replaced within this same writer.

    Whoosh's ``update_document`` only replaces *committed* documents, so an id that occurs twice
    in one import would be stored twice. The new segment's local document numbers are known, so
    the earlier copies are marked deleted before the table of contents is written. With
    ``replace_all`` the new segment replaces every committed one.
    """
    segments = [] if replace_all else writer._merge_segments(None, False, True)
    if writer._added:
        segment = writer._finalize_segment()
        for docnum in superseded:
            segment.delete_document(docnum)
        segments.append(segment)
    else:
        writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()


def write_articles(
    ix: FileIndex,
    articles: Iterable[Article],
    *,
    lock_timeout: float = 10.0,
    progress: Progress | None = None,
    limitmb: int = 128,
    procs: int = 1,
) -> int:
    """Insert or replace ``articles`` by id in one commit; returns how many were written.

    If the iterable raises (a bad record, an interrupted import), nothing is committed and the
    index stays exactly as it was. With ``procs`` > 1 the work is spread over that many worker
    processes; the caller must then ensure each id occurs once (``ValueError`` otherwise), since
    a later copy cannot replace an earlier one held by another worker. A failure to write (a
    full disk, a killed worker process) raises :class:`IndexWriteError` and commits nothing.
    """
    folder = ix.storage.folder
    writer = _writer(ix, lock_timeout, procs, limitmb)
    try:
        local: dict[str, int] = {}
        superseded: list[int] = []
        count = 0
        for article in articles:  # errors of the iterable itself pass through as they are
            if article.id in local:
                if procs > 1:
                    raise ValueError(f"article id {article.id!r} occurs twice in one import")
                superseded.append(local[article.id])
            try:
                writer.delete_by_term("id", article.id)
                local[article.id] = writer.docnum - writer.docbase
                writer.add_document(**to_document(article))
            except OSError as exc:
                raise _write_failure(folder, exc) from None
            count += 1
            if progress and count % _PROGRESS_EVERY == 0:
                progress(count)
        try:
            if procs > 1:
                writer.commit()
            else:
                _commit(writer, superseded)
        except OSError as exc:
            raise _write_failure(folder, exc) from None
    except BaseException:
        _abandon(writer)
        raise
    if progress:
        progress(count)
    return count - len(superseded)


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
        try:
            writer.commit(merge=False)
        except OSError as exc:
            raise _write_failure(ix.storage.folder, exc) from None
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
        _commit(writer, (), replace_all=True)
        _write_meta(folder)
    except OSError as exc:
        _abandon(writer)
        raise _write_failure(folder, exc) from None
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


_UNDATED = 2**63  # Whoosh's date column holds 2**64 - 1 for an article without a date


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
        dated = [v for v in values if v < _UNDATED]
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


def index_stats(ix: FileIndex) -> IndexStats:
    """Article count, date range and size of the index."""
    with ix.searcher() as searcher:
        span = _published_range(searcher)
        count = searcher.doc_count()
    first, last = (d.replace(tzinfo=dt.timezone.utc) for d in span) if span else (None, None)
    folder = Path(ix.storage.folder)
    return IndexStats(
        path=str(folder),
        articles=count,
        first_published=first,
        last_published=last,
        size_bytes=_size_on_disk(folder),
        schema_version=SCHEMA_VERSION,
    )


class OpenIndex:
    """An opened index folder, with a searcher kept on its latest commit.

    The searcher is reused while nothing changes and renewed after any commit, by this process
    or another, so a long-lived instance always answers from the newest complete commit.
    """

    def __init__(
        self, ix: FileIndex, weighting: Callable[[dt.datetime | None], object], lock_timeout: float
    ) -> None:
        self._ix = ix
        self._weighting = weighting
        self._searcher: Searcher | None = None
        self.lock_timeout = lock_timeout
        self.path = Path(ix.storage.folder)

    def searcher(self) -> Searcher:
        """The searcher on the latest commit."""
        if self._searcher is not None and not self._searcher.up_to_date():
            self.close()
        if self._searcher is None:
            searcher = self._ix.searcher()
            # The weighting may depend on the contents (the recency prior counts back from the
            # newest article), so it is made anew with each searcher.
            searcher.weighting = self._weighting(newest_published(searcher))
            self._searcher = searcher
        return self._searcher

    def close(self) -> None:
        """Release the searcher's open files."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def analyzer(self, field: str):
        """The analyzer the index uses for ``field``.

        Taken from the current searcher's schema: ``FileIndex.schema`` unpickles the table of
        contents on every access, which would hand out a new analyzer with a cold word cache.
        """
        return self.searcher().schema[field].analyzer

    def stored(self, article_id: str) -> dict | None:
        """The stored fields of an article, or None."""
        return self.searcher().document(id=article_id)

    def count(self) -> int:
        """How many articles the latest commit holds."""
        return self.searcher().doc_count()

    def write(self, articles: Iterable[Article], **options) -> int:
        """:func:`write_articles` on this index."""
        return write_articles(self._ix, articles, lock_timeout=self.lock_timeout, **options)

    def delete(self, ids: Iterable[str]) -> int:
        """:func:`delete_articles` on this index."""
        return delete_articles(self._ix, ids, lock_timeout=self.lock_timeout)

    def stats(self) -> IndexStats:
        """:func:`index_stats` of this index."""
        return index_stats(self._ix)
