"""Adjacent word pairs: each two neighbouring terms of a text as one term of their own.

The index keeps them (``title_pairs``, ``body_pairs``), with the position of each pair's first
term, so that a two-word phrase is one term lookup, a longer one is checked from its pairs'
places alone, and a query of several words can reward articles where its words stand side by
side. Common-grams style: a pair of two very common words (``of the``) is left out, so that such
pairs do not flood the index; a common word joined to its neighbour (``the willing``) is kept.

    >>> word_pairs(("coalit", "of", "the", "will"), frozenset({"of", "the"}))
    ['coalit of', 'the will']
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

from newsindex.analysis.analyzer import NewsAnalyzer

__all__ = [
    "COMMON_WORDS",
    "PAIR_SEPARATOR",
    "common_terms",
    "pair_positions",
    "pair_term",
    "word_pairs",
]

PAIR_SEPARATOR = " "
"""Joins the two terms of a pair: terms never hold whitespace, so a pair is never a term."""

_COMMON_WORDS_TEXT = (
    "a an and are as at be been but by for from had has have he his in is it its not of on "
    "that the their they this to was were which who with"
)
COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
"""Words so common that a pair of two of them is not indexed: the function words found in at
least two articles of five of the Wikinews corpus. Narrower than the query's stop words, which
hold words whose stems are also stems of content words (``will`` of ``willing``, ``own``,
``can``, ``most``): a pair holding those is worth keeping."""


@functools.lru_cache(maxsize=8)
def common_terms(analyzer: NewsAnalyzer) -> frozenset[str]:
    """:data:`COMMON_WORDS` as ``analyzer`` makes them terms."""
    return frozenset(analyzer.terms(" ".join(sorted(COMMON_WORDS))))


def pair_term(first: str, second: str) -> str:
    """The term of two neighbouring terms."""
    return first + PAIR_SEPARATOR + second


def word_pairs(terms: Sequence[str], common: frozenset[str]) -> list[str]:
    """The indexed pairs of a sequence of terms, in order, repeats kept: every two neighbours
    but those of two ``common`` terms."""
    return [
        first + PAIR_SEPARATOR + second
        for first, second in itertools.pairwise(terms)
        if first not in common or second not in common
    ]


def pair_positions(terms: Sequence[str], common: frozenset[str]) -> dict[str, list[int]]:
    """Each indexed pair of a sequence of terms (see :func:`word_pairs`) and the positions
    of its first term, in order of first use."""
    where: dict[str, list[int]] = {}
    for position, (first, second) in enumerate(itertools.pairwise(terms)):
        if first in common and second in common:
            continue
        pair = first + PAIR_SEPARATOR + second
        found = where.get(pair)
        if found is None:
            where[pair] = [position]
        else:
            found.append(position)
    return where
