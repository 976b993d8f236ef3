"""Any-word queries: a long plain query or pasted prose as weighted optional items.

Engine-free, so both engines rank the same text the same way: stop words left out, a repeated
word weighing the square root of its count, and only the :data:`MAX_RANKED_ITEMS` most
selective items kept (each engine gives the document frequencies).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence

import attrs

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.models import Match
from newsindex.query.syntax import LONG_QUERY_WORDS, STOP_WORDS
from newsindex.query.tree import And, Dates, Node, Not, Or, ParsedQuery, Phrase, Term

__all__ = [
    "MAX_RANKED_ITEMS",
    "Frequencies",
    "RankedQuery",
    "is_ranked",
    "keep_selective",
    "rank_items",
    "stop_terms",
    "top_items",
]

MAX_RANKED_ITEMS = 64
"""An any-word query keeps at most this many items, the most selective: a pasted paragraph's
rarest words say what it is about, and its common ones only cost time (Lucene's more-like-this
keeps 25 words by the same reasoning; OpenSearch refuses more than 1,024 clauses)."""


def top_items(tree: Node) -> tuple[Node, ...]:
    """The items of a query's top level."""
    return tree.items if isinstance(tree, And) else (tree,)


def is_ranked(parsed: ParsedQuery, match: Match) -> bool:
    """Whether ``parsed`` runs as ranked any-word matching under ``match``: always for
    ``"any"``, never for ``"all"``; for ``"auto"``, prose and typed queries of at least
    :data:`~newsindex.query.LONG_QUERY_WORDS` plain words or quoted phrases in no field (a
    paragraph with quotations in it, not a list of requirements)."""
    if match == "all":
        return False
    if match == "any":
        return True
    items = top_items(parsed.tree)
    prose_like = all(isinstance(i, (Term, Phrase)) and i.field is None for i in items)
    return parsed.prose or (len(items) >= LONG_QUERY_WORDS and (parsed.plain or prose_like))


@attrs.frozen
class RankedQuery:
    """A query split for any-word matching: weighted optional items, filters, exclusions."""

    optional: tuple[tuple[Node, float], ...]
    """The items any of which may match, each with its weight."""
    required: tuple[Dates, ...]
    """Date filters, all required."""
    excluded: tuple[Node, ...]
    """What no hit may match."""

    def tree(self) -> Node:
        """The same query as a tree, for its description and the snippet marks."""
        words = [item for item, _ in self.optional]
        either = words[0] if len(words) == 1 else Or(tuple(words))
        items = (either, *self.required, *(Not(item) for item in self.excluded))
        return items[0] if len(items) == 1 else And(items)


@functools.lru_cache(maxsize=8)
def stop_terms(analyzer: NewsAnalyzer) -> frozenset[str]:
    """The stop words as an index whose body is analysed by ``analyzer`` holds them."""
    return frozenset(analyzer.terms(" ".join(sorted(STOP_WORDS))))


def rank_items(tree: Node, *, split: bool, stop_terms: frozenset[str]) -> RankedQuery:
    """Every top-level item becomes optional, except date filters (kept) and exclusions.

    With ``split`` (plain queries) a hyphenated word counts as its parts. Stop words are left
    out unless nothing else is left: a word is one if the form typed is in
    :data:`~newsindex.query.STOP_WORDS` (``willing`` is not, though its stem is ``will``'s),
    or, where no form is known, if its term is in ``stop_terms`` (the stop words as the index
    holds them). A repeated word weighs the square root of its count. The words lose their
    typed forms (see ``Term.form``): no exact-form boost in a description.
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
    content = [w for w in words if not _is_stop_word(w, stop_terms)]
    counts: dict[Node, int] = {}
    for item in content or words:
        # Without the form typed: a word is weighed as part of a description (no exact-form
        # boost), and its forms count as one word.
        key = attrs.evolve(item, form=None) if isinstance(item, Term) else item
        counts[key] = counts.get(key, 0) + 1
    optional = tuple((item, math.sqrt(count)) for item, count in counts.items())
    return RankedQuery(optional, tuple(required), tuple(excluded))


def _is_stop_word(item: Node, stop_terms: frozenset[str]) -> bool:
    if not isinstance(item, Term):
        return False
    return item.form in STOP_WORDS if item.form is not None else item.text in stop_terms


Frequencies = Callable[[Sequence[Term]], tuple[Mapping[Term, int], int]]
"""Given words, in how many articles each occurs in the fields it searches (as the engine
counts them), and how many articles there are."""


def keep_selective(
    ranked: RankedQuery, frequencies: Frequencies | None, limit: int = MAX_RANKED_ITEMS
) -> RankedQuery:
    """``ranked`` with only its ``limit`` most telling items, in their order in the query:
    each item's weight times its inverse document frequency, so repeated and rare words (a
    pasted article's own vocabulary) come before common ones; phrases and prefixes first,
    words no article holds last. Without ``frequencies`` the first ``limit`` are kept."""
    if len(ranked.optional) <= limit:
        return ranked
    if frequencies is None:
        return attrs.evolve(ranked, optional=ranked.optional[:limit])
    found, count = frequencies([item for item, _ in ranked.optional if isinstance(item, Term)])

    def selectivity(i: int) -> float:
        item, weight = ranked.optional[i]
        if not isinstance(item, Term):
            return math.inf
        frequency = found.get(item, 0)
        return weight * math.log(1 + count / frequency) if frequency else 0.0

    order = sorted(range(len(ranked.optional)), key=lambda i: (-selectivity(i), i))
    kept = sorted(order[:limit])
    return attrs.evolve(ranked, optional=tuple(ranked.optional[i] for i in kept))
