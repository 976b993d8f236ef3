"""The tests' one way into the Whoosh engine behind a ``NewsIndex``.

Tests that look at what the API does not show (segments, searchers, posting lists, compiled
queries), that write with Whoosh's own writer, or that compare the fast paths with Whoosh's
own answers go through these names, so a move inside the engine changes this file, not the
tests. Indexes to look into are built with ``make_index`` / ``build_index`` (conftest).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from whoosh.writing import SegmentWriter

from newsindex import Article, NewsIndex
from newsindex.engines.whoosh.codec.schema import to_document
from newsindex.engines.whoosh.collect import (
    FIRST_BY_DATE,
    TERM_AT_A_TIME,
    WHOOSH,
    Ranking,
    collect,
    fast_paths,
)
from newsindex.engines.whoosh.compile import compile_tree
from newsindex.engines.whoosh.exact import query_forms, with_exact
from newsindex.engines.whoosh.ranking import BM25Scorer
from newsindex.engines.whoosh.writer import _SegmentBuilder, import_documents
from newsindex.query import parse_query

__all__ = [
    "FIRST_BY_DATE",
    "TERM_AT_A_TIME",
    "WHOOSH",
    "answers",
    "assert_whoosh_agrees",
    "bounded_and_plain",
    "by_date_and_whoosh",
    "compiled",
    "counting_scored_postings",
    "counting_spills",
    "fast_and_whoosh",
    "fast_paths",
    "import_directly",
    "searcher",
    "segments",
    "top",
    "whoosh_index",
    "write_with_whoosh",
]


def searcher(news: NewsIndex) -> Any:
    """The index's own Whoosh searcher on its latest commit (the index keeps and closes it)."""
    return news._engine.handle.searcher()


def whoosh_index(news: NewsIndex) -> Any:
    """The Whoosh ``FileIndex`` the index opened."""
    return news._engine.handle._ix


def segments(news: NewsIndex) -> list[Any]:
    """The segments of the latest commit, oldest first."""
    return whoosh_index(news)._segments()


def compiled(news: NewsIndex, query: str, *, exact: bool = False) -> tuple[Any, Any]:
    """``(searcher, Whoosh query)``: ``query`` parsed as a search parses it, compiled for
    the searcher's reader; with ``exact``, with its words' exact forms as a search in
    relevance order adds them."""
    found = searcher(news)
    tree = parse_query(query, news._engine.handle.analyzers(found)).tree
    query_object = compile_tree(tree, found.reader())
    return found, with_exact(query_object, query_forms(tree)) if exact else query_object


def top(
    news: NewsIndex, query: str, count: int, sort: str = "relevance", *, exact: bool = False
) -> Ranking:
    """:func:`collect` of ``query`` (as :func:`compiled` gives it): the first ``count`` as
    ``(score, docnum)`` and the number of matches, by the fast paths enabled."""
    found, query_object = compiled(news, query, exact=exact)
    return collect(found, query_object, count, sort)


def _documents(articles: Iterable[Article]) -> Iterable[tuple[str, dict[str, Any]]]:
    return ((article.id, to_document(article)) for article in articles)


def import_directly(news: NewsIndex, articles: Iterable[Article], **options: Any) -> int:
    """``import_documents`` straight into the index, under none of the API's checks
    (``options``: ``procs``, ``limitmb``, ...); returns the articles stored."""
    return import_documents(SegmentWriter(whoosh_index(news)), _documents(articles), **options)


def counting_spills(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that receives, for each run a segment builder writes out (in this process; a
    worker's runs are its own), the builder's document count at the time."""
    written: list[int] = []
    real = _SegmentBuilder.spill

    def spill(self: _SegmentBuilder) -> None:
        written.append(self.docnum)
        real(self)

    monkeypatch.setattr(_SegmentBuilder, "spill", spill)
    return written


def write_with_whoosh(news: NewsIndex, articles: Iterable[Article], *, merge: bool = True) -> None:
    """Add ``articles`` with Whoosh's own segment writer, in one commit (``merge``: let
    Whoosh merge small segments, as it does by default)."""
    writer = SegmentWriter(whoosh_index(news))
    for _article_id, document in _documents(articles):
        writer.add_document(**document)
    writer.commit(merge=merge)


# --- the fast paths beside Whoosh's own answers -------------------------------------------------


def answers(news: NewsIndex, query: str, **options: Any) -> tuple[list, list, int]:
    """The ids and scores of the first 40 hits of a search, and its total."""
    results = news.search(query, limit=40, snippets=False, **options)
    return [h.id for h in results.hits], [h.score for h in results.hits], results.total


def fast_and_whoosh(
    news: NewsIndex, query: str, *, enabled: dict[str, bool] | None = None, **options: Any
) -> tuple[tuple, tuple, list[str]]:
    """The :func:`answers` with the fast paths (all, or as ``enabled`` names them), then
    Whoosh's own, and how the first search was collected."""
    with fast_paths(**(enabled or {})) as taken:
        fast = answers(news, query, **options)
    with fast_paths(False) as whooshs:
        whoosh = answers(news, query, **options)
    assert whooshs == [WHOOSH]
    return fast, whoosh, taken


def by_date_and_whoosh(
    news: NewsIndex, query: str, sort: str, limit: int, page: int = 1
) -> tuple[tuple, tuple]:
    """``(total, [(id, score)...])`` of a page in date order found by ``first_by_date``
    (checked to take the query on), then by Whoosh's collector."""
    found = []
    for enabled in (True, False):
        with fast_paths(enabled) as taken:
            results = news.search(query, limit=limit, page=page, sort=sort, snippets=False)
        assert taken == [FIRST_BY_DATE if enabled else WHOOSH]
        found.append((results.total, [(h.id, h.score) for h in results.hits]))
    return found[0], found[1]


def assert_whoosh_agrees(news: NewsIndex, query: str, limit: int) -> None:
    """The best ``limit`` hits by relevance (ids and scores) and the total are Whoosh's."""
    results = news.search(query, limit=limit, snippets=False)
    with fast_paths(False) as taken:
        whoosh = news.search(query, limit=limit, snippets=False)
    assert taken == [WHOOSH]
    assert [(h.id, h.score) for h in results.hits] == [(h.id, h.score) for h in whoosh.hits]
    assert results.total == whoosh.total


def counting_scored_postings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that receives how many postings each BM25 call scores (while ``monkeypatch``
    holds: the scorer reports no count of its own)."""
    scored: list[int] = []
    real = BM25Scorer.scores

    def counted(self: BM25Scorer, docnums: Any, weights: Any) -> Any:
        scored.append(len(docnums))
        return real(self, docnums, weights)

    monkeypatch.setattr(BM25Scorer, "scores", counted)
    return scored


def bounded_and_plain(
    news: NewsIndex, monkeypatch: pytest.MonkeyPatch, query: str, limit: int
) -> tuple[Ranking, Ranking, int, int]:
    """The best ``limit`` by relevance scored term at a time with block bounds and without
    (in Python, where the postings scored are counted), and the postings each scored."""
    with monkeypatch.context() as patch:
        scored = counting_scored_postings(patch)
        with fast_paths() as taken:
            bounded = top(news, query, limit)
        with_bounds = sum(scored)
        scored.clear()
        with fast_paths(block_max=False, numpy=False) as plain_taken:
            plain = top(news, query, limit)
    assert taken == plain_taken == [TERM_AT_A_TIME]
    return bounded, plain, with_bounds, sum(scored)
