"""Measure ranking quality on a test collection: documents, queries and relevance judgments.

A collection is three files, the layout of the classic IR test collections (TREC, Cranfield)::

    docs.jsonl     one article per line, as the JSON Lines reader takes it ({"id", "title", "body"})
    queries.jsonl  {"id": "1", "text": "what similarity laws must be obeyed ..."}
    qrels.tsv      TREC qrels: query id, iteration (ignored), document id, relevance grade

:func:`evaluate` runs every query through :meth:`NewsIndex.search` as plain text (``syntax=False``:
quotes, colons and ``OR`` in a query's text are words, not operators) and scores the rankings the
way ``trec_eval`` does:

- **MAP**: mean average precision over the first ``depth`` results (1,000, as in TREC runs); a
  relevant document that is not retrieved adds zero precision, so every judged one counts.
- **nDCG@10**: ``trec_eval``'s ``ndcg_cut_10``: the grade is the gain, discounted by
  ``log2(rank + 1)``, normalised by the ideal ordering of all judged documents.
- **P@10**: relevant documents among the first ten, divided by ten.
- **R@100**: relevant documents among the first hundred, divided by all relevant ones.

A document is relevant when its grade is above zero. Queries without any relevant document are
left out of the means (``trec_eval`` cannot score them either); a query that finds nothing scores
zero on every measure.

>>> report = evaluate_collection("adi/docs.jsonl", "adi/queries.jsonl", "adi/qrels.tsv")
>>> round(report.means.map, 3)
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from newsindex.api import NewsIndex
from newsindex.errors import IngestError, QuerySyntaxError
from newsindex.models import Article

__all__ = [
    "EvalReport",
    "Judgments",
    "Metrics",
    "QueryResult",
    "Topic",
    "average_precision",
    "evaluate",
    "evaluate_collection",
    "ndcg_at",
    "precision_at",
    "read_documents",
    "read_judgments",
    "read_topics",
    "recall_at",
    "score_rankings",
]

PathLike = str | os.PathLike[str]

DEFAULT_DEPTH = 1000
"""Results taken per query: TREC's (and ``trec_eval``'s usual) run depth, so MAP is comparable."""


# --- models ------------------------------------------------------------------------------------


@attrs.frozen
class Topic:
    """One query of a test collection."""

    id: str
    """The query id the judgments refer to, kept exactly as written (``"017"`` stays ``"017"``)."""
    text: str
    """The query as a user would type or say it."""


def _freeze(value: Mapping[str, Mapping[str, int]]) -> Mapping[str, Mapping[str, int]]:
    return MappingProxyType({q: MappingProxyType(dict(docs)) for q, docs in value.items()})


@attrs.frozen
class Judgments:
    """Relevance judgments (qrels): for each query id, the judged document ids and their grades."""

    grades: Mapping[str, Mapping[str, int]] = attrs.field(converter=_freeze)
    """``grades[query_id][doc_id]``; a grade above zero means relevant. Read-only."""

    def for_query(self, query_id: str) -> Mapping[str, int]:
        """The grades of the documents judged for ``query_id`` (empty if none were)."""
        return self.grades.get(query_id, MappingProxyType({}))

    def relevant(self, query_id: str) -> frozenset[str]:
        """The ids of the documents judged relevant to ``query_id``."""
        return frozenset(d for d, grade in self.for_query(query_id).items() if grade > 0)


@attrs.frozen(kw_only=True)
class Metrics:
    """The four measures, for one query or averaged over all queries of a run."""

    map: float
    """Average precision (for one query) or mean average precision (for a run)."""
    ndcg_10: float
    """Normalised discounted cumulative gain of the first ten results."""
    p_10: float
    """Precision of the first ten results."""
    recall_100: float
    """Share of the relevant documents found in the first hundred results."""

    NAMES = ("MAP", "nDCG@10", "P@10", "R@100")
    """Display names, in field order."""

    def values(self) -> tuple[float, float, float, float]:
        """The measures in :attr:`NAMES` order."""
        return (self.map, self.ndcg_10, self.p_10, self.recall_100)


@attrs.frozen(kw_only=True)
class QueryResult:
    """How one query did."""

    query_id: str
    """The query's id."""
    relevant: int
    """How many documents are judged relevant to it."""
    retrieved: int
    """How many documents the search returned (at most the run's depth)."""
    metrics: Metrics
    """Its scores."""


def _mean(queries: Sequence[QueryResult], name: str) -> float:
    return math.fsum(getattr(q.metrics, name) for q in queries) / len(queries) if queries else 0.0


# Converters the attrs mypy plugin can read (it cannot bind the type variable of ``tuple``).
def _to_results(values: Iterable[QueryResult]) -> tuple[QueryResult, ...]:
    return tuple(values)


def _to_ids(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class EvalReport:
    """The scores of one run over a collection's queries."""

    queries: tuple[QueryResult, ...] = attrs.field(converter=_to_results)
    """Per-query results, in the order the queries were given (only queries with judgments)."""
    depth: int
    """How many results were taken per query."""
    documents: int = 0
    """How many documents the run searched (0 when not known)."""
    unjudged: tuple[str, ...] = attrs.field(default=(), converter=_to_ids)
    """Ids of queries left out because no document is judged relevant to them."""

    @property
    def means(self) -> Metrics:
        """Each measure averaged over :attr:`queries`."""
        names = [f.name for f in attrs.fields(Metrics)]
        return Metrics(**{name: _mean(self.queries, name) for name in names})


# --- measures (trec_eval definitions) ----------------------------------------------------------


def average_precision(ranking: Sequence[str], grades: Mapping[str, int]) -> float:
    """Average precision of ``ranking`` over every relevant document in ``grades``."""
    relevant = sum(1 for grade in grades.values() if grade > 0)
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, doc_id in enumerate(ranking, start=1):
        if grades.get(doc_id, 0) > 0:
            found += 1
            total += found / rank
    return total / relevant


def precision_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Relevant documents among the first ``k`` of ``ranking``, divided by ``k``."""
    return sum(1 for doc_id in ranking[:k] if grades.get(doc_id, 0) > 0) / k


def recall_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Relevant documents among the first ``k`` of ``ranking``, divided by all relevant ones."""
    relevant = sum(1 for grade in grades.values() if grade > 0)
    if not relevant:
        return 0.0
    return sum(1 for doc_id in ranking[:k] if grades.get(doc_id, 0) > 0) / relevant


def ndcg_at(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG of the first ``k`` results: gain = grade, discount ``log2(rank + 1)`` (trec_eval)."""

    def dcg(gains: Iterable[int]) -> float:
        return math.fsum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1) if g > 0)

    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if not ideal:
        return 0.0
    return dcg(grades.get(doc_id, 0) for doc_id in ranking[:k]) / ideal


def _score(ranking: Sequence[str], grades: Mapping[str, int]) -> Metrics:
    return Metrics(
        map=average_precision(ranking, grades),
        ndcg_10=ndcg_at(ranking, grades, 10),
        p_10=precision_at(ranking, grades, 10),
        recall_100=recall_at(ranking, grades, 100),
    )


def score_rankings(
    rankings: Mapping[str, Sequence[str]],
    judgments: Judgments,
    *,
    depth: int = DEFAULT_DEPTH,
    query_ids: Iterable[str] | None = None,
    documents: int = 0,
) -> EvalReport:
    """Score ready-made rankings (``query id -> doc ids, best first``), e.g. another system's.

    ``query_ids`` says which queries the run covers (default: those in ``rankings``); a covered
    query missing from ``rankings`` found nothing. Rankings are cut to ``depth``.
    """
    results, unjudged = [], []
    for query_id in rankings if query_ids is None else query_ids:
        grades = judgments.for_query(query_id)
        relevant = sum(1 for grade in grades.values() if grade > 0)
        if not relevant:
            unjudged.append(query_id)
            continue
        ranking = list(dict.fromkeys(rankings.get(query_id, ())))[:depth]
        results.append(
            QueryResult(
                query_id=query_id,
                relevant=relevant,
                retrieved=len(ranking),
                metrics=_score(ranking, grades),
            )
        )
    return EvalReport(queries=results, depth=depth, documents=documents, unjudged=unjudged)


# --- running the queries -----------------------------------------------------------------------


def rank(index: NewsIndex, text: str, *, depth: int = DEFAULT_DEPTH) -> tuple[str, ...]:
    """The ids of the first ``depth`` articles ``index`` finds for the plain text ``text``."""
    try:
        results = index.search(text, limit=depth, syntax=False, snippets=False)
    except QuerySyntaxError:  # the text has no searchable words at all
        return ()
    return tuple(hit.id for hit in results.hits)


def evaluate(
    index: NewsIndex, topics: Iterable[Topic], judgments: Judgments, *, depth: int = DEFAULT_DEPTH
) -> EvalReport:
    """Search ``index`` for every topic through :meth:`NewsIndex.search` and score the rankings."""
    topics = list(topics)
    rankings = {topic.id: rank(index, topic.text, depth=depth) for topic in topics}
    return score_rankings(
        rankings,
        judgments,
        depth=depth,
        query_ids=[topic.id for topic in topics],
        documents=len(index),
    )


def evaluate_collection(
    docs: PathLike,
    queries: PathLike,
    qrels: PathLike,
    *,
    index_path: PathLike | None = None,
    depth: int = DEFAULT_DEPTH,
) -> EvalReport:
    """Index ``docs`` into a new index (at ``index_path``, a folder or an OpenSearch index URL,
    else a temporary folder) and evaluate.

    The index must not exist yet (:class:`IndexExistsError` otherwise, and it is left as it
    was), so that no other documents take part in the ranking; it is kept afterwards. On
    OpenSearch the index has one shard, and the queries run exactly as on a folder, through
    :meth:`NewsIndex.search`. All three files are read before anything is indexed, so a bad
    file fails fast.
    """
    topics = list(read_topics(queries))
    judgments = read_judgments(qrels)
    articles = list(read_documents(docs))
    if index_path is None:
        with tempfile.TemporaryDirectory(prefix="newsindex-eval-") as tmp:
            return _index_and_evaluate(Path(tmp) / "index", articles, topics, judgments, depth)
    return _index_and_evaluate(index_path, articles, topics, judgments, depth)


def _index_and_evaluate(
    path: PathLike, articles: list[Article], topics: list[Topic], judgments: Judgments, depth: int
) -> EvalReport:
    with NewsIndex.create(path) as index:
        index.add(articles)
        return evaluate(index, topics, judgments, depth=depth)


# --- reading the files -------------------------------------------------------------------------


def _json_lines(path: PathLike) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line; anything else is an IngestError."""
    try:
        with open(path, encoding="utf-8-sig") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise IngestError(path, number, f"invalid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise IngestError(path, number, "expected a JSON object")
                yield number, record
    except UnicodeDecodeError as exc:
        raise IngestError(path, 0, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise IngestError(path, 0, f"cannot read the file ({exc.strerror or exc})") from None


def _id(record: dict[str, Any], key: str, path: PathLike, line: int) -> str:
    value = record.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise IngestError(path, line, f"'{key}' must be a non-empty string")
    return value


def read_documents(path: PathLike) -> Iterator[Article]:
    """The articles of a ``docs.jsonl`` file, ids kept exactly as written.

    A document with neither title nor body (Cranfield has two) cannot be found by any query, so
    it is left out; it still counts where it is judged relevant. A repeated id is an error.
    """
    seen: set[str] = set()
    for line, record in _json_lines(path):
        doc_id = _id(record, "id", path, line)
        if doc_id in seen:
            raise IngestError(path, line, f"document id '{doc_id}' occurs twice")
        seen.add(doc_id)
        if all(record.get(k) is None or record[k] == "" for k in ("title", "body")):
            continue
        try:
            yield Article.from_dict({**record, "id": doc_id})
        except (TypeError, ValueError) as exc:
            raise IngestError(path, line, str(exc)) from None


def read_topics(path: PathLike) -> Iterator[Topic]:
    """The queries of a ``queries.jsonl`` file (``{"id", "text"}`` per line)."""
    seen: set[str] = set()
    for line, record in _json_lines(path):
        query_id = _id(record, "id", path, line)
        if query_id in seen:
            raise IngestError(path, line, f"query id '{query_id}' occurs twice")
        seen.add(query_id)
        text = record.get("text")
        if not isinstance(text, str):
            raise IngestError(path, line, "'text' must be a string")
        yield Topic(query_id, text)


def read_judgments(path: PathLike) -> Judgments:
    """TREC qrels: ``query-id iteration doc-id grade`` per line, tab- or space-separated."""
    grades: dict[str, dict[str, int]] = {}
    try:
        with open(path, encoding="utf-8-sig") as lines:
            for number, line in enumerate(lines, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 4:
                    raise IngestError(
                        path, number, f"expected 4 fields (query 0 doc grade), found {len(fields)}"
                    )
                try:
                    grade = int(fields[3])
                except ValueError:
                    raise IngestError(
                        path, number, f"the grade '{fields[3]}' is not a whole number"
                    ) from None
                grades.setdefault(fields[0], {})[fields[2]] = grade
    except UnicodeDecodeError as exc:
        raise IngestError(path, 0, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise IngestError(path, 0, f"cannot read the file ({exc.strerror or exc})") from None
    return Judgments(grades)
