"""Proximity: articles where a query's words stand side by side score higher.

A query of several words typed side by side (``coalition of the willing``, or a pasted
paragraph) gets, besides its words, its neighbouring word pairs as optional evidence: each pair
is looked up in the index's pairs fields (``title_pairs``, ``body_pairs``: see
:mod:`newsindex.analysis.pairs`) and scored with BM25 like a word, weighted
:data:`PAIR_WEIGHT`, in the title with the title's boost; a field holding every pair of the
query (the query as a phrase) adds their scores again, weighted :data:`PHRASE_WEIGHT`. The
pairs only add to the score of an article the query matches anyway (Whoosh's ``AndMaybe``), so
which articles match never changes. This is the ordered-pair part of the sequential dependence
model, and what Solr's phrase fields (``pf2`` and ``pf``) and Elasticsearch's ``match_phrase``
in a ``bool.should`` do. Block-max pruning never sees it: it takes single words only, which
have no pairs.
"""

from __future__ import annotations

import itertools
import math

from whoosh import query as wq

from newsindex.analysis.pairs import pair_term
from newsindex.engines.whoosh.codec.schema import PAIR_FIELDS
from newsindex.engines.whoosh.compile import TITLE_BOOST, ProximityQuery, TermQuery, either
from newsindex.query.tree import And, Node, Phrase, Term

__all__ = [
    "MAX_PAIRS",
    "PAIR_WEIGHT",
    "PHRASE_WEIGHT",
    "query_pairs",
    "with_proximity",
]

PAIR_WEIGHT = 0.1
"""A pair's BM25 score counts this much against a word's (measured in
``benchmarks/RESULTS.md``)."""

PHRASE_WEIGHT = 0.5
"""Where a field holds every pair of a query of two pairs or more (mostly: the whole query as
a phrase), their BM25 scores count this much more (Solr's ``pf`` beside ``pf2``). A query of
one pair is not given it: on MED it cost, and the pair is weighed already."""

MAX_PAIRS = 64
"""A query looks up at most this many pairs, its first (a pasted article's pairs beyond these
add cost, hardly order)."""


def query_pairs(
    tree: Node, *, split: bool, common: frozenset[str]
) -> tuple[tuple[str, float], ...]:
    """The indexed pairs of the words a query's top level holds side by side, each with its
    weight (the square root of how often it occurs, as for repeated words).

    A run of words is broken by anything but a word or an exact phrase in title and body (a
    field, an exclusion, ``OR``, a prefix). The pairs inside a quoted phrase count only with
    ``split`` (a ranked plain query, where a hyphenated word is its parts); otherwise the phrase
    already requires them. Pairs of two ``common`` terms are not indexed, so not looked up.
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
    counts: dict[str, int] = {}
    for run in runs:
        for (first, one), (second, other) in itertools.pairwise(run):
            if one == other and not split:
                continue
            if first in common and second in common:
                continue
            pair = pair_term(first, second)
            counts[pair] = counts.get(pair, 0) + 1
    return tuple((pair, math.sqrt(count)) for pair, count in list(counts.items())[:MAX_PAIRS])


def with_proximity(query: wq.Query, pairs: tuple[tuple[str, float], ...]) -> wq.Query:
    """``query`` with ``pairs`` (see :func:`query_pairs`) adding to the scores of its matches."""
    if not pairs:
        return query
    fields = (("title", TITLE_BOOST), ("body", 1.0))
    clauses: list[wq.Query] = [
        TermQuery(PAIR_FIELDS[field], pair, boost=boost * weight * PAIR_WEIGHT)
        for pair, weight in pairs
        for field, boost in fields
    ]
    if len(pairs) > 1 and PHRASE_WEIGHT:
        # Whoosh's intersection, not the lazy one: a union of many clauses in a small segment
        # (an ArrayUnionMatcher) moves its clauses' matchers as it is built.
        clauses.extend(
            wq.And(
                [TermQuery(PAIR_FIELDS[field], pair, boost=weight) for pair, weight in pairs],
                boost=boost * PHRASE_WEIGHT,
            )
            for field, boost in fields
        )
    return ProximityQuery(query, either(clauses))
