"""Ranked any-word matching on the local engine: a long plain query or pasted prose as
weighted optional words (the rules are :mod:`newsindex.query.ranked`'s), compiled for Whoosh."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from whoosh import query as wq

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.engines.whoosh.compile import AndNotQuery, AndQuery, compile_tree, either
from newsindex.query.ranked import Frequencies, RankedQuery
from newsindex.query.syntax import STOP_WORDS
from newsindex.query.tree import Term

__all__ = ["compile_ranked", "frequencies_in", "stop_terms"]


@functools.lru_cache(maxsize=8)
def stop_terms(analyzer: NewsAnalyzer) -> frozenset[str]:
    """The stop words as an index with this body analyzer holds them."""
    return frozenset(analyzer.terms(" ".join(STOP_WORDS)))


def frequencies_in(reader: Any) -> Frequencies:
    """The document frequencies :func:`~newsindex.query.ranked.keep_selective` weighs words
    by: a word's in the fields it searches, summed over title and body for a word in both."""

    def frequencies(words: Sequence[Term]) -> tuple[dict[Term, int], int]:
        found = {}
        for word in words:
            fields = ("title", "body") if word.field is None else (word.field,)
            found[word] = sum(reader.doc_frequency(field, word.text) for field in fields)
        return found, reader.doc_count_all()

    return frequencies


def compile_ranked(ranked: RankedQuery, reader) -> wq.Query:
    """The Whoosh query of a ranked query: its optional items, each boosted by its weight,
    any of which may match; its date filters required; its exclusions left out."""
    words = [compile_tree(item, reader) for item, _ in ranked.optional]
    words = [q.with_boost(q.boost * w) for q, (_, w) in zip(words, ranked.optional, strict=True)]
    query = either(words)
    if ranked.required:
        query = AndQuery([query, *(compile_tree(item, reader) for item in ranked.required)])
    if ranked.excluded:
        query = AndNotQuery(query, either(compile_tree(item, reader) for item in ranked.excluded))
    return query
