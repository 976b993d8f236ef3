"""``NewsIndex``: the one front door. Everything the CLI does goes through these methods."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from newsindex.analysis import NewsAnalyzer
from newsindex.errors import ArticleNotFoundError, IngestError, NewsIndexError
from newsindex.index import (
    Progress,
    create_index,
    delete_articles,
    index_stats,
    is_index,
    newest_published,
    open_index,
    write_articles,
)
from newsindex.ingest import read_paths, sample_paths
from newsindex.models import Article, ImportSummary, IndexStats, SearchResults, Skipped
from newsindex.query import SORTS, parse_period, parse_query, run_search
from newsindex.ranking import default_weighting
from newsindex.schema import TEXT_FIELDS, from_stored

__all__ = ["NewsIndex", "default_index_path"]

DEFAULT_LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another process's import to finish before giving up."""

PARALLEL_IMPORT_BYTES = 4_000_000
"""Imports of at least this much input use every core (up to two worker processes)."""


def _input_bytes(paths: Iterable[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


def default_index_path(environ: dict[str, str] | None = None) -> Path:
    """``$NEWSINDEX_DIR``, else the platform's per-user data folder (``.../newsindex/index``)."""
    env = os.environ if environ is None else environ
    if env.get("NEWSINDEX_DIR"):
        return Path(env["NEWSINDEX_DIR"]).expanduser()
    home = Path.home()
    if os.name == "nt":
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif os.uname().sysname == "Darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "newsindex" / "index"


def _to_utc(value: dt.date | dt.datetime | str | None, *, end: bool) -> dt.datetime | None:
    """A naive-UTC bound; a bare date given as ``until`` covers that whole day."""
    if value is None:
        return None
    if isinstance(value, str):  # the same date forms the query syntax accepts
        period = parse_period(value)
        if period is None:
            raise NewsIndexError(
                f"'{value}' is not a date: use a form like 2025, 2025-03 or 2025-03-16."
            )
        return period[1] if end else period[0]
    if not isinstance(value, dt.datetime):
        day = dt.datetime(value.year, value.month, value.day)
        return day + dt.timedelta(days=1) if end else day
    if value.tzinfo:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value + dt.timedelta(microseconds=1) if end else value


def _ignore(_error: IngestError) -> None:
    """Skip-mode error sink for a pass whose errors are reported by another pass."""


class NewsIndex:
    """A news search index in a folder on disk.

    >>> ix = NewsIndex.create("news/")          # or NewsIndex.open("news/")
    >>> ix.add_files(["articles.jsonl"])
    >>> ix.search('"coalition of the willing" date:2025').hits[0].title
    """

    def __init__(self, ix: FileIndex, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        """Wrap an opened Whoosh index; use :meth:`create` or :meth:`open` instead."""
        self._ix = ix
        self._searcher: Searcher | None = None
        self.lock_timeout = lock_timeout
        self.path = Path(ix.storage.folder)

    # --- opening -------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str], **options: float) -> NewsIndex:
        """Make a new empty index at ``path``; raises ``IndexExistsError`` if one is there."""
        return cls(create_index(path), **options)

    @classmethod
    def open(cls, path: str | os.PathLike[str], **options: float) -> NewsIndex:
        """Open the index at ``path``; raises ``IndexNotFoundError`` if there is none."""
        return cls(open_index(path), **options)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike[str], **options: float) -> NewsIndex:
        """Open the index at ``path``, making an empty one first if there is none."""
        return cls.open(path, **options) if is_index(path) else cls.create(path, **options)

    @classmethod
    def open_sample(
        cls, path: str | os.PathLike[str], *, on_build: Callable[[], None] | None = None
    ) -> NewsIndex:
        """Open ``path``, building it from the bundled sample news first if it holds no index."""
        if is_index(path):
            return cls.open(path)
        if on_build:
            on_build()
        index = cls.create(path)
        index.add_files(sample_paths())
        return index

    def close(self) -> None:
        """Release the open searcher (files stay on disk)."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self) -> NewsIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"NewsIndex({str(self.path)!r})"

    # --- writing -------------------------------------------------------------------------------

    def add(
        self, articles: Iterable[Article], *, progress: Progress | None = None, procs: int = 1
    ) -> int:
        """Insert ``articles``, replacing any with the same id, in one commit; returns the count.

        If anything fails part way, nothing of this call is kept. ``procs`` > 1 indexes in
        that many processes and needs every id to occur once.
        """
        written = write_articles(
            self._ix, articles, lock_timeout=self.lock_timeout, progress=progress, procs=procs
        )
        self._refresh()
        return written

    def add_files(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        skip_errors: bool = False,
        progress: Progress | None = None,
        procs: int | None = None,
    ) -> ImportSummary:
        """Import files and folders (seed text, JSON Lines, JSON) in one commit.

        By default the first bad record raises :class:`IngestError` and nothing is imported;
        with ``skip_errors`` bad records are left out and listed in the summary. An id that
        occurs more than once is stored in its last version. Large imports use two processes
        unless ``procs`` says otherwise.
        """
        paths = [Path(p) for p in paths]
        if procs is None:
            big = _input_bytes(paths) >= PARALLEL_IMPORT_BYTES
            procs = min(2, os.cpu_count() or 1) if big else 1
        skipped: list[Skipped] = []

        def record(error: IngestError) -> None:
            skipped.append(Skipped(path=error.path, line=error.line, reason=error.reason))

        on_error = record if skip_errors else None
        articles = read_paths(paths, on_error=on_error)
        if procs > 1:
            # Workers cannot replace each other's documents, so find the last copy of every
            # id first (a cheap read-only pass that also fails early on a bad record).
            last = {
                a.id: n
                for n, a in enumerate(read_paths(paths, on_error=_ignore if skip_errors else None))
            }
            articles = (a for n, a in enumerate(articles) if last.get(a.id) == n)
        added = self.add(articles, progress=progress, procs=procs)
        return ImportSummary(added=added, skipped=tuple(skipped))

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id in one commit; an unknown id raises and deletes nothing."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        deleted = delete_articles(self._ix, ids, lock_timeout=self.lock_timeout)
        self._refresh()
        return deleted

    # --- reading -------------------------------------------------------------------------------

    def _current_searcher(self) -> Searcher:
        """A searcher on the latest commit: reused while nothing changed, renewed after."""
        if self._searcher is not None and not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            # The recency prior counts back from the newest article, so it is renewed with
            # the searcher after every commit.
            searcher = self._ix.searcher()
            searcher.weighting = default_weighting(newest_published(searcher))
            self._searcher = searcher
        return self._searcher

    def _refresh(self) -> None:
        if self._searcher is not None and not self._searcher.up_to_date():
            self._searcher.close()
            self._searcher = None

    def _analyzer(self, field: str | None) -> NewsAnalyzer:
        return self._ix.schema[field or TEXT_FIELDS[1]].analyzer

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        sort: str = "relevance",
        since: dt.date | dt.datetime | str | None = None,
        until: dt.date | dt.datetime | str | None = None,
    ) -> SearchResults:
        """Search with the web-style query syntax; see the README for the grammar.

        ``since`` and ``until`` are inclusive (a date as ``until`` covers that whole day).
        """
        if sort not in SORTS:
            raise NewsIndexError(f"Unknown sort '{sort}': use one of {', '.join(SORTS)}.")
        if limit < 1 or page < 1:
            raise NewsIndexError("limit and page must be at least 1.")
        parsed = parse_query(query, self._analyzer)
        return run_search(
            self._current_searcher(),
            parsed,
            body_analyzer=self._analyzer(None),
            page=page,
            limit=limit,
            sort=sort,
            since=_to_utc(since, end=False),
            until=_to_utc(until, end=True),
        )

    def get(self, article_id: str) -> Article:
        """The stored article with this id; raises :class:`ArticleNotFoundError`."""
        stored = self._current_searcher().document(id=article_id)
        if stored is None:
            raise ArticleNotFoundError(article_id)
        return from_stored(stored)

    def __contains__(self, article_id: object) -> bool:
        return self._current_searcher().document_number(id=article_id) is not None

    def __len__(self) -> int:
        return self._current_searcher().doc_count()

    def stats(self) -> IndexStats:
        """Article count, date range and size on disk."""
        return index_stats(self._ix)
