"""Term-at-a-time scoring for the commonest query shapes.

Whoosh scores a query document at a time: for every match, every matcher of the query tree is
asked for its id, its score and its next match, several Python calls per posting and level.
For the shapes most searches have (a word in title or body, two words, a word with a date
filter or an exclusion) this module scores each posting list a block at a time instead and
adds the scores up per document in a dict, then takes the best with a heap.

The results are Whoosh's, number for number: each posting's score comes from the same
:class:`~newsindex.ranking.BM25Scorer` expression, and only sums of two scores are formed,
which are the same in either order; ties go to the lower document number, as in Whoosh's
collector. Queries of any other shape return ``None`` and are left to Whoosh.
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Sequence
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher

from newsindex.columns import dates
from newsindex.query.compile import AndNot, DateFiltered
from newsindex.ranking import BM25Scorer, NewsWeighting

__all__ = ["top_documents"]


class _Unsupported(Exception):
    """The query has a shape this module does not score."""


def top_documents(searcher: Any, query: wq.Query, limit: int) -> tuple[list, int] | None:
    """The best ``limit`` ``(score, docnum)`` pairs, best first, and the number of matches.

    ``None`` when ``query`` is not a shape scored here or the searcher does not rank with
    :class:`NewsWeighting`.
    """
    weighting = searcher.weighting
    if not isinstance(weighting, NewsWeighting) or not _supported(query, searcher.schema):
        return None
    scores: dict[int, float] = {}
    try:
        for sub, offset in searcher.leaf_searchers():
            found = _evaluate(query, sub, weighting)
            if offset:
                scores.update(zip(map(offset.__add__, found), found.values(), strict=True))
            else:
                scores.update(found)
    except _Unsupported:
        return None
    best = heapq.nlargest(limit, zip(scores.values(), map(operator.neg, scores), strict=True))
    return [(score, -negated) for score, negated in best], len(scores)


def _supported(query: wq.Query, schema: Any) -> bool:
    kind = type(query)
    if kind is wq.Term:
        return query.fieldname in schema and schema[query.fieldname].scorable
    if kind in (wq.Or, wq.And):
        return 1 <= len(query.subqueries) <= 2 and all(
            _supported(q, schema) for q in query.subqueries
        )
    if kind is AndNot:
        return _supported(query.a, schema)
    if kind is DateFiltered:
        return _supported(query.child, schema)
    return False


def _evaluate(query: wq.Query, searcher: Any, weighting: NewsWeighting) -> dict[int, float]:
    """Scores by document number in one segment, as Whoosh's matcher for ``query`` gives them."""
    kind = type(query)
    if kind is wq.Term:
        return _term(query, searcher, weighting)
    if kind in (wq.Or, wq.And):
        parts = [_evaluate(q, searcher, weighting) for q in query.subqueries]
        if len(parts) == 1:  # Whoosh matches a one-clause compound as its clause, unboosted
            return parts[0]
        first, second = parts
        if kind is wq.Or:
            combined = dict(first)
            for docnum, score in second.items():
                combined[docnum] = combined[docnum] + score if docnum in combined else score
        else:
            small, large = (first, second) if len(first) <= len(second) else (second, first)
            combined = {d: first[d] + second[d] for d in small if d in large}
        return _boosted(combined, query.boost)
    if kind is AndNot:
        found = _evaluate(query.a, searcher, weighting)
        if found:
            excluded = query.b.matcher(searcher, searcher.boolean_context())
            for docnum in excluded.all_ids() if excluded.is_active() else ():
                found.pop(docnum, None)
        return found
    if kind is DateFiltered:
        found = _evaluate(query.child, searcher, weighting)
        published = dates(searcher.reader())
        if not published:
            return {}
        low, high = query.bounds()
        return {d: s for d, s in found.items() if low <= published[d] < high}
    raise _Unsupported(query)


def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
    if boost == 1.0:
        return scores
    return {docnum: score * boost for docnum, score in scores.items()}


def _term(query: wq.Term, searcher: Any, weighting: NewsWeighting) -> dict[int, float]:
    fieldname = query.fieldname
    try:
        text = searcher.schema[fieldname].to_bytes(query.text)
    except ValueError:
        return {}
    reader = searcher.reader()
    if (fieldname, text) not in reader:
        return {}
    scorer = weighting.scorer(searcher, fieldname, text)
    if not isinstance(scorer, BM25Scorer):
        raise _Unsupported(query)
    scores: dict[int, float] = {}
    deleted: Any = ()
    matcher = reader.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):  # the segment's deleted documents left out
        deleted = reader.deleted_docs_set  # the set Whoosh filters them with
        matcher = matcher.child
    for docnums, weights in _blocks(matcher):
        found = scorer.scores(docnums, weights)
        if query.boost != 1.0:
            found = [score * query.boost for score in found]
        scores.update(zip(docnums, found, strict=True))
    for docnum in deleted:
        scores.pop(docnum, None)
    return scores


def _blocks(matcher: Any) -> Any:
    """Yield a posting list's ``(docnums, weights)`` a block at a time."""
    if type(matcher) is not W3LeafMatcher:  # any other matcher: a posting at a time
        docnums, weights = [], []
        while matcher.is_active():
            docnums.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield docnums, weights
        return
    # Whoosh 3 blocks (see W3LeafMatcher._read_ids and _read_weights): delta-coded ids and
    # weights stored as None (all 1.0), one float (all equal) or one per posting.
    while matcher.is_active():
        matcher._read_data()
        deltas, weights = matcher._data[0], matcher._data[1]
        docnums: Sequence[int] = tuple(itertools.accumulate(deltas))
        if weights is None:
            weights = (1.0,) * len(docnums)
        elif isinstance(weights, float):
            weights = (weights,) * len(docnums)
        yield docnums, weights
        matcher._next_block()
