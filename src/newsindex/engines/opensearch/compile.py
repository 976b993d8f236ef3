"""Compiling a parsed query tree to OpenSearch's query DSL.

Pure: a tree and the search's options in, a request body out; no server needed. The leaves
hold terms already analysed by newsindex, and the index's text fields search with an analyzer
that passes terms through (:mod:`.template`), so no word is stemmed twice.

The local engine's ranking, where OpenSearch has it:

- words score as one BM25F field over title and body (``combined_fields``, title weighted
  :data:`TITLE_BOOST`); before 3.2, one ``match`` on a ``text`` field the two are copied to;
- phrases are ``match_phrase`` with the same slop; adjacent query words add small clauses on
  the word pairs of the ``pairs`` sub-fields (:mod:`.proximity`), so articles with them side
  by side come first; a word the user typed in another form than its stem adds a clause on
  the unstemmed ``exact`` sub-fields of the fields it is searched in (:data:`EXACT_WEIGHT`,
  title weighted :data:`TITLE_BOOST`), which adds to the score and changes no match;
- long plain queries and pasted prose are any-word queries of their
  :data:`~newsindex.query.ranked.MAX_RANKED_ITEMS` most selective words, each repeated word
  weighing the square root of its count, stop words left out (the rules both engines share,
  :mod:`newsindex.query.ranked`);
- the recency prior ``1 + 0.5 * 0.5 ** (age / 730 days)``, age counted back from the newest
  article, is an ``exp`` decay on ``published`` in a ``function_score`` (undated: 1).

What it cannot mirror: ``combined_fields`` takes no per-field similarity, so BM25's ``b`` and
``k1`` are the index's default similarity's, one for all fields (the local engine's values, but
a per-field ``b`` could not be set); prefixes match with a constant score (the local engine
scores its 512 most frequent expansions); idf counts the articles holding a word in title or
body, where the local engine takes the larger of the two fields' counts (for an exact form,
each ``exact`` sub-field its own count, where the local engine again takes the larger); before
3.2 the title boost applies to phrases and prefixes only, words being scored on the copied
``text`` field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from newsindex.analysis.analyzer import stemming_analyzer
from newsindex.engines.opensearch.proximity import COMMON_TERMS, with_proximity
from newsindex.errors import QuerySyntaxError, UnsupportedError
from newsindex.fields import DATE_FIELD, NAME_FIELDS
from newsindex.models import Match, Sort
from newsindex.query.pairs import query_pairs
from newsindex.query.ranked import (
    Frequencies,
    is_ranked,
    keep_selective,
    rank_items,
    stop_terms,
    top_items,
)
from newsindex.query.syntax import MAX_CLAUSES
from newsindex.query.tree import (
    And,
    Dates,
    Node,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    Term,
    has_positive,
    leaves,
)

__all__ = [
    "EXACT_WEIGHT",
    "MARK_END",
    "MARK_START",
    "RECENCY_HALF_LIFE_DAYS",
    "RECENCY_WEIGHT",
    "TITLE_BOOST",
    "CompiledSearch",
    "compile_search",
    "compile_tree",
    "search_body",
]

TITLE_BOOST = 1.5
"""How much a match in the title outweighs one in the body (the local engine's weight)."""

EXACT_WEIGHT = 0.1
"""The weight of a typed word found in the very form typed, on top of its stem's match (the
local engine's)."""

STOP_TERMS = stop_terms(stemming_analyzer())
"""The stop words as the index holds them: for an any-word query's words whose typed form is
not known (see :func:`~newsindex.query.ranked.rank_items`)."""

RECENCY_WEIGHT = 0.5
"""The largest share of its score a hit gains for being new (the local engine's)."""

RECENCY_HALF_LIFE_DAYS = 730
"""The age at which the recency gain has halved (the local engine's)."""

MARK_START = "\ue000"
"""Put before a highlighted word by the server: a private-use character, which news text does
not hold (a control character would be trimmed by the server at a fragment's start)."""

MARK_END = "\ue001"
"""Put after a highlighted word by the server."""

_TEXT = ("title", "body")


def _boosted(query: dict[str, Any], boost: float) -> dict[str, Any]:
    """``query`` (one key, one options mapping) with a boost, unless it is 1."""
    if boost == 1.0:
        return query
    ((kind, options),) = query.items()
    if kind in ("bool", "combined_fields", "function_score"):
        return {kind: {**options, "boost": boost}}
    ((field, value),) = options.items()
    return {kind: {field: {**value, "boost": boost}}}


def _any(clauses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _fields(field: str | None) -> tuple[tuple[str, float], ...]:
    if field is None:
        return (("title", TITLE_BOOST), ("body", 1.0))
    return ((field, 1.0),)


def _words(text: str, boost: float, combined_fields: bool) -> dict[str, Any]:
    """Analysed words scored as one field over title and body."""
    if combined_fields:
        query: dict[str, Any] = {
            "combined_fields": {"query": text, "fields": [f"title^{TITLE_BOOST:g}", "body"]}
        }
        return _boosted(query, boost)
    return {"match": {"text": {"query": text, **({"boost": boost} if boost != 1.0 else {})}}}


def _exact(field: str | None, form: str, boost: float) -> dict[str, Any]:
    """A typed word in the very form typed, in title and body or in ``field``."""
    return _any(
        [
            {
                "term": {
                    f"{name}.exact": {
                        "value": form,
                        "boost": round(weight * boost * EXACT_WEIGHT, 6),
                    }
                }
            }
            for name, weight in _fields(field)
        ]
    )


def _with_exact(node: Term, query: dict[str, Any]) -> dict[str, Any]:
    """``query`` (a word's) with the exact-form boost of the local engine
    (``engines/whoosh/exact.py``): the form typed adds its score where it is found, and
    changes no match."""
    if node.form is None or node.form == node.text:
        return query
    return {"bool": {"must": [query], "should": [_exact(node.field, node.form, node.boost)]}}


def _term(node: Term, combined_fields: bool) -> dict[str, Any]:
    if node.field == "id":
        return _boosted({"term": {"id": {"value": node.text}}}, node.boost)
    if node.field is not None:
        _check_field(node.field)
        query = _boosted({"term": {node.field: {"value": node.text}}}, node.boost)
        return _with_exact(node, query) if node.field in _TEXT else query
    return _with_exact(node, _words(node.text, node.boost, combined_fields))


def _check_field(field: str) -> None:
    if field not in NAME_FIELDS and field not in _TEXT:
        raise UnsupportedError(f"{field}:", "opensearch", "search a field the index has")


def compile_tree(node: Node, *, combined_fields: bool = True) -> dict[str, Any]:
    """The OpenSearch query for a parsed query tree.

    ``combined_fields``: the server has that query (3.2 and later); else words are matched on
    the ``text`` field title and body are copied to.
    """
    if isinstance(node, Term):
        return _term(node, combined_fields)
    if isinstance(node, Phrase):
        if node.field is not None and node.field != "id":
            _check_field(node.field)
        text = " ".join(node.words)
        return _any(
            [
                {"match_phrase": {f: {"query": text, "slop": node.slop, "boost": b * node.boost}}}
                for f, b in _fields(node.field)
            ]
        )
    if isinstance(node, Prefix):
        if node.field is not None and node.field != "id":
            _check_field(node.field)
        return _any(
            [
                {"prefix": {f: {"value": prefix, "boost": b * node.boost}}}
                for f, b in _fields(node.field)
                for prefix in node.prefixes
            ]
        )
    if isinstance(node, Dates):
        bounds: dict[str, str] = {}
        if node.start is not None:
            bounds["gte"] = node.start.isoformat()
        if node.end is not None:
            bounds["lt"] = node.end.isoformat()
        return {"range": {DATE_FIELD: bounds}}
    if isinstance(node, Not):
        return {"bool": {"must_not": [compile_tree(node.item, combined_fields=combined_fields)]}}
    if isinstance(node, Or):
        return _any(
            [
                compile_tree(item, combined_fields=combined_fields)
                for item in dict.fromkeys(node.items)
            ]
        )
    if isinstance(node, And):
        return _compile_and(node, combined_fields)
    raise UnsupportedError(f"a {type(node).__name__} clause", "opensearch")


def _compile_and(node: And, combined_fields: bool) -> dict[str, Any]:
    items: list[Node] = []
    for item in dict.fromkeys(node.items):
        if isinstance(item, And) and not has_positive(item):
            items.extend(item.items)  # "x (-y -z)": the group's exclusions are the parent's
        else:
            items.append(item)
    items = list(dict.fromkeys(items))

    def compiled(nodes: list[Node]) -> list[dict[str, Any]]:
        return [compile_tree(n, combined_fields=combined_fields) for n in nodes]

    must = compiled([i for i in items if not isinstance(i, (Not, Dates))])
    dates = compiled([i for i in items if isinstance(i, Dates)])
    excluded = compiled([i.item for i in items if isinstance(i, Not)])
    if len(must) == 1 and not dates and not excluded:
        return must[0]
    query: dict[str, Any] = {}
    for key, clauses in (("must", must), ("filter", dates), ("must_not", excluded)):
        if clauses:
            query[key] = clauses
    return {"bool": query}


# --- whole searches ----------------------------------------------------------------------------


@attrs.frozen
class CompiledSearch:
    """A parsed query compiled for OpenSearch, with what the page of results needs."""

    query: dict[str, Any]
    """The ``query`` of the search request."""
    highlight_query: dict[str, Any] | None
    """What snippets mark in the body (None: nothing to mark)."""
    description: str
    """The query as it was understood (after any-word ranking rewrote it)."""


def _recency(query: dict[str, Any], newest: dt.datetime) -> dict[str, Any]:
    """``query`` with its scores times ``1 + weight * 0.5 ** (age / half-life)`` (dated only)."""
    decay = {
        "origin": newest.isoformat(),
        "scale": f"{RECENCY_HALF_LIFE_DAYS}d",
        "decay": 0.5,
    }
    return {
        "function_score": {
            "query": query,
            "functions": [
                {
                    "filter": {"exists": {"field": DATE_FIELD}},
                    "exp": {DATE_FIELD: decay},
                    "weight": RECENCY_WEIGHT,
                },
                {"weight": 1.0},
            ],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


def _marked(node: Node) -> list[dict[str, Any]]:
    """Queries for what snippets mark: the positive words, phrases and prefixes of the body."""
    if isinstance(node, Not):
        return []
    if isinstance(node, (And, Or)):
        return [q for item in node.items for q in _marked(item)]
    if isinstance(node, Term) and node.field in (None, "body"):
        return [{"term": {"body": node.text}}]
    if isinstance(node, Phrase) and node.field in (None, "body"):
        if len(node.words) == 1:
            return [{"term": {"body": node.words[0]}}]
        # Spans on the body itself: a match_phrase would search the word pairs of the
        # index_phrases sub-field, which the highlighter does not mark in the body.
        clauses = [{"span_term": {"body": word}} for word in node.words]
        return [{"span_near": {"clauses": clauses, "slop": node.slop, "in_order": True}}]
    if isinstance(node, Prefix) and node.field in (None, "body"):
        return [{"prefix": {"body": prefix}} for prefix in node.prefixes]
    return []


def _dates(since: dt.datetime | None, until: dt.datetime | None) -> Dates | None:
    if since is None and until is None:
        return None

    def label(moment: dt.datetime | None) -> str:
        if moment is None:
            return "*"
        return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat()

    shown = until - dt.timedelta(days=1) if until and until.time() == dt.time() else until
    return Dates(since, until, f"[{label(since)} TO {label(shown)}]")


def compile_search(
    parsed: ParsedQuery,
    *,
    match: Match = "auto",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    newest: dt.datetime | None = None,
    frequencies: Frequencies | None = None,
    combined_fields: bool = True,
) -> CompiledSearch:
    """Compile ``parsed`` and the search's options (``since`` inclusive, ``until``
    exclusive, naive UTC) into the query of a search request.

    ``match`` is the local engine's: ``"all"`` requires every top-level item, ``"any"`` ranks
    articles with any of them, ``"auto"`` picks (:func:`is_ranked`). ``newest``: the newest
    article's date, which the recency prior counts back from (None: no prior).
    ``frequencies``: document frequencies, to keep a long query's most selective words.
    """
    tree = parsed.tree
    date_filter = _dates(since, until)
    if date_filter is not None:
        tree = And((*top_items(tree), date_filter))
    ranked_mode = is_ranked(parsed, match)
    pairs = query_pairs(parsed.tree, split=ranked_mode and parsed.plain, common=COMMON_TERMS)
    if ranked_mode:
        ranked = rank_items(tree, split=parsed.plain, stop_terms=STOP_TERMS)
        ranked = keep_selective(ranked, frequencies)
        should = [
            _boosted(compile_tree(item, combined_fields=combined_fields), weight)
            for item, weight in ranked.optional
        ]
        body: dict[str, Any] = {"should": should, "minimum_should_match": 1}
        if ranked.required:
            body["filter"] = [compile_tree(d) for d in ranked.required]
        if ranked.excluded:
            body["must_not"] = [
                compile_tree(i, combined_fields=combined_fields) for i in ranked.excluded
            ]
        query: dict[str, Any] = {"bool": body}
        tree = ranked.tree()
    else:
        if (clauses := len(leaves(tree))) > MAX_CLAUSES:
            raise QuerySyntaxError(
                parsed.text,
                0,
                f"the query has {clauses} different words or clauses, more than {MAX_CLAUSES} "
                "can all be required: rank them by any word instead (match 'any')",
            )
        query = compile_tree(tree, combined_fields=combined_fields)
    query = with_proximity(query, pairs)
    if newest is not None and has_positive(tree):
        query = _recency(query, newest)
    marked = _marked(tree)
    return CompiledSearch(
        query=query,
        highlight_query=_any(marked) if marked else None,
        description=str(ParsedQuery(parsed.text, tree)),
    )


_SORTS: dict[str, list[Any]] = {
    "relevance": [{"_score": "desc"}, {"id": "asc"}],
    "newest": [{DATE_FIELD: {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
    "oldest": [{DATE_FIELD: {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
}


def search_body(
    compiled: CompiledSearch,
    *,
    page: int = 1,
    limit: int = 10,
    sort: Sort = "relevance",
    snippets: bool = True,
) -> dict[str, Any]:
    """The body of the search request for one page: an exact total, the page's hits in
    ``sort`` order (ties by id) and, with ``snippets``, the body's best passage marked with
    :data:`MARK_START` and :data:`MARK_END`."""
    body: dict[str, Any] = {
        "query": compiled.query,
        "from": (page - 1) * limit,
        "size": limit,
        "track_total_hits": True,
        "sort": _SORTS[sort],
    }
    if sort != "relevance":
        body["track_scores"] = True
    if snippets:
        body["highlight"] = {
            "pre_tags": [MARK_START],
            "post_tags": [MARK_END],
            "fields": {
                # The whole body, marked: its sentences can be a few words long, so the
                # snippet is cut from it as the local engine cuts its own (documents.py).
                "body": {"type": "unified", "number_of_fragments": 0}
            },
            "max_analyzer_offset": 200_000,
        }
        if compiled.highlight_query is not None:
            body["highlight"]["highlight_query"] = compiled.highlight_query
        else:
            body["highlight"]["highlight_query"] = {"match_none": {}}
    return body
