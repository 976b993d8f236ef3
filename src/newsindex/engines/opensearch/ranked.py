"""Any-word queries: a long plain query or pasted prose as weighted optional items.

The local engine's rules (``engines/whoosh/ranked.py``), so both engines rank the same text the
same way: stop words left out, a repeated word weighing the square root of its count, and only
the :data:`MAX_RANKED_ITEMS` most selective items kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import attrs

from newsindex.analysis.analyzer import analyze
from newsindex.models import Match
from newsindex.query.syntax import LONG_QUERY_WORDS, STOP_WORDS
from newsindex.query.tree import And, Dates, Node, Not, Or, ParsedQuery, Phrase, Term

__all__ = [
    "MAX_RANKED_ITEMS",
    "STOP_TERMS",
    "Frequencies",
    "RankedQuery",
    "is_ranked",
    "keep_selective",
    "rank_items",
    "top_items",
]

MAX_RANKED_ITEMS = 64
"""An any-word query keeps at most this many items, the most selective (the local engine's cap;
OpenSearch refuses more than 1,024 clauses)."""


def top_items(tree: Node) -> tuple[Node, ...]:
    """The items of a query's top level."""
    return tree.items if isinstance(tree, And) else (tree,)


def is_ranked(parsed: ParsedQuery, match: Match) -> bool:
    """Whether ``parsed`` runs as ranked any-word matching under ``match``: always for
    ``"any"``, never for ``"all"``; for ``"auto"``, prose and typed queries of at least
    :data:`~newsindex.query.LONG_QUERY_WORDS` plain words or quoted phrases."""
    if match == "all":
        return False
    if match == "any":
        return True
    items = top_items(parsed.tree)
    prose_like = all(isinstance(i, (Term, Phrase)) and i.field is None for i in items)
    return parsed.prose or (len(items) >= LONG_QUERY_WORDS and (parsed.plain or prose_like))


STOP_TERMS = frozenset(analyze(" ".join(sorted(STOP_WORDS))))
"""The stop words as the index holds them."""


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
        """The same query as a tree, for its description."""
        words = [item for item, _ in self.optional]
        either = words[0] if len(words) == 1 else Or(tuple(words))
        items = (either, *self.required, *(Not(item) for item in self.excluded))
        return items[0] if len(items) == 1 else And(items)


def rank_items(tree: Node, *, split: bool) -> RankedQuery:
    """Every top-level item becomes optional, except date filters (kept) and exclusions.

    With ``split`` (plain queries) a hyphenated word counts as its parts. Stop words are left
    out unless nothing else is left; a repeated word weighs the square root of its count. The
    words lose their typed forms (see ``Term.form``): no exact-form boost, as on the local
    engine.
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
    content = [w for w in words if not (isinstance(w, Term) and w.text in STOP_TERMS)]
    counts: dict[Node, int] = {}
    for item in content or words:
        # Without the form typed: a word is weighed as part of a description (no exact-form
        # boost), and its forms count as one word.
        key = attrs.evolve(item, form=None) if isinstance(item, Term) else item
        counts[key] = counts.get(key, 0) + 1
    optional = tuple((item, math.sqrt(count)) for item, count in counts.items())
    return RankedQuery(optional, tuple(required), tuple(excluded))


Frequencies = Callable[[Sequence[str]], tuple[Mapping[str, int], int]]
"""Given terms, their document frequencies in title or body and the number of articles."""


def keep_selective(
    ranked: RankedQuery, frequencies: Frequencies | None, limit: int = MAX_RANKED_ITEMS
) -> RankedQuery:
    """``ranked`` with only its ``limit`` most telling items (weight times idf; phrases and
    prefixes first, words no article holds last), in their order in the query. Without
    ``frequencies`` the first ``limit`` are kept."""
    if len(ranked.optional) <= limit:
        return ranked
    if frequencies is None:
        return attrs.evolve(ranked, optional=ranked.optional[:limit])
    texts = [item.text for item, _ in ranked.optional if isinstance(item, Term)]
    found, count = frequencies(texts)

    def selectivity(i: int) -> float:
        item, weight = ranked.optional[i]
        if not isinstance(item, Term):
            return math.inf
        frequency = found.get(item.text, 0)
        return weight * math.log(1 + count / frequency) if frequency else 0.0

    order = sorted(range(len(ranked.optional)), key=lambda i: (-selectivity(i), i))
    kept = sorted(order[:limit])
    return attrs.evolve(ranked, optional=tuple(ranked.optional[i] for i in kept))
