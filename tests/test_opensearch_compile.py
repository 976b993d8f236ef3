"""Tests for compiling the parsed query tree to OpenSearch's query DSL (no server needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from newsindex.analysis.analyzer import NewsAnalyzer, plain_analyzer, stemming_analyzer
from newsindex.engines.opensearch.compile import (
    EXACT_WEIGHT,
    MARK_END,
    MARK_START,
    compile_search,
    compile_tree,
    search_body,
)
from newsindex.engines.whoosh.exact import EXACT_WEIGHT as LOCAL_EXACT_WEIGHT
from newsindex.errors import QuerySyntaxError, UnsupportedError
from newsindex.query import parse_query
from newsindex.query.ranked import MAX_RANKED_ITEMS
from newsindex.query.tree import And, Not, ParsedQuery, Term

_STEMMED, _PLAIN = stemming_analyzer(), plain_analyzer()


def analyzers(field: str | None) -> NewsAnalyzer:
    """The local engine's analyzers: stemming for title and body, plain for names."""
    return _STEMMED if field in (None, "title", "body") else _PLAIN


def query(text: str, **options: Any) -> dict[str, Any]:
    """The compiled query of ``text`` typed by a user."""
    return compile_search(parse_query(text, analyzers), **options).query


def words(*terms: str) -> list[dict[str, Any]]:
    """The combined_fields clauses of analysed words."""
    return [{"combined_fields": {"query": t, "fields": ["title^1.5", "body"]}} for t in terms]


def with_form(
    clause: dict[str, Any], form: str, boost: float = 1.0, field: str | None = None
) -> dict[str, Any]:
    """A word's ``clause`` with the clause of the form typed on the exact sub-fields."""
    fields = [(field, 1.0)] if field else [("title", 1.5), ("body", 1.0)]
    exact = [
        {"term": {f"{name}.exact": {"value": form, "boost": round(weight * boost * 0.1, 6)}}}
        for name, weight in fields
    ]
    should = exact[0] if len(exact) == 1 else {"bool": {"should": exact, "minimum_should_match": 1}}
    return {"bool": {"must": [clause], "should": [should]}}


def pair(first: str, second: str) -> dict[str, Any]:
    """The proximity clause of two adjacent words."""
    return {
        "multi_match": {
            "query": f"{first} {second}",
            "type": "cross_fields",
            "fields": ["title.pairs^1.5", "body.pairs"],
            "tie_breaker": 1.0,
            "boost": 0.1,
        }
    }


def pair_text(clause: dict[str, Any]) -> str | None:
    """The pair a proximity clause looks up, or None for another clause."""
    return clause["multi_match"]["query"] if "multi_match" in clause else None


def test_word_is_combined_fields_over_title_and_body():
    """A word is one BM25F clause over title (weighted 1.5) and body, with its stem."""
    assert query("Iran's") == words("iran")[0]


def test_words_all_required_with_proximity():
    """Two words are both required, and the pair side by side adds a small clause on the
    pairs sub-fields, each scored with the larger document frequency of the two."""
    peace, talks = words("peac", "talk")
    assert query("peace talks") == {
        "bool": {
            "must": [with_form(peace, "peace"), with_form(talks, "talks")],
            "should": [pair("peac", "talk")],
        }
    }


def test_common_words_make_no_pair():
    """Two common words side by side add no proximity clause; a common word and another do."""
    assert query("of the") == {"bool": {"must": words("of", "the")}}
    the, talks = words("the", "talk")
    assert query("the talks") == {
        "bool": {"must": [the, with_form(talks, "talks")], "should": [pair("the", "talk")]}
    }


def test_every_pair_in_one_field_adds_again():
    """A query of two pairs or more also scores a field holding all its pairs (weight 0.5)."""
    found = query("coalition willing forces")["bool"]["should"]
    every = [
        {"term": {"body.pairs": {"value": "coalit will", "boost": 1.0}}},
        {"term": {"body.pairs": {"value": "will forc", "boost": 1.0}}},
    ]
    assert found[:2] == [pair("coalit", "will"), pair("will", "forc")]
    assert found[3] == {"bool": {"must": every, "boost": 0.5}}
    assert found[2]["bool"]["boost"] == 0.75
    assert found[2]["bool"]["must"][0]["term"]["title.pairs"]["value"] == "coalit will"


def test_phrase_pairs_only_when_ranked():
    """A quoted phrase's own pairs are not added (it requires them); its ends pair with the
    words beside it."""
    found = query('tanks "peace talks" resumed')["bool"]["should"]
    assert [pair_text(c) for c in found if "multi_match" in c] == ["tank peac", "talk resum"]


def test_phrase_keeps_stop_words_and_slop():
    """A phrase is match_phrase on title and body, stop words kept, with its slop."""
    assert query('"the talks"~2') == {
        "bool": {
            "should": [
                {"match_phrase": {"title": {"query": "the talk", "slop": 2, "boost": 1.5}}},
                {"match_phrase": {"body": {"query": "the talk", "slop": 2, "boost": 1.0}}},
            ],
            "minimum_should_match": 1,
        }
    }


def test_field_phrase():
    """A phrase in a field searches that field only."""
    assert query('title:"peace talks"') == {
        "match_phrase": {"title": {"query": "peac talk", "slop": 0, "boost": 1.0}}
    }


def test_name_field_term_is_unstemmed():
    """A word in a name field is a term query on its unstemmed form."""
    assert query("source:Reuters") == {"term": {"source": {"value": "reuters"}}}


def test_id_field():
    """id: searches the id keyword as given."""
    assert query("id:abc123") == {"term": {"id": {"value": "abc123"}}}


def test_boost():
    """word^2 boosts the word's clause and the clause of its form typed."""
    assert query("peace^2") == with_form(
        {"combined_fields": {"query": "peac", "fields": ["title^1.5", "body"], "boost": 2.0}},
        "peace",
        2.0,
    )


def test_prefix():
    """A prefix is a prefix query on title (weighted) and body."""
    assert query("peac*") == {
        "bool": {
            "should": [
                {"prefix": {"title": {"value": "peac", "boost": 1.5}}},
                {"prefix": {"body": {"value": "peac", "boost": 1.0}}},
            ],
            "minimum_should_match": 1,
        }
    }


def test_dates_are_a_filter():
    """A date clause filters by a half-open range on published."""
    assert query("oil date:2020-03") == {
        "bool": {
            "must": words("oil"),
            "filter": [
                {
                    "range": {
                        "published": {"gte": "2020-03-01T00:00:00", "lt": "2020-04-01T00:00:00"}
                    }
                }
            ],
        }
    }


def test_date_range_open_end():
    """An open range leaves its end out."""
    assert query("date:[2020 TO *] oil")["bool"]["filter"] == [
        {"range": {"published": {"gte": "2020-01-01T00:00:00"}}}
    ]


def test_or():
    """OR matches either side."""
    ukraine, russia = words("ukrain", "russia")
    assert query("ukraine OR russia") == {
        "bool": {"should": [with_form(ukraine, "ukraine"), russia], "minimum_should_match": 1}
    }


def test_not():
    """-word excludes what the word matches."""
    assert query("iraq -war") == {"bool": {"must": words("iraq"), "must_not": words("war")}}


def test_only_exclusions():
    """A query of exclusions alone matches every article but those."""
    tree = And((Not(Term(None, "war")), Not(Term(None, "iraq"))))
    assert compile_tree(tree) == {"bool": {"must_not": words("war", "iraq")}}


def ranked_words(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The optional items of a compiled any-word query (inside its proximity wrapper)."""
    inner = found["bool"]["must"][0] if "must" in found["bool"] else found
    return list(inner["bool"]["should"])


def test_long_query_is_any_word():
    """Six plain words rank by any word, stop words left out, every neighbour paired."""
    found = query("the peace talks in Kabul resumed")
    assert ranked_words(found) == words("peac", "talk", "kabul", "resum")
    assert found["bool"]["must"][0]["bool"]["minimum_should_match"] == 1
    phrases = [pair_text(c) for c in found["bool"]["should"] if "multi_match" in c]
    assert phrases == ["the peac", "peac talk", "talk in", "in kabul", "kabul resum"]


def test_repeated_word_weighs_square_root():
    """A word said four times in prose weighs 2."""
    parsed = parse_query("oil oil oil oil price", analyzers, syntax=False)
    found = ranked_words(compile_search(parsed).query)
    assert found[:2] == [
        {"combined_fields": {"query": "oil", "fields": ["title^1.5", "body"], "boost": 2.0}},
        *words("price"),
    ]


def test_prose_keeps_most_selective_words():
    """Prose of 100 distinct words keeps the 64 the index finds rarest, in their order."""
    text = " ".join(f"w{i}x" for i in range(100))
    parsed = parse_query(text, analyzers, syntax=False)

    def frequencies(words):
        return {w: int(w.text[1:-1]) + 1 for w in words}, 1000

    compiled = compile_search(parsed, frequencies=frequencies)
    kept = [c["combined_fields"]["query"] for c in ranked_words(compiled.query)]
    assert kept == [f"w{i}x" for i in range(MAX_RANKED_ITEMS)]


def test_prose_of_thousands_of_words_stays_under_the_clause_limit():
    """2,000 distinct words compile to at most 64 words and 64 pairs: never past 1,024."""
    text = " ".join(f"w{i}x" for i in range(2000))
    found = query(text, match="any")
    assert len(ranked_words(found)) == MAX_RANKED_ITEMS
    assert len(found["bool"]["should"]) == 64 + 2


def test_too_many_required_clauses():
    """Requiring more than 64 clauses is refused, as locally, with the way out."""
    text = " ".join(f"w{i}x" for i in range(71))
    with pytest.raises(QuerySyntaxError) as raised:
        query(text, match="all")
    assert str(raised.value) == (
        "Query error at position 1: the query has 71 different words or clauses, more than "
        "64 can all be required: rank them by any word instead (match 'any')."
    )


def test_since_until_join_the_query():
    """since/until become a date filter on published."""
    found = query("oil", since=dt.datetime(2020, 1, 1), until=dt.datetime(2021, 1, 1))
    assert found["bool"]["filter"] == [
        {"range": {"published": {"gte": "2020-01-01T00:00:00", "lt": "2021-01-01T00:00:00"}}}
    ]


def test_recency_prior_is_exp_decay():
    """The recency prior multiplies scores by 1 + 0.5 * 0.5 ** (age / 730 days), dated only."""
    found = query("oil", newest=dt.datetime(2021, 3, 5))
    assert found == {
        "function_score": {
            "query": words("oil")[0],
            "functions": [
                {
                    "filter": {"exists": {"field": "published"}},
                    "exp": {
                        "published": {
                            "origin": "2021-03-05T00:00:00",
                            "scale": "730d",
                            "decay": 0.5,
                        }
                    },
                    "weight": 0.5,
                },
                {"weight": 1.0},
            ],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


def test_before_combined_fields_words_match_the_copied_field():
    """Without combined_fields (OpenSearch 2.x), a word is a match on the text field."""
    assert query("oil", combined_fields=False) == {"match": {"text": {"query": "oil"}}}


def test_exact_form_adds_a_clause():
    """A word typed in another form than its stem adds a clause on the unstemmed sub-fields,
    the local engine's: its weight, title weight and condition."""
    assert EXACT_WEIGHT == LOCAL_EXACT_WEIGHT
    assert compile_tree(Term(None, "will", form="willing")) == {
        "bool": {
            "must": words("will"),
            "should": [
                {
                    "bool": {
                        "should": [
                            {"term": {"title.exact": {"value": "willing", "boost": 0.15}}},
                            {"term": {"body.exact": {"value": "willing", "boost": 0.1}}},
                        ],
                        "minimum_should_match": 1,
                    }
                }
            ],
        }
    }
    assert compile_tree(Term(None, "will", form="will")) == words("will")[0]
    assert compile_tree(Term(None, "will")) == words("will")[0]


def test_exact_form_in_a_text_field_only():
    """A word typed in title: or body: adds its form in that field's exact sub-field only; a
    name field has none."""
    assert query("title:Willing") == with_form(
        {"term": {"title": {"value": "will"}}}, "willing", field="title"
    )
    assert query("author:Willing") == {"term": {"author": {"value": "willing"}}}


def test_ranked_query_has_no_exact_form_clause():
    """An any-word query (a description) weighs its words without their typed forms."""
    found = query("Ministers agreed to join the talks")
    assert ranked_words(found) == words("minist", "agre", "join", "talk")


def test_unknown_field_named():
    """A term in a field the engine does not have is refused, naming it."""
    with pytest.raises(UnsupportedError) as raised:
        compile_tree(Term("colour", "red"))
    assert str(raised.value) == (
        "'colour:' is not available on the opensearch engine: search a field the index has."
    )


def test_unknown_construct_named():
    """A kind of clause the compiler does not know is refused, naming it."""
    with pytest.raises(UnsupportedError) as raised:
        compile_tree(ParsedQuery("x", Term(None, "x")))  # type: ignore[arg-type]
    assert str(raised.value) == (
        "'a ParsedQuery clause' is not available on the opensearch engine: use it on an index "
        "in a local folder instead."
    )


def test_description_after_ranking():
    """The description shows the query as ranked (stop words gone, any word)."""
    parsed = parse_query("the peace talks in Kabul resumed", analyzers)
    assert compile_search(parsed).description == "(peac OR talk OR kabul OR resum)"


def test_search_body_page_sort_snippets():
    """A page's request: from/size, exact total, date order with scores, marked snippets."""
    compiled = compile_search(ParsedQuery("oil", Term(None, "oil")))
    body = search_body(compiled, page=3, limit=20, sort="newest")
    assert body["from"] == 40
    assert body["size"] == 20
    assert body["track_total_hits"] is True
    assert body["track_scores"] is True
    assert body["sort"] == [
        {"published": {"order": "desc", "missing": "_last"}},
        {"id": "asc"},
    ]
    highlight = body["highlight"]
    assert (highlight["pre_tags"], highlight["post_tags"]) == ([MARK_START], [MARK_END])
    assert highlight["highlight_query"] == {"term": {"body": "oil"}}


def test_search_body_without_snippets():
    """snippets=False asks for no highlighting."""
    compiled = compile_search(ParsedQuery("oil", Term(None, "oil")))
    assert "highlight" not in search_body(compiled, snippets=False)


def test_snippets_mark_phrases_as_spans():
    """A phrase is marked through a span query on the body, not its word-pair field."""
    compiled = compile_search(parse_query('"peace talks"~1 -war', analyzers))
    assert compiled.highlight_query == {
        "span_near": {
            "clauses": [{"span_term": {"body": "peac"}}, {"span_term": {"body": "talk"}}],
            "slop": 1,
            "in_order": True,
        }
    }
