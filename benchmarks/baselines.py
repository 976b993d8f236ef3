"""Plain BM25 baselines for ``benchmarks/eval.py``: the comparison every newsindex number gets.

"Plain" means what an IR course or a first search prototype would build: lower-cased ``\\w\\w+``
tokens (bm25s's tokenizer), the English stop-word list, a stemmer, title and body concatenated
into one field, Lucene's BM25 (bm25s's default formula), and every document with any query word
ranked. Three configurations are run:

- ``k1=0.9, b=0.4``: Anserini's default, tuned on TREC newswire;
- ``k1=1.2, b=0.75``: the textbook values (Robertson et al.; Lucene and Terrier defaults);
- ``k1=1.2, b=0.75`` with no stop list at all: every word counts, as in an engine that keeps
  stop words for phrases and does not drop them from ranked queries.

Needs the ``bench`` extra: ``pip install -e '.[bench]'`` (bm25s and PyStemmer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from newsindex import Article
from newsindex.evaluation import Topic

__all__ = ["BASELINES", "Baseline", "rank_bm25"]


@attrs.frozen
class Baseline:
    """One plain-BM25 configuration."""

    name: str
    """Label in the results table."""
    k1: float
    """Term-frequency saturation."""
    b: float
    """Length normalisation."""
    stemmer: str = "english"
    """A PyStemmer algorithm: ``english`` is Snowball (Porter2), ``porter`` the 1980 original."""
    stopwords: bool = True
    """Whether the English stop words are left out of documents and queries."""


BASELINES = (
    Baseline("BM25 k1=0.9 b=0.4", 0.9, 0.4),
    Baseline("BM25 k1=1.2 b=0.75", 1.2, 0.75),
    Baseline("BM25 k1=1.2 b=0.75, no stop list", 1.2, 0.75, stopwords=False),
)
"""The baselines of every run (Snowball stemming; English stop words but in the third)."""


def _text(article: Article) -> str:
    return f"{article.title}\n{article.body}" if article.title else article.body


def rank_bm25(
    baseline: Baseline, articles: Sequence[Article], topics: Iterable[Topic], *, depth: int = 100
) -> dict[str, tuple[str, ...]]:
    """Rank ``articles`` for every topic with ``baseline``: ``query id -> doc ids, best first``.

    Only documents that share a term with the query are ranked (a zero score is no match).
    """
    import bm25s  # the bench extra; imported here so that --help works without it
    import Stemmer

    stemmer = Stemmer.Stemmer(baseline.stemmer)
    ids = [article.id for article in articles]

    def tokenize(texts: list[str]) -> list[list[str]]:
        return bm25s.tokenize(
            texts,
            stopwords="en" if baseline.stopwords else None,
            stemmer=stemmer,
            return_ids=False,
            show_progress=False,
        )

    model = bm25s.BM25(k1=baseline.k1, b=baseline.b, method="lucene")
    model.index(tokenize([_text(article) for article in articles]), show_progress=False)
    topics = list(topics)
    rankings: dict[str, tuple[str, ...]] = {}
    k = min(depth, len(ids))
    for topic, tokens in zip(topics, tokenize([t.text for t in topics]), strict=True):
        if not tokens:
            rankings[topic.id] = ()
            continue
        docs, scores = model.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        rankings[topic.id] = tuple(
            ids[int(doc)] for doc, score in zip(docs[0], scores[0], strict=True) if score > 0
        )
    return rankings
