"""Proximity: articles where a query's words stand side by side score higher, as locally.

The local engine's rules (``engines/whoosh/proximity.py``): a query's neighbouring words give
pairs (not two common words, :mod:`newsindex.analysis.pairs`), each weighted by the square
root of how often it occurs; each pair is scored like a word, weighted :data:`PAIR_WEIGHT`, in
the title with the title's weight; a field holding every pair of a query of two pairs or more
adds their scores again, weighted :data:`PHRASE_WEIGHT`. The clauses only add to the score of
an article the query matches anyway (``bool.should`` beside the query's ``must``).

Here the pairs are looked up in the ``pairs`` sub-fields of title and body, which hold the
local pairs fields' terms (:mod:`.template`): the same counts, field lengths and document
frequencies, scored with the same BM25. A pair is a ``cross_fields`` ``multi_match`` over the
two, summing the fields' scores (``tie_breaker`` 1), so that both score it with the larger of
the two fields' document frequencies, as locally (with each field's own, ADI's MAP was 0.8%
lower: ``benchmarks/RESULTS.md``). The all-pairs clause is ``term`` queries in one field, with
that field's document frequency.
"""

from __future__ import annotations

from typing import Any

from newsindex.analysis.analyzer import analyze
from newsindex.analysis.pairs import COMMON_WORDS

__all__ = ["COMMON_TERMS", "PAIR_WEIGHT", "PHRASE_WEIGHT", "with_proximity"]

PAIR_WEIGHT = 0.1
"""A pair's score counts this much against a word's (the local engine's weight)."""

PHRASE_WEIGHT = 0.5
"""Where a field holds every pair of a query of two pairs or more, their scores count this much
more (the local engine's weight)."""

TITLE_WEIGHT = 1.5
"""A pair in the title weighs this much more, as a word does."""

COMMON_TERMS = frozenset(analyze(" ".join(sorted(COMMON_WORDS))))
"""The common words as terms: a pair of two of them is not indexed locally, so not looked up."""


def _both(pair: str, boost: float) -> dict[str, Any]:
    return {
        "multi_match": {
            "query": pair,
            "type": "cross_fields",
            "fields": [f"title.pairs^{TITLE_WEIGHT:g}", "body.pairs"],
            "tie_breaker": 1.0,
            "boost": round(boost, 6),
        }
    }


def _pair(field: str, pair: str, boost: float) -> dict[str, Any]:
    return {"term": {f"{field}.pairs": {"value": pair, "boost": round(boost, 6)}}}


def with_proximity(query: dict[str, Any], pairs: tuple[tuple[str, float], ...]) -> dict[str, Any]:
    """``query`` with ``pairs`` (see :func:`newsindex.query.pairs.query_pairs`) adding to
    the scores of its matches."""
    if not pairs:
        return query
    fields = (("title", TITLE_WEIGHT), ("body", 1.0))
    clauses = [_both(pair, weight * PAIR_WEIGHT) for pair, weight in pairs]
    if len(pairs) > 1 and PHRASE_WEIGHT:
        clauses.extend(
            {
                "bool": {
                    "must": [_pair(field, pair, weight) for pair, weight in pairs],
                    "boost": round(boost * PHRASE_WEIGHT, 6),
                }
            }
            for field, boost in fields
        )
    inner = query.get("bool", {})
    if "must" in inner and "should" not in inner:
        return {"bool": {**inner, "should": clauses}}
    return {"bool": {"must": [query], "should": clauses}}
