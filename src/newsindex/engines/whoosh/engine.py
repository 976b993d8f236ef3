"""The Whoosh engine behind :class:`newsindex.NewsIndex`: an index in a folder on this machine.

:class:`WhooshEngine` is the :class:`~newsindex.engines.base.Engine` over an
:class:`~.handle.OpenIndex`. The operations only a folder has (check, repair, rebuild,
discard, and whether a folder holds an index) are its static methods, taking the folder's path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsindex.engines.base import Progress, Snapshot
from newsindex.engines.whoosh.codec.schema import from_stored
from newsindex.engines.whoosh.folder import (
    committed_count,
    create_index,
    discard_empty_index,
    holds_index,
    is_index,
    open_index,
    stored_articles,
)
from newsindex.engines.whoosh.handle import OpenIndex
from newsindex.engines.whoosh.ranking import default_weighting
from newsindex.engines.whoosh.repair import check_index, repair_index
from newsindex.engines.whoosh.search import run_search
from newsindex.engines.whoosh.transactions import rebuild_index
from newsindex.engines.whoosh.writer import IMPORT_MEMORY_MB
from newsindex.models import (
    Article,
    IndexCheck,
    IndexStats,
    Match,
    RepairReport,
    SearchResults,
    Sort,
)
from newsindex.query import parse_query
from newsindex.query.tree import ParsedQuery

__all__ = ["IMPORT_MEMORY_MB", "WhooshEngine"]


class WhooshEngine:
    """An index folder opened for reading and writing; safe to share between threads.

    Each read borrows a searcher on the folder's latest commit that no other thread is using;
    writes take the folder's file lock, waiting up to ``lock_timeout`` seconds for another
    process's write to finish.
    """

    name = "whoosh"

    def __init__(self, handle: OpenIndex) -> None:
        """Wrap an opened folder; :meth:`create` and :meth:`open` make one."""
        self.handle = handle
        self.path: Path = handle.path
        self.location = str(handle.path)

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, lock_timeout: float) -> WhooshEngine:
        """A new empty index at ``path``; raises ``IndexExistsError`` if one is there."""
        index = create_index(path, lock_timeout=lock_timeout)
        return cls(OpenIndex(index, default_weighting, lock_timeout))

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, lock_timeout: float) -> WhooshEngine:
        """The index at ``path``; raises ``IndexNotFoundError`` if there is none."""
        return cls(OpenIndex(open_index(path), default_weighting, lock_timeout))

    @property
    def lock_timeout(self) -> float:
        """Seconds a write waits for another process's write to finish."""
        return self.handle.lock_timeout

    # --- the engine interface ------------------------------------------------------------------

    def parse(self, text: str, *, syntax: bool) -> ParsedQuery:
        """``text`` parsed with the analyzers of the latest commit's schema."""
        with self.handle.lend() as searcher:
            return parse_query(text, self.handle.analyzers(searcher), syntax=syntax)

    def search(
        self,
        parsed: ParsedQuery,
        *,
        page: int,
        limit: int,
        sort: Sort,
        since: dt.datetime | None,
        until: dt.datetime | None,
        match: Match,
        snippets: bool,
    ) -> SearchResults:
        """:func:`run_search` on one searcher, this thread's alone until the page is built."""
        with self.handle.lend() as searcher:
            return run_search(
                searcher,
                parsed,
                body_analyzer=self.handle.analyzers(searcher)(None),
                page=page,
                limit=limit,
                sort=sort,
                since=since,
                until=until,
                match=match,
                snippets=snippets,
            )

    def write(
        self, articles: Iterable[Article], *, progress: Progress | None, procs: int, limitmb: int
    ) -> int:
        """Insert or replace ``articles`` in one commit under the write lock."""
        return self.handle.write(articles, progress=progress, procs=procs, limitmb=limitmb)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id in one commit under the write lock."""
        return self.handle.delete(ids)

    def article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        return self.handle.article(article_id)

    def count(self) -> int:
        """How many articles the latest commit holds."""
        return self.handle.count()

    def stats(self) -> IndexStats:
        """Count, date range and size on disk of the latest commit."""
        return self.handle.stats()

    def close(self) -> None:
        """Release the searchers' open files."""
        self.handle.close()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The latest commit's articles, read from that commit while the block runs, whatever
        is committed meanwhile; its version is the folder and the commit's number."""
        with self.handle.lend() as searcher:
            reader = searcher.reader()
            yield Snapshot(
                version=f"{self.path.resolve()}@{reader.generation()}",
                total=reader.doc_count(),
                articles=(from_stored(stored) for stored in reader.all_stored_fields()),
            )

    # --- what only a folder has ----------------------------------------------------------------

    @staticmethod
    def is_index(path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` holds a newsindex index with a commit."""
        return is_index(path)

    @staticmethod
    def holds_index(path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` holds an index, sound or damaged (a damaged one is still the user's)."""
        return holds_index(path)

    @staticmethod
    def committed_count(path: str | os.PathLike[str]) -> int | None:
        """How many articles the folder's latest commit holds (None: no readable commit)."""
        return committed_count(path)

    @staticmethod
    def stored_articles(path: str | os.PathLike[str]) -> Iterator[Article]:
        """Every article stored in the folder, whatever newsindex schema wrote it."""
        return stored_articles(path)

    @staticmethod
    def rebuild(
        path: str | os.PathLike[str], *, lock_timeout: float, progress: Progress | None = None
    ) -> int:
        """Rebuild the folder with this version's schema from its stored articles."""
        return rebuild_index(path, lock_timeout=lock_timeout, progress=progress)

    @staticmethod
    def discard(path: str | os.PathLike[str]) -> bool:
        """Delete the folder's index if it holds no articles and the folder nothing else."""
        return discard_empty_index(path)

    @staticmethod
    def check(path: str | os.PathLike[str]) -> IndexCheck:
        """Read the whole folder and report what is damaged; writes nothing."""
        return check_index(path)

    @staticmethod
    def repair(path: str | os.PathLike[str], *, lock_timeout: float) -> RepairReport:
        """Make a damaged folder sound again, keeping every article that can be read."""
        return repair_index(path, lock_timeout=lock_timeout)
