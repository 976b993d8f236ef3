"""newsindex: full-text search for news articles.

>>> from newsindex import NewsIndex
>>> news = NewsIndex.open_or_create("news/")
>>> news.add_files(["articles.jsonl"])
>>> for hit in news.search('"coalition of the willing" date:2025').hits: ...
"""

import importlib as _importlib
import typing as _typing
from importlib import metadata as _metadata

from newsindex.analysis.analyzer import analyze
from newsindex.api import (
    DEFAULT_LOCK_TIMEOUT,
    NewsIndex,
    default_index_location,
    default_index_path,
    sample_index_path,
)
from newsindex.engines.whoosh.writer import IMPORT_MEMORY_MB
from newsindex.errors import (
    ArticleNotFoundError,
    EngineAuthError,
    EngineConnectionError,
    EngineRequestError,
    EngineTimeoutError,
    EngineVersionError,
    EngineWriteError,
    IndexCorruptError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
    IngestError,
    InvalidArgumentError,
    NewsIndexError,
    QuerySyntaxError,
    UnsupportedError,
)
from newsindex.ingest import read_path, read_paths
from newsindex.ingest.fetch import DEFAULT_DELAY as FETCH_DELAY
from newsindex.ingest.fetch import DEFAULT_TIMEOUT as FETCH_TIMEOUT
from newsindex.models import (
    Article,
    CopyReport,
    Hit,
    ImportSummary,
    IndexCheck,
    IndexStats,
    Match,
    RepairReport,
    SearchResults,
    Skipped,
    Sort,
)

try:
    __version__ = _metadata.version("newsindex")
    """The installed distribution's version."""
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

if _typing.TYPE_CHECKING:
    from newsindex.evaluation import (
        EvalReport,
        Judgments,
        Metrics,
        QueryResult,
        Topic,
        evaluate,
        evaluate_collection,
        read_judgments,
        read_topics,
        score_rankings,
    )

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "FETCH_DELAY",
    "FETCH_TIMEOUT",
    "IMPORT_MEMORY_MB",
    "Article",
    "ArticleNotFoundError",
    "CopyReport",
    "EngineAuthError",
    "EngineConnectionError",
    "EngineRequestError",
    "EngineTimeoutError",
    "EngineVersionError",
    "EngineWriteError",
    "EvalReport",
    "Hit",
    "ImportSummary",
    "IndexCheck",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReadOnlyError",
    "IndexStats",
    "IndexVersionError",
    "IndexWriteError",
    "IngestError",
    "InvalidArgumentError",
    "Judgments",
    "Match",
    "Metrics",
    "NewsIndex",
    "NewsIndexError",
    "QueryResult",
    "QuerySyntaxError",
    "RepairReport",
    "SearchResults",
    "Skipped",
    "Sort",
    "Topic",
    "UnsupportedError",
    "analyze",
    "default_index_location",
    "default_index_path",
    "evaluate",
    "evaluate_collection",
    "read_judgments",
    "read_path",
    "read_paths",
    "read_topics",
    "sample_index_path",
    "score_rankings",
]

# Ranking evaluation is imported on first use: a search has no need of it.
_LAZY = {
    name: "newsindex.evaluation"
    for name in (
        "EvalReport",
        "Judgments",
        "Metrics",
        "QueryResult",
        "Topic",
        "evaluate",
        "evaluate_collection",
        "read_judgments",
        "read_topics",
        "score_rankings",
    )
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'newsindex' has no attribute {name!r}")
    value = globals()[name] = getattr(_importlib.import_module(module), name)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
