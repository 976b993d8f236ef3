"""The open index: a handle that lends searchers to threads and follows the folder."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh.index import EmptyIndexError, FileIndex
from whoosh.searching import Searcher

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.engines.whoosh.codec.schema import from_stored
from newsindex.engines.whoosh.damage import (
    CORRUPT_DATA,
    DAMAGE,
    access_error,
    find_damage,
    is_access_failure,
)
from newsindex.engines.whoosh.folder import (
    OPEN_RETRIES,
    generation_or_none,
    latest_generation,
    missing_error,
    open_index,
)
from newsindex.engines.whoosh.lock import LOCK_POLL
from newsindex.engines.whoosh.searchers import FolderState, SearcherPool, folder_identity
from newsindex.engines.whoosh.stats import index_stats, newest_published
from newsindex.engines.whoosh.terms import TERMS_FILE, load_terms
from newsindex.engines.whoosh.transactions import delete_articles, write_articles
from newsindex.errors import IndexCorruptError, IndexNotFoundError, NewsIndexError
from newsindex.models import Article, IndexStats

__all__ = ["OpenIndex"]


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
            generation = latest_generation(self.path)
        except FileNotFoundError:
            raise IndexNotFoundError(self.path) from None
        except OSError as exc:
            raise access_error(self.path, exc) from None
        if generation < 0:
            raise missing_error(self.path)
        return FolderState(identity, generation)

    def _moved(self, state: FolderState) -> None:
        """Another folder now stands at the path: check it is an index this newsindex reads."""
        self._ix = open_index(self.path)

    def _open_searcher(self) -> Searcher:
        """A new searcher on the latest commit, with its weighting and the saved terms."""
        for _attempt in range(OPEN_RETRIES):
            generation = generation_or_none(self.path)
            try:
                searcher = self._ix.searcher()
            except Exception as exc:  # a commit or a rename in between, or damage: see below
                self._raise_if_damaged(exc, generation)
                time.sleep(LOCK_POLL)
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
        raise missing_error(self.path)

    def _raise_if_damaged(self, exc: BaseException, generation: int | None) -> None:
        """Raise our error for ``exc`` unless a commit since ``generation`` explains it."""
        if isinstance(exc, NewsIndexError):
            raise exc
        if generation_or_none(self.path) != generation:
            return  # the folder changed under the read: the caller tries again
        if isinstance(exc, EmptyIndexError):
            raise missing_error(self.path) from None
        self._raise_read_failure(exc)
        raise exc  # neither a commit nor damage explains it: the error itself, unchanged

    def _raise_read_failure(self, exc: BaseException) -> None:
        """Raise our error for a read that failed with ``exc``, if it has one."""
        if is_access_failure(exc):
            raise access_error(self.path, exc) from None
        damage = find_damage(self.path)
        if damage is not None:
            raise damage from None
        if not self.path.is_dir():
            raise IndexNotFoundError(self.path) from None
        if isinstance(exc, CORRUPT_DATA):
            raise IndexCorruptError(self.path, None, "a segment holds unreadable data") from None

    @contextlib.contextmanager
    def lend(self) -> Iterator[Searcher]:
        """A searcher on the latest commit for the caller alone while the block runs.

        A read that fails on a damaged file raises :class:`IndexCorruptError` naming it.
        """
        with self._pool.lend() as searcher:
            try:
                yield searcher
            except (*CORRUPT_DATA, OSError) as exc:  # what only the files' state explains
                self._raise_read_failure(exc)
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
            self._terms, self._terms_stamp = load_terms(self.path), stamp
        return self._terms

    def close(self) -> None:
        """Release the searchers' open files (those on loan when their reads end)."""
        self._pool.close()
        if self._own is not None:
            self._own[0].close()
            self._own = None

    def analyzers(self, searcher: Searcher) -> Callable[[str | None], NewsAnalyzer]:
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
