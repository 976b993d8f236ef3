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

import itertools
import math
from typing import Any

from newsindex.analysis.analyzer import analyze
from newsindex.analysis.pairs import COMMON_WORDS, pair_term
from newsindex.query.tree import And, Node, Phrase, Term

__all__ = ["MAX_PAIRS", "PAIR_WEIGHT", "PHRASE_WEIGHT", "query_pairs", "with_proximity"]

PAIR_WEIGHT = 0.1
"""A pair's score counts this much against a word's (the local engine's weight)."""

PHRASE_WEIGHT = 0.5
"""Where a field holds every pair of a query of two pairs or more, their scores count this much
more (the local engine's weight)."""

MAX_PAIRS = 64
"""A query looks up at most this many pairs, its first (the local engine's cap)."""

TITLE_WEIGHT = 1.5
"""A pair in the title weighs this much more, as a word does."""

COMMON_TERMS = frozenset(analyze(" ".join(sorted(COMMON_WORDS))))
"""The common words as terms: a pair of two of them is not indexed locally, so not looked up."""


def query_pairs(tree: Node, *, split: bool) -> tuple[tuple[tuple[str, str], float], ...]:
    """The pairs of the words a query's top level holds side by side, each with its weight
    (the square root of how often it occurs).

    A run of words is broken by anything but a word or an exact phrase in title and body. The
    pairs inside a quoted phrase count only with ``split`` (a ranked plain query); otherwise
    the phrase already requires them.
    """
    items = tree.items if isinstance(tree, And) else (tree,)
    runs: list[list[tuple[str, int]]] = [[]]  # (term, the item it came from)
    for number, item in enumerate(items):
        if isinstance(item, Term) and item.field is None:
            runs[-1].append((item.text, number))
        elif isinstance(item, Phrase) and item.field is None and item.slop == 0:
            runs[-1].extend((word, number) for word in item.words)
        else:
            runs.append([])
    counts: dict[tuple[str, str], int] = {}
    for run in runs:
        for (first, one), (second, other) in itertools.pairwise(run):
            if one == other and not split:
                continue
            if first in COMMON_TERMS and second in COMMON_TERMS:
                continue
            counts[(first, second)] = counts.get((first, second), 0) + 1
    return tuple((pair, math.sqrt(count)) for pair, count in list(counts.items())[:MAX_PAIRS])


def _both(pair: tuple[str, str], boost: float) -> dict[str, Any]:
    return {
        "multi_match": {
            "query": pair_term(*pair),
            "type": "cross_fields",
            "fields": [f"title.pairs^{TITLE_WEIGHT:g}", "body.pairs"],
            "tie_breaker": 1.0,
            "boost": round(boost, 6),
        }
    }


def _pair(field: str, pair: tuple[str, str], boost: float) -> dict[str, Any]:
    return {"term": {f"{field}.pairs": {"value": pair_term(*pair), "boost": round(boost, 6)}}}


def with_proximity(
    query: dict[str, Any], pairs: tuple[tuple[tuple[str, str], float], ...]
) -> dict[str, Any]:
    """``query`` with ``pairs`` (see :func:`query_pairs`) adding to the scores of its matches."""
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
