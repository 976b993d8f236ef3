"""The index folder on disk: create, open, write (atomically, under a lock), delete and describe.

One import is one Whoosh commit: articles go into a single writer and become visible together
when it commits, or not at all if anything fails before that.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import FileIndex, LockError
from whoosh.multiproc import MpWriter
from whoosh.searching import Searcher
from whoosh.util.times import long_to_datetime
from whoosh.writing import SegmentWriter

from newsindex.errors import (
    ArticleNotFoundError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
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
    "stored_articles",
    "write_articles",
]

META_FILE = "newsindex.json"
"""Beside Whoosh's files: which newsindex schema version wrote the index."""

Progress = Callable[[int], None]
"""Called with the running count of articles written."""

_PROGRESS_EVERY = 500


def is_index(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a newsindex index."""
    return (Path(path) / META_FILE).is_file() and whoosh_index.exists_in(str(path))


def create_index(path: str | os.PathLike[str]) -> FileIndex:
    """Make a new, empty index at ``path`` (creating the folder)."""
    folder = Path(path)
    if is_index(folder):
        raise IndexExistsError(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(folder), build_schema())
        meta = {"schema_version": SCHEMA_VERSION, "format": "newsindex"}
        (folder / META_FILE).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    except PermissionError:
        raise IndexReadOnlyError(folder) from None
    return ix


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
        return whoosh_index.open_dir(str(folder))
    except whoosh_index.IndexError as exc:
        raise IndexVersionError(folder, f"unreadable ({exc})", SCHEMA_VERSION) from None


def stored_articles(path: str | os.PathLike[str]) -> Iterator[Article]:
    """Every article stored in the index at ``path``, whatever newsindex schema wrote it.

    The way out of an :class:`IndexVersionError`: stored fields outlive analysis changes.
    """
    folder = Path(path)
    if not whoosh_index.exists_in(str(folder)):
        raise IndexNotFoundError(folder)
    with whoosh_index.open_dir(str(folder)).searcher() as searcher:
        for stored in searcher.all_stored_fields():
            yield from_stored(stored)


def _writer(ix: FileIndex, lock_timeout: float, procs: int = 1, **options: int) -> SegmentWriter:
    folder = ix.storage.folder
    if not os.access(folder, os.W_OK):
        raise IndexReadOnlyError(folder)
    try:
        if procs > 1:
            # Each worker process indexes batches into a segment of its own; the segments are
            # committed side by side (multisegment) rather than merged, which is where the time
            # would go. Later commits merge small segments as usual.
            return MpWriter(
                ix, procs=procs, multisegment=True, batchsize=256, timeout=lock_timeout, **options
            )
        return SegmentWriter(ix, timeout=lock_timeout, delay=0.05, **options)
    except LockError:
        raise IndexLockedError(folder, lock_timeout) from None
    except PermissionError:
        raise IndexReadOnlyError(folder) from None


def _commit(writer: SegmentWriter, superseded: Iterable[int]) -> None:
    """``SegmentWriter.commit`` that also drops documents replaced within this same writer.

    Whoosh's ``update_document`` only replaces *committed* documents, so an id that occurs twice
    in one import would be stored twice. The new segment's local document numbers are known, so
    the earlier copies are marked deleted before the table of contents is written.
    """
    segments = writer._merge_segments(None, False, True)
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
    a later copy cannot replace an earlier one held by another worker.
    """
    writer = _writer(ix, lock_timeout, procs, limitmb=limitmb)
    try:
        local: dict[str, int] = {}
        superseded: list[int] = []
        count = 0
        for article in articles:
            writer.delete_by_term("id", article.id)
            if article.id in local:
                if procs > 1:
                    raise ValueError(f"article id {article.id!r} occurs twice in one import")
                superseded.append(local[article.id])
            local[article.id] = writer.docnum - writer.docbase
            writer.add_document(**to_document(article))
            count += 1
            if progress and count % _PROGRESS_EVERY == 0:
                progress(count)
        if procs > 1:
            writer.commit()
        else:
            _commit(writer, superseded)
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
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
        writer.commit(merge=False)
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    return len(docnums)


def _size_on_disk(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.iterdir() if entry.is_file())


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
        """The analyzer the index uses for ``field``."""
        return self._ix.schema[field].analyzer

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
