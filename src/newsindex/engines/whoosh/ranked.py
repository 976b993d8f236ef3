"""Ranked any-word matching: a long plain query or pasted prose as weighted optional words."""

from __future__ import annotations

import functools
import math
from typing import Any

import attrs
from whoosh import query as wq

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.engines.whoosh.compile import AndNotQuery, AndQuery, compile_tree, either
from newsindex.models import Match
from newsindex.query.syntax import LONG_QUERY_WORDS, STOP_WORDS
from newsindex.query.tree import And, Dates, Node, Not, Or, ParsedQuery, Phrase, Term

__all__ = [
    "MAX_RANKED_ITEMS",
    "RankedQuery",
    "compile_ranked",
    "is_ranked",
    "keep_selective",
    "rank_items",
    "stop_terms",
    "top_items",
]


def top_items(tree: Node) -> tuple[Node, ...]:
    return tree.items if isinstance(tree, And) else (tree,)


def is_ranked(parsed: ParsedQuery, match: Match) -> bool:
    """Whether ``parsed`` runs as ranked any-word matching under ``match`` (see run_search)."""
    if match == "all":
        return False
    if match == "any":
        return True
    items = top_items(parsed.tree)
    return parsed.prose or (len(items) >= LONG_QUERY_WORDS and (parsed.plain or _prose_like(items)))


def _prose_like(items: tuple[Node, ...]) -> bool:
    """Whether a typed query's items are only words and quoted phrases, in no field: a
    paragraph with quotations in it (a lede, a press release), not a list of requirements."""
    return all(isinstance(item, (Term, Phrase)) and item.field is None for item in items)


@functools.lru_cache(maxsize=8)
def stop_terms(analyzer: NewsAnalyzer) -> frozenset[str]:
    return frozenset(analyzer.terms(" ".join(STOP_WORDS)))


@attrs.frozen
class RankedQuery:
    """A query split for ranked matching: weighted optional items, filters and exclusions."""

    optional: tuple[tuple[Node, float], ...]
    required: tuple[Dates, ...]
    excluded: tuple[Node, ...]

    def tree(self) -> Node:
        """The same query as a tree, for the description and the snippet marks."""
        words = [item for item, _ in self.optional]
        either = words[0] if len(words) == 1 else Or(tuple(words))
        items = (either, *self.required, *(Not(item) for item in self.excluded))
        return items[0] if len(items) == 1 else And(items)


def rank_items(tree: Node, *, split: bool, stop_terms: frozenset[str]) -> RankedQuery:
    """Every top-level item becomes optional, except date filters (kept) and exclusions.

    With ``split`` (plain queries, which hold no quoted phrases) a hyphenated word counts as its
    parts. Stop words are left out unless nothing else is left; a repeated word weighs the
    square root of its count. The words lose their typed forms (see ``Term.form``).
    """
    words: list[Node] = []
    required: list[Dates] = []
    excluded: list[Node] = []
    for item in top_items(tree):
        if isinstance(item, Not):
            excluded.append(item.item)
        elif isinstance(item, Dates):
            required.append(item)
        elif split and isinstance(item, Phrase):
            words.extend(Term(item.field, word) for word in item.words)
        else:
            words.append(item)
    content = [w for w in words if not (isinstance(w, Term) and w.text in stop_terms)]
    counts: dict[Node, int] = {}
    for item in content or words:
        # Without the form typed: a word is weighed as part of a description (no exact-form
        # boost), and its forms count as one word.
        key = attrs.evolve(item, form=None) if isinstance(item, Term) else item
        counts[key] = counts.get(key, 0) + 1
    optional = tuple((item, math.sqrt(count)) for item, count in counts.items())
    return RankedQuery(optional, tuple(required), tuple(excluded))


MAX_RANKED_ITEMS = 64
"""A ranked query keeps at most this many items, the most selective: a pasted paragraph's
rarest words say what it is about, and its common ones only cost time (Lucene's more-like-this
keeps 25 words by the same reasoning)."""


def _selectivity(item: Node, weight: float, reader: Any) -> float:
    """What an item tells about the text it came from: its weight in the query times its
    inverse document frequency (phrases and prefixes first; words no article holds, none)."""
    if not isinstance(item, Term):
        return math.inf
    fields = ("title", "body") if item.field is None else (item.field,)
    frequency = sum(reader.doc_frequency(field, item.text) for field in fields)
    if frequency == 0:
        return 0.0
    return weight * math.log(1 + reader.doc_count_all() / frequency)


def keep_selective(ranked: RankedQuery, reader: Any, limit: int = MAX_RANKED_ITEMS) -> RankedQuery:
    """``ranked`` with only its ``limit`` most telling optional items, in their order in the
    query: repeated and rare words (a pasted article's own vocabulary) before common ones."""
    if len(ranked.optional) <= limit:
        return ranked
    order = sorted(
        range(len(ranked.optional)),
        key=lambda i: (-_selectivity(*ranked.optional[i], reader), i),
    )
    kept = sorted(order[:limit])
    return attrs.evolve(ranked, optional=tuple(ranked.optional[i] for i in kept))


def compile_ranked(ranked: RankedQuery, reader) -> wq.Query:
    words = [compile_tree(item, reader) for item, _ in ranked.optional]
    words = [q.with_boost(q.boost * w) for q, (_, w) in zip(words, ranked.optional, strict=True)]
    query = either(words)
    if ranked.required:
        query = AndQuery([query, *(compile_tree(item, reader) for item in ranked.required)])
    if ranked.excluded:
        query = AndNotQuery(query, either(compile_tree(item, reader) for item in ranked.excluded))
    return query
