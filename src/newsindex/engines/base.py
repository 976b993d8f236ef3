"""The engine interface: what :class:`newsindex.NewsIndex` asks of the engine under it.

An engine stores :class:`~newsindex.models.Article` models and answers the engine-free query
tree of :mod:`newsindex.query.tree` with the models of :mod:`newsindex.models`, so the front
door is the same over every engine. What only one engine has (the Whoosh folder's check,
repair, reindex and write lock) stays on that engine's class; the front door raises
:class:`~newsindex.errors.UnsupportedError` naming the engine that lacks it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, get_args

import attrs

from newsindex.models import Article, IndexStats, Match, SearchResults, Sort
from newsindex.query.tree import ParsedQuery

__all__ = ["MATCHES", "SORTS", "Engine", "Progress", "Snapshot"]

SORTS: tuple[Sort, ...] = get_args(Sort)
"""The orders a page of hits can come in: by relevance, or by publication date."""

MATCHES: tuple[Match, ...] = get_args(Match)
"""How the words of a query must match: every word, any word, or chosen by the query."""

Progress = Callable[[int], None]
"""Called during a write with the number of articles written so far."""


@attrs.frozen
class Snapshot:
    """Every article of one version of an index, for copying it elsewhere."""

    version: str
    """Names the index and its version: another commit gives another value."""
    total: int
    """How many articles :attr:`articles` yields."""
    articles: Iterator[Article]
    """The articles, read as the version holds them while the snapshot is open."""


class Engine(Protocol):
    """One opened index on one engine; safe to share between threads.

    Every method raises only :class:`~newsindex.errors.NewsIndexError` subclasses: an engine
    translates its library's exceptions at this boundary.
    """

    name: str
    """The engine's name as users see it in messages: ``"whoosh"``, ``"opensearch"``."""

    location: str
    """Where the index is: a folder's path, or a URL with any password replaced by ``***``."""

    def parse(self, text: str, *, syntax: bool) -> ParsedQuery:
        """``text`` parsed with :func:`newsindex.query.parse_query` and the analyzers this
        index's fields are analysed with (``syntax=False``: prose, no operators)."""
        ...

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
        """One page of the articles ``parsed`` matches. ``since`` is inclusive and ``until``
        exclusive, both naive UTC; the arguments are already checked by the front door."""
        ...

    def write(
        self, articles: Iterable[Article], *, progress: Progress | None, procs: int, limitmb: int
    ) -> int:
        """Insert ``articles``, replacing any with the same id, all or nothing; returns how
        many were stored (an id given twice counts once, in its last version)."""
        ...

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id, all or nothing: an unknown id raises
        :class:`~newsindex.errors.ArticleNotFoundError` and deletes none."""
        ...

    def article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        ...

    def count(self) -> int:
        """How many articles the index holds."""
        ...

    def stats(self) -> IndexStats:
        """Article count, date range and size, with :attr:`location` as its ``path``."""
        ...

    def close(self) -> None:
        """Release what the engine holds open (connections, searchers); the data stays."""
        ...
