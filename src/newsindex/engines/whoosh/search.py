"""The search pipeline: a parsed query and its options in, one page of ``SearchResults`` out.

Date filters join the tree, ranked queries are rewritten (:mod:`.ranked`), the tree is compiled
(:mod:`.compile`), the first matches collected (:mod:`.collect`) and the page's hits built
(:mod:`.hits`).
"""

from __future__ import annotations

import datetime as dt
from typing import get_args

from whoosh.searching import Searcher

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.analysis.pairs import common_terms
from newsindex.engines.whoosh.collect import collect, relevance_scores
from newsindex.engines.whoosh.compile import compile_tree
from newsindex.engines.whoosh.exact import query_forms, with_exact
from newsindex.engines.whoosh.hits import make_hits, match_spec
from newsindex.engines.whoosh.proximity import with_proximity
from newsindex.engines.whoosh.ranked import compile_ranked, frequencies_in
from newsindex.errors import QuerySyntaxError
from newsindex.models import Match, SearchResults, Sort
from newsindex.query.pairs import query_pairs
from newsindex.query.ranked import is_ranked, keep_selective, rank_items, stop_terms, top_items
from newsindex.query.syntax import MAX_CLAUSES
from newsindex.query.tree import And, Dates, Node, Not, Or, ParsedQuery, leaves

__all__ = ["MATCHES", "SORTS", "run_search"]


SORTS: tuple[Sort, ...] = get_args(Sort)
"""The orders a page of hits can come in: by relevance, or by publication date."""

MATCHES: tuple[Match, ...] = get_args(Match)
"""How the words of a query must match; see :func:`run_search`."""


def _date_label(moment: dt.datetime | None) -> str:
    if moment is None:
        return "*"
    return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat()


def _date_filter(since: dt.datetime | None, until: dt.datetime | None) -> Dates | None:
    """The ``since``/``until`` arguments as a date clause; ``until`` is exclusive here."""
    if since is None and until is None:
        return None
    shown_until = until - dt.timedelta(days=1) if until and until.time() == dt.time() else until
    return Dates(since, until, f"[{_date_label(since)} TO {_date_label(shown_until)}]")


def run_search(
    searcher: Searcher,
    parsed: ParsedQuery,
    *,
    body_analyzer: NewsAnalyzer,
    page: int = 1,
    limit: int = 10,
    sort: Sort = "relevance",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    match: Match = "auto",
    snippets: bool = True,
) -> SearchResults:
    """Run ``parsed`` and build one page of :class:`SearchResults`.

    ``since`` is inclusive and ``until`` exclusive, both naive UTC (the API layer converts).

    ``match`` is one of :data:`MATCHES`. ``"all"`` requires every top-level item. ``"any"``
    ranks every article that has any of the words (exclusions and date filters still apply);
    stop words outside phrases are dropped, so the words that carry the meaning decide the
    order, and an article with more of the rarer words ranks higher through BM25 itself.
    A ranked query keeps its :data:`~newsindex.query.ranked.MAX_RANKED_ITEMS` most selective
    items (the rarest words: a pasted article's own vocabulary), so any length of text is a
    search. ``"auto"`` is ``"any"`` for prose (text parsed with ``syntax=False``, or a
    paragraph too long to be a list of requirements) and for a typed query of at least
    :data:`LONG_QUERY_WORDS` plain words (no quotes, operators or fields: a description or a
    question, not a list of requirements), and ``"all"`` otherwise, so a short
    typed query keeps web-search behaviour.
    """
    tree = parsed.tree
    date_filter = _date_filter(since, until)
    if date_filter is not None:
        tree = And((*top_items(tree), date_filter))
    ranked_mode = is_ranked(parsed, match)
    forms: tuple[tuple[str | None, str, float], ...] = ()
    pairs = query_pairs(
        parsed.tree, split=ranked_mode and parsed.plain, common=common_terms(body_analyzer)
    )
    if ranked_mode:
        ranked = rank_items(tree, split=parsed.plain, stop_terms=stop_terms(body_analyzer))
        ranked = keep_selective(ranked, frequencies_in(searcher.reader()))
        query = compile_ranked(ranked, searcher.reader())
        tree = ranked.tree()
    else:
        if (clauses := len(leaves(tree))) > MAX_CLAUSES:
            raise QuerySyntaxError(
                parsed.text,
                0,
                f"the query has {clauses} different words or clauses, more than {MAX_CLAUSES} "
                "can all be required: rank them by any word instead (match 'any')",
            )
        query = compile_tree(tree, searcher.reader())
        forms = query_forms(tree, searcher.reader())
    query = with_proximity(query, pairs)
    scored = with_exact(query, forms)
    # Only dates (and exclusions): every match is as relevant as the next, and the recency
    # prior orders equals newest first.
    order: Sort = "newest" if sort == "relevance" and _only_dates(tree) else sort
    # In date order the exact forms change no match and no order, only the scores shown: the
    # matches are found without them (a word alone keeps its fast path) and scored with them.
    found = scored if order == "relevance" else query
    ranking = collect(searcher, found, page * limit, order)
    first = (page - 1) * limit
    shown = ranking.items[first : first + limit]
    if ranking.scored and found is scored:
        scores = {docnum: score for score, docnum in shown}
    else:
        scores = relevance_scores(searcher, scored, [docnum for _key, docnum in shown])
    spec = match_spec(tree)
    hits = make_hits(
        searcher, shown, scores, first=first, spec=spec, analyzer=body_analyzer, snippets=snippets
    )
    description = str(ParsedQuery(parsed.text, tree))
    return SearchResults(
        hits=hits,
        total=ranking.total,
        page=page,
        limit=limit,
        query=description,
        sort=sort,
    )


def _only_dates(node: Node) -> bool:
    """Whether nothing the tree matches is scored: its positive leaves are all dates."""
    if isinstance(node, Not):
        return True
    if isinstance(node, (And, Or)):
        return all(_only_dates(item) for item in node.items)
    return isinstance(node, Dates)
