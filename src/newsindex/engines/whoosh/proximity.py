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

from whoosh import query as wq

from newsindex.engines.whoosh.codec.schema import PAIR_FIELDS
from newsindex.engines.whoosh.compile import TITLE_BOOST, ProximityQuery, TermQuery, either

__all__ = [
    "PAIR_WEIGHT",
    "PHRASE_WEIGHT",
    "with_proximity",
]

PAIR_WEIGHT = 0.1
"""A pair's BM25 score counts this much against a word's (measured in
``benchmarks/RESULTS.md``)."""

PHRASE_WEIGHT = 0.5
"""Where a field holds every pair of a query of two pairs or more (mostly: the whole query as
a phrase), their BM25 scores count this much more (Solr's ``pf`` beside ``pf2``). A query of
one pair is not given it: on MED it cost, and the pair is weighed already."""


def with_proximity(query: wq.Query, pairs: tuple[tuple[str, float], ...]) -> wq.Query:
    """``query`` with ``pairs`` (see :func:`newsindex.query.pairs.query_pairs`) adding to
    the scores of its matches."""
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
