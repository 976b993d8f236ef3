"""Shared fixtures: the seed article, a few hand-written articles and small indexes built from them.

Two tiers: ``python -m pytest -m "not slow"`` while editing (under a minute on two cores), and
``python -m pytest``, everything, as CI runs it: also the tests marked ``slow``, which start, race
and kill processes, import in parallel, stress threads, build the sample or indexes of thousands
of articles, run the benchmarks' smoke mode or try many Hypothesis examples. ``--soak`` runs the
reliability tests longer still, for releases.

The session index (``news``) holds the seed article, the hand-written articles below and a slice
of the bundled Wikinews sample (only articles from before 2020, so that every 2025 date belongs
to an article defined here). Tests that write build their own index with ``make_index`` (under
``tmp_path``; module and session fixtures call ``build_index``). Tests that look inside the
engine go through ``tests/_engine.py``; tests that compare the fast paths with Whoosh's own
answers live in ``test_equivalence.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from _engine import counting_spills, segments
from _fake_cluster import FakeCluster
from hypothesis import settings

from newsindex import Article, NewsIndex, read_path
from newsindex.ingest import read_paths, sample_paths

# Real OpenSearch nodes (fixtures opensearch_url, opensearch_cluster, opensearch_secure); tests/
# is on sys.path as the folder of this conftest, not a package.
pytest_plugins = ["_opensearch"]

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
def full_article() -> Article:
    """An article with every field set, its date given at UTC+2."""
    return Article(
        id="full-1",
        title="Glacier melt speeds up",
        body="Researchers measured the ice.\n\nThe loss has doubled.",
        url="https://alpine.example/glacier",
        published="2025-04-02T11:00:00+02:00",
        authors=["Anna Berg", "Jon Moe"],
        source="Alpine Post",
        section="Science",
        tags=["climate", "glaciers"],
        language="de",
    )


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


def build_index(path: Path, *commits: Iterable[Article], memory_mb: int | None = None) -> NewsIndex:
    """A new index at ``path`` holding ``commits``, each added in one commit (one segment
    each, with the default memory), with ``memory_mb`` as :meth:`NewsIndex.add` takes it if
    given; no commit: an empty index."""
    options = {} if memory_mb is None else {"memory_mb": memory_mb}
    news = NewsIndex.create(path)
    for articles in commits:
        news.add(articles, **options)
    return news


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[Callable[..., NewsIndex]]:
    """``make_index(*commits, memory_mb=..., name="index")``: :func:`build_index` under
    ``tmp_path / name``; every index made is closed after the test."""
    made: list[NewsIndex] = []

    def make(
        *commits: Iterable[Article], memory_mb: int | None = None, name: str = "index"
    ) -> NewsIndex:
        made.append(build_index(tmp_path / name, *commits, memory_mb=memory_mb))
        return made[-1]

    yield make
    for news in made:
        news.close()


@pytest.fixture(scope="session")
def index_copies(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``index_copies(path, *commits)``: a copy at ``path`` of an index folder holding
    ``commits`` (as :func:`build_index` adds them), each distinct folder built once per
    session; for tests that damage, lock or change a small index of their own."""
    built: dict[tuple[tuple[Article, ...], ...], Path] = {}

    def copy(path: Path, *commits: Iterable[Article]) -> Path:
        key = tuple(tuple(articles) for articles in commits)
        if key not in built:
            folder = tmp_path_factory.mktemp("built") / "index"
            build_index(folder, *key).close()
            built[key] = folder
        shutil.copytree(built[key], path)  # file times kept: damage checks read them
        return path

    return copy


@pytest.fixture(scope="session")
def multi_segment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """600 sample articles over several segments, some replaced and some deleted."""
    articles = list(itertools.islice(read_paths(sample_paths()), 600))
    path = tmp_path_factory.mktemp("multi") / "index"
    news = build_index(path, articles[:300], articles[300:], memory_mb=1)
    news.add(articles[::21])  # replaced: the old copies are deleted documents now
    news.delete([a.id for a in articles[1::7]])
    made = segments(news)
    assert len(made) >= 3
    assert sum(segment.deleted_count() for segment in made) >= 80
    yield news
    news.close()


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


# --- the same tests on both engines ----------------------------------------------------------

ENGINES = ("whoosh", "opensearch")
"""The engines ``engine_index`` runs a test on."""


@pytest.fixture(params=["whoosh", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def engine_index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewsIndex]:
    """A new empty index on each engine in turn: a folder under ``tmp_path``, then an index of
    its own on the test node (``opensearch_url``, which skips when there is no node)."""
    if request.param == "whoosh":
        index = NewsIndex.create(tmp_path / "index")
        yield index
        index.close()
        return
    url = request.getfixturevalue("opensearch_url")
    name = f"test-{uuid.uuid4().hex[:12]}"
    index = NewsIndex.connect(url, index=name, create=True)
    yield index
    index.close()
    import opensearchpy  # only with a node to clean up

    client = opensearchpy.OpenSearch(url)
    try:
        client.indices.delete(index=name)
    except opensearchpy.NotFoundError:
        pass  # the test deleted it
    finally:
        client.close()


@pytest.fixture
def fake_cluster(monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    """A stand-in for the OpenSearch engine that URLs reach while the test runs (in memory,
    recording how it was called; see ``tests/_fake_cluster.py``)."""
    cluster = FakeCluster()
    monkeypatch.setattr("newsindex.api._opensearch_engine", lambda: cluster)
    return cluster


# --- soak mode and random seed ----------------------------------------------------------------

SOAK_ENV = "NEWSINDEX_SOAK"
SEED_ENV = "NEWSINDEX_SEED"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--soak``: the long reliability run for release checks."""
    parser.addoption(
        "--soak",
        action="store_true",
        help=f"Run the reliability tests longer: more processes, kills, articles and "
        f"Hypothesis examples (same as {SOAK_ENV}=1).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Fix the seed of the random kill points; in soak mode Hypothesis tries 10x the examples."""
    os.environ.setdefault(SEED_ENV, str(random.randrange(2**32)))
    if is_soak(config):
        settings.register_profile("soak", max_examples=1_000, deadline=None)
        settings.load_profile("soak")


def pytest_report_header(config: pytest.Config) -> str:
    """The seed, so that a failed crash test can be rerun with the same kill points."""
    return f"reliability: {SEED_ENV}={os.environ[SEED_ENV]}" + (", soak" if is_soak(config) else "")


def is_soak(config: pytest.Config) -> bool:
    """Whether the long run was asked for, by option or environment variable."""
    return bool(config.getoption("--soak")) or os.environ.get(SOAK_ENV) == "1"


@pytest.fixture(scope="session")
def soak(pytestconfig: pytest.Config) -> bool:
    """Whether this is the long reliability run (``--soak`` or ``NEWSINDEX_SOAK=1``)."""
    return is_soak(pytestconfig)


@pytest.fixture
def spills(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The runs segment builders write out during the test: the builder's document count
    at each (in this process only; a worker's runs are its own)."""
    return counting_spills(monkeypatch)
