"""Exact phrases scored from their words' posting lists.

An exact phrase on its own (the commonest phrase query) is evaluated from posting lists
directly: Whoosh's phrase matcher does its most costly work, finding the first match, when it
is built. The words' postings are read, rarest first, checking their places after each. A
phrase the index answers from its word pairs (see ``compile._phrase``) comes here as a phrase
of pairs in a pairs field, each at its place. The scores are the ones Whoosh's matcher gives,
number for number.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Sequence
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher

from newsindex.engines.whoosh.compile import PhraseQuery, phrase_starts
from newsindex.engines.whoosh.postings import Unsupported, postings_in
from newsindex.engines.whoosh.ranking import BM25Scorer, NewsWeighting

__all__ = ["phrase_scores", "phrases_of"]


def phrases_of(query: wq.Query) -> list[PhraseQuery] | None:
    """The phrases of a query that is one, or one in title or body (as ``"..."`` is)."""
    if type(query) is PhraseQuery:
        return [query]
    if (
        type(query) is wq.Or
        and len(query.subqueries) == 2
        and query.boost == 1.0
        and all(type(q) is PhraseQuery for q in query.subqueries)
    ):
        return list(query.subqueries)
    return None


def phrase_scores(phrase: PhraseQuery, searcher: Any, weighting: NewsWeighting) -> dict[int, float]:
    """Score by document number of an exact phrase in one segment, as Whoosh's matcher has them.

    The rarest word's postings are read whole; each next word's only in the blocks that can
    hold a document still in the running (the impacts' layouts or the block headers give their
    last id); then the words' positions are checked where all of them occur. Whoosh's matcher
    walks the same posting lists a posting at a time. Scores: the words' BM25 scores summed in
    Whoosh's binary tree (its intersection of the words), times the phrase's boost.
    """
    if not phrase.is_exact(searcher.schema):
        raise Unsupported(phrase)
    words = phrase.segment_terms(searcher)
    if words is None:
        return {}
    reader, fieldname = searcher.reader(), phrase.fieldname
    scorers = [weighting.scorer(searcher, fieldname, word) for word in words]
    if not all(isinstance(scorer, BM25Scorer) for scorer in scorers):
        raise Unsupported(phrase)
    weights: dict[int, dict[int, float]] = {}
    values: dict[int, dict[int, bytes]] = {}
    wanted: list[int] = []
    seen: list[int] = []  # the words read so far, rarest first
    for i in sorted(range(len(words)), key=lambda i: reader.doc_frequency(fieldname, words[i])):
        matcher = reader.postings(fieldname, words[i])
        weights[i], values[i] = postings_in(matcher, wanted if seen else None, reader)
        seen.append(i)
        if len(seen) == 1:
            wanted = sorted(values[i])
        else:  # in the word so far, and the words read so far at their places in the phrase
            common = list(filter(values[i].__contains__, wanted))
            # One key per document, the words' values in reading order: at C speed but for
            # the combinations not seen before (most postings hold a single position).
            keys = zip(*[map(values[j].__getitem__, common) for j in seen], strict=True)
            places = phrase.offsets
            side_by_side = _SideBySide([places[j] for j in seen] if places else seen)
            wanted = list(itertools.compress(common, map(side_by_side.__getitem__, keys)))
        if not wanted:
            return {}
    deleted = reader.deleted_docs_set if reader.has_deletions() else ()
    order = range(len(words))
    matched = [docnum for docnum in wanted if docnum not in deleted]
    per_word = [
        scorers[i].scores(matched, list(map(weights[i].__getitem__, matched))) for i in order
    ]
    return _scored(phrase, matched, per_word)


def _scored(
    phrase: PhraseQuery, matched: list[int], per_word: list[list[float]]
) -> dict[int, float]:
    """The phrase's score per document from its words' scores (in phrase order)."""
    sums = _tree_sums(per_word)
    if phrase.boost != 1.0:
        sums = [score * phrase.boost for score in sums]
    return dict(zip(matched, sums, strict=True))


def _leaf(matcher: Any) -> W3LeafMatcher:
    """A term's posting list without the filter of deleted documents (the caller drops them)."""
    if type(matcher) is FilterMatcher:
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        raise Unsupported(matcher)
    return matcher


def _tree_sums(parts: list[list[float]]) -> list[float]:
    """Sum per document as Whoosh's ``make_binary_tree`` of intersections adds them up."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    left, right = _tree_sums(parts[:half]), _tree_sums(parts[half:])
    return [a + b for a, b in zip(left, right, strict=True)]


class _SideBySide(dict):
    """Whether words with these position values (in phrase order ``offsets``) occur side by
    side somewhere, remembered per combination of values: most postings of a word hold one
    position, so the same combinations recur from one document to the next."""

    def __init__(self, offsets: Sequence[int]) -> None:
        super().__init__()
        self.offsets = offsets

    def __missing__(self, values: tuple[bytes, ...]) -> bool:
        found = self[values] = bool(phrase_starts(list(map(_positions, values)), self.offsets))
        return found


_POSITIONS: dict[bytes, tuple[int, ...]] = {}
"""Decoded position values: most are a word's single position, shared by many postings."""


def _positions(value: bytes) -> tuple[int, ...]:
    """Whoosh's ``Positions.decode_positions``: a frequency, then pickled position deltas."""
    found = _POSITIONS.get(value)
    if found is None:
        found = tuple(itertools.accumulate(pickle.loads(value[4:])))
        if len(_POSITIONS) >= 100_000:
            _POSITIONS.clear()
        _POSITIONS[value] = found
    return found
