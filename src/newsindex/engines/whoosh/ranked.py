"""Ranked any-word matching on the local engine: a long plain query or pasted prose as
weighted optional words (the rules are :mod:`newsindex.query.ranked`'s), compiled for Whoosh."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from whoosh import query as wq

from newsindex.engines.whoosh.compile import AndNotQuery, AndQuery, compile_tree, either
from newsindex.query.ranked import Frequencies, RankedQuery
from newsindex.query.tree import Term

__all__ = ["compile_ranked", "frequencies_in"]


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
