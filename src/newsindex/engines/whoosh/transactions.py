"""Writes to an index, each one commit under the write lock: import, delete, rebuild.

One import is one Whoosh commit: articles go into a single writer and become visible together
when its table of contents is renamed into place, or not at all if anything fails before that.
Every write holds the folder's write lock (an OS file lock, which the kernel releases when its
process dies) and starts by removing whatever dead or failed writers left behind.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs
from whoosh.index import FileIndex
from whoosh.searching import Searcher
from whoosh.util.filelock import LockBase
from whoosh.writing import SegmentWriter

from newsindex.engines.whoosh.codec.schema import build_schema, from_stored, to_document
from newsindex.engines.whoosh.damage import DAMAGE
from newsindex.engines.whoosh.folder import open_whoosh, write_meta
from newsindex.engines.whoosh.lock import damage_or_failure, remove_leftovers, take_lock
from newsindex.engines.whoosh.terms import save_terms
from newsindex.engines.whoosh.writer import IMPORT_MEMORY_MB, import_documents
from newsindex.errors import ArticleNotFoundError
from newsindex.models import Article, make_article_id

__all__ = [
    "Progress",
    "abandon",
    "delete_articles",
    "open_writer",
    "rebuild_index",
    "write_articles",
]


Progress = Callable[[int], None]
"""Called with the running count of articles written."""


_PROGRESS_EVERY = 500


class _Writer(SegmentWriter):
    """Whoosh's writer, holding our lock; it is released even if removing temp files fails."""

    # Whoosh's own attributes, which _finish clears.
    _searcher: Searcher | None
    writelock: LockBase | None

    def _finish(self) -> None:
        if self._searcher is not None:
            self._searcher._orig_close()
            self._searcher = None
        shutil.rmtree(self._tempstorage.folder, ignore_errors=True)
        self.is_closed = True
        lock, self.writelock = self.writelock, None
        if lock:
            lock.release()


def open_writer(ix: FileIndex, lock_timeout: float, limitmb: int = IMPORT_MEMORY_MB) -> _Writer:
    """A writer holding the write lock, on a folder cleared of dead writers' leftovers."""
    lock = take_lock(ix.storage, lock_timeout)
    try:
        remove_leftovers(ix.storage)
        writer = _Writer(ix, _lk=False, limitmb=limitmb)
        writer.writelock = lock
        return writer
    except DAMAGE as exc:
        lock.release()
        raise damage_or_failure(Path(ix.storage.folder), exc) from None
    except BaseException:
        lock.release()
        raise


def abandon(writer: SegmentWriter) -> None:
    """Undo a writer that will not commit: remove its files, free the lock."""
    lock, writer.writelock = writer.writelock, None  # kept until its files are gone
    if lock is None:
        return  # it got as far as committing: the folder is no longer its to tidy
    try:
        if not writer.is_closed:
            with contextlib.suppress(Exception):
                writer.cancel()
        with contextlib.suppress(Exception):
            remove_leftovers(writer.storage)
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
    writer = open_writer(ix, lock_timeout, limitmb)
    try:
        assert writer.writelock is not None, "open_writer hands out writers holding the lock"
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
                save_terms=functools.partial(save_terms, Path(folder)),
            )
        except DAMAGE as exc:
            raise damage_or_failure(Path(folder), exc) from None
    except BaseException:
        abandon(writer)
        raise


def delete_articles(ix: FileIndex, ids: Iterable[str], *, lock_timeout: float = 10.0) -> int:
    """Delete articles by id in one commit; an unknown id deletes nothing and raises."""
    wanted = list(dict.fromkeys(ids))
    writer = open_writer(ix, lock_timeout)
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
        abandon(writer)
        raise damage_or_failure(Path(ix.storage.folder), exc) from None
    except BaseException:
        abandon(writer)
        raise
    return len(docnums)


def _current_id(article: Article) -> str:
    """The article's id as this version makes it: an id an earlier version made from the
    article's URL as written is made again from its canonical URL; any other id is kept."""
    if article.url:
        written = hashlib.blake2b(f"url:{article.url.strip()}".encode(), digest_size=8)
        if article.id == written.hexdigest():
            return make_article_id(article.url, article.title, article.body)
    return article.id


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
    ix = open_whoosh(folder)
    writer = open_writer(ix, lock_timeout)
    count = 0
    try:
        writer.schema = build_schema()
        with ix.searcher() as searcher:  # the old commit, read while the new one is written
            # Ids made from a URL by an earlier schema are made again; two articles that then
            # share an id (one story shared twice) are one, the later. Only the ids are held:
            # each kept article is read again when it is written.
            reader = searcher.reader()
            ids = {
                docnum: _current_id(from_stored(reader.stored_fields(docnum)))
                for docnum in reader.all_doc_ids()
            }
            last = {article_id: docnum for docnum, article_id in ids.items()}
            for article_id, docnum in sorted(last.items(), key=lambda item: item[1]):
                article = from_stored(reader.stored_fields(docnum))
                if article_id != article.id:
                    article = attrs.evolve(article, id=article_id)
                writer.add_document(**to_document(article))
                count += 1
                if progress and count % _PROGRESS_EVERY == 0:
                    progress(count)
        _commit_replacing_all(writer)
        write_meta(folder)
    except DAMAGE as exc:
        abandon(writer)
        raise damage_or_failure(folder, exc) from None
    except BaseException:
        abandon(writer)
        raise
    if progress:
        progress(count)
    return count
