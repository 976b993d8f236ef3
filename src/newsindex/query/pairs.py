"""A query's neighbouring words as word pairs: engine-free, so both engines look up the same
pairs (see :mod:`newsindex.analysis.pairs` for the pairs an index keeps) for proximity."""

from __future__ import annotations

import itertools
import math

from newsindex.analysis.pairs import pair_term
from newsindex.query.tree import And, Node, Phrase, Term

__all__ = ["MAX_PAIRS", "query_pairs"]

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
