"""newsindex: full-text search for news articles.

>>> from newsindex import NewsIndex
>>> news = NewsIndex.open_or_create("news/")
>>> news.add_files(["articles.jsonl"])
>>> for hit in news.search('"coalition of the willing" date:2025').hits: ...
"""

from newsindex.analysis import analyze
from newsindex.api import NewsIndex, default_index_path
from newsindex.errors import (
    ArticleNotFoundError,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
    IngestError,
    NewsIndexError,
    QuerySyntaxError,
)
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
from newsindex.index import IMPORT_MEMORY_MB
from newsindex.ingest import read_path, read_paths
from newsindex.models import Article, Hit, ImportSummary, IndexStats, SearchResults, Skipped

__all__ = [
    "IMPORT_MEMORY_MB",
    "Article",
    "ArticleNotFoundError",
    "EvalReport",
    "Hit",
    "ImportSummary",
    "IndexExistsError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReadOnlyError",
    "IndexStats",
    "IndexVersionError",
    "IndexWriteError",
    "IngestError",
    "Judgments",
    "Metrics",
    "NewsIndex",
    "NewsIndexError",
    "QueryResult",
    "QuerySyntaxError",
    "SearchResults",
    "Skipped",
    "Topic",
    "analyze",
    "default_index_path",
    "evaluate",
    "evaluate_collection",
    "read_judgments",
    "read_path",
    "read_paths",
    "read_topics",
    "score_rankings",
]
