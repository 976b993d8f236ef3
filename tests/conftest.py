"""Shared fixtures: the seed article, a few hand-written articles and small indexes built from them.

The session index (``news``) holds the seed article, the hand-written articles below and a slice
of the bundled Wikinews sample (only articles from before 2020, so that every 2025 date belongs
to an article defined here). Tests that write build their own index under ``tmp_path``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsindex import Article, NewsIndex, read_path

REPO = Path(__file__).resolve().parent.parent
SEED_PATH = REPO / "seeds" / "000_cf3f115601c28b53.txt"
SEED_ID = "cf3f115601c28b53"
UTC = dt.timezone.utc

SAMPLE_SLICE = 43
"""How many Wikinews sample articles the session index takes (with the rest: about 50)."""

HAND_ARTICLES = (
    Article(
        id="h-glacier-title",
        title="Glacier melt speeds up in the Alps",
        body="Researchers measured the ice sheets above Zermatt for a decade and found the "
        "yearly loss has doubled since 2015.",
        url="https://alpine.example/2025/glacier-melt",
        published="2025-04-02T09:00:00Z",
        authors=["Anna Berg"],
        source="Alpine Post",
        section="Science",
        tags=["climate", "glaciers"],
    ),
    Article(
        id="h-glacier-body",
        title="Weekly science roundup",
        body="Researchers measured the ice above the glacier for a decade and reported "
        "their findings on Monday.",
        published="2025-01-20T12:00:00Z",
        source="Science Weekly",
        section="Science",
        tags=["roundup"],
    ),
    Article(
        id="h-newyear",
        title="Fireworks over the harbour at new year",
        body="Crowds gathered on the quay as the clock struck midnight in Rio.",
        # 23:30 at UTC-2 is 01:30 UTC on 1 January: the index must file it under 2025.
        published="2024-12-31T23:30:00-02:00",
        source="Harbour Daily",
    ),
    Article(
        id="h-march-end",
        title="Budget talks run late",
        body="The U.N.-backed budget talks ran past midnight as ministers argued over aid.",
        published="2025-03-31T23:59:00Z",
        authors=["Ola Nordmann", "Kari Nordmann"],
        source="Harbour Daily",
        section="Politics",
    ),
    Article(
        id="h-undated",
        title="Undated note about peace talks",
        body="A short note with no publication date.",
    ),
)
"""Hand-written articles; the ids say what each one is for."""


@pytest.fixture(scope="session")
def hand_articles() -> tuple[Article, ...]:
    """The hand-written articles (ids ``h-...``)."""
    return HAND_ARTICLES


@pytest.fixture(scope="session")
def seed_article() -> Article:
    """The seed article, read from the seed file in the source tree."""
    (article,) = read_path(SEED_PATH)
    return article


@pytest.fixture(scope="session")
def sample_articles() -> tuple[Article, ...]:
    """A slice of the bundled Wikinews sample (pre-2020 articles), or nothing if it is missing."""
    try:
        from newsindex.ingest import sample_paths

        paths = [p for p in sample_paths() if p.name.endswith(".jsonl.gz") and p.is_file()]
    except ImportError:
        return ()
    if not paths:
        return ()
    old = (a for a in read_path(paths[0]) if a.published and a.published.year < 2020)
    return tuple(itertools.islice(old, SAMPLE_SLICE))


@pytest.fixture(scope="session")
def all_articles(
    seed_article: Article, sample_articles: tuple[Article, ...]
) -> tuple[Article, ...]:
    """Everything in the session index."""
    return (seed_article, *HAND_ARTICLES, *sample_articles)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The seed file in the source tree."""
    return SEED_PATH


@pytest.fixture(scope="session")
def news(
    tmp_path_factory: pytest.TempPathFactory, all_articles: tuple[Article, ...]
) -> Iterator[NewsIndex]:
    """A read-only index of about 50 articles, built once per test session."""
    index = NewsIndex.create(tmp_path_factory.mktemp("session") / "index")
    index.add(all_articles)
    yield index
    index.close()


@pytest.fixture
def empty_news(tmp_path: Path) -> Iterator[NewsIndex]:
    """A new empty index under ``tmp_path``."""
    index = NewsIndex.create(tmp_path / "index")
    yield index
    index.close()


@pytest.fixture
def small_news(tmp_path: Path) -> Iterator[NewsIndex]:
    """A writable index holding the hand-written articles."""
    index = NewsIndex.create(tmp_path / "index")
    index.add(HAND_ARTICLES)
    yield index
    index.close()
