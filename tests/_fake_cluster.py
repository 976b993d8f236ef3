"""A stand-in for the OpenSearch engine, for tests of what the front door does with a URL.

``NewsIndex.connect`` and a URL given where an index is named reach the engine's class through
``newsindex.api._opensearch_engine``; the ``fake_cluster`` fixture (conftest) puts
:class:`FakeCluster` there, which records each call's arguments and keeps articles in memory.
It answers a search with every stored article whose title or body holds the query's first word,
which is enough for the front door's tests; the real engine's behaviour is tested against a
node (``engine_index``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from newsindex import Article, Hit, IndexStats, SearchResults
from newsindex.analysis.analyzer import plain_analyzer, stemming_analyzer
from newsindex.errors import ArticleNotFoundError, IndexNotFoundError
from newsindex.query import parse_query
from newsindex.query.tree import ParsedQuery

__all__ = ["FakeCluster", "FakeEngine"]


@attrs.define
class FakeCluster:
    """The fake engine's class as the front door sees it, and what was asked of it."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = attrs.Factory(list)
    """``(method, args, kwargs)`` of every ``connect`` and ``create``, in order."""
    indexes: dict[str, dict[str, Article]] = attrs.Factory(dict)
    """The articles of each index made on the cluster."""

    def connect(self, urls: list[str], index: str, **options: Any) -> FakeEngine:
        """Like ``OpenSearchEngine.connect``: a missing index raises unless ``create``."""
        self.calls.append(("connect", (urls, index), options))
        if index not in self.indexes and not options.get("create"):
            raise IndexNotFoundError(f"{urls[0]}/{index}")
        return FakeEngine(f"{urls[0]}/{index}", self.indexes.setdefault(index, {}))

    def create(self, urls: list[str], index: str, **options: Any) -> FakeEngine:
        """Like ``OpenSearchEngine.create``."""
        self.calls.append(("create", (urls, index), options))
        return FakeEngine(f"{urls[0]}/{index}", self.indexes.setdefault(index, {}))


class FakeEngine:
    """An :class:`~newsindex.engines.base.Engine` over a dict."""

    name = "opensearch"

    def __init__(self, location: str, articles: dict[str, Article]) -> None:
        self.location = location
        self.articles = articles
        self.closed = False

    def parse(self, text: str, *, syntax: bool) -> ParsedQuery:
        """The query parsed with newsindex's own analyzers, as the real engine does."""
        plain, stemming = plain_analyzer(), stemming_analyzer()
        return parse_query(
            text,
            lambda field: stemming if field in (None, "title", "body") else plain,
            syntax=syntax,
        )

    def search(self, parsed: ParsedQuery, *, page: int, limit: int, **options: Any) -> Any:
        """Every article holding the query's first word in its title or body."""
        term = parsed.text.split()[0].lower()
        found = [a for a in self.articles.values() if term in f"{a.title} {a.body}".lower()]
        first = (page - 1) * limit
        hits = tuple(
            Hit(
                id=a.id,
                title=a.title,
                published=a.published,
                source=a.source,
                url=a.url,
                authors=a.authors,
                score=1.0,
                rank=first + n + 1,
                snippet="",
            )
            for n, a in enumerate(found[first : first + limit])
        )
        return SearchResults(hits=hits, total=len(found), page=page, limit=limit, query=str(parsed))

    def write(self, articles: Iterable[Article], **options: Any) -> int:
        """Store ``articles`` by id."""
        batch = {a.id: a for a in articles}
        self.articles.update(batch)
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete by id; an unknown id deletes nothing."""
        wanted = list(dict.fromkeys(ids))
        for article_id in wanted:
            if article_id not in self.articles:
                raise ArticleNotFoundError(article_id)
        for article_id in wanted:
            del self.articles[article_id]
        return len(wanted)

    def article(self, article_id: str) -> Article | None:
        """The stored article, or None."""
        return self.articles.get(article_id)

    def count(self) -> int:
        """How many articles are stored."""
        return len(self.articles)

    def stats(self) -> IndexStats:
        """The count, with the location as the path."""
        dates = [a.published for a in self.articles.values() if a.published]
        return IndexStats(
            path=self.location,
            articles=len(self.articles),
            first_published=min(dates) if dates else None,
            last_published=max(dates) if dates else None,
            size_bytes=0,
            schema_version=1,
        )

    def close(self) -> None:
        """Remember that the front door closed it."""
        self.closed = True
