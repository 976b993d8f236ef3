"""Proximity: a query's neighbouring words, found side by side in an article, raise its score."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsindex import Article, NewsIndex
from newsindex.analysis.analyzer import plain_analyzer, stemming_analyzer
from newsindex.analysis.pairs import common_terms, word_pairs
from newsindex.engines.whoosh import proximity
from newsindex.ingest import sample_paths
from newsindex.query import parse_query
from newsindex.query.pairs import query_pairs

STEMMED = stemming_analyzer()
COMMON = common_terms(STEMMED)


def pairs_of(text: str, *, split: bool = False) -> list[str]:
    """The pairs a typed query looks up."""
    tree = parse_query(text, lambda field: STEMMED if field is None else plain_analyzer()).tree
    return [pair for pair, _weight in query_pairs(tree, split=split, common=COMMON)]


def test_pairs_of_two_common_words_are_left_out():
    """Two common words side by side make no pair; a common word beside another word does."""
    terms = STEMMED.terms("coalition of the willing")
    assert terms == ("coalit", "of", "the", "will")
    assert word_pairs(terms, COMMON) == ["coalit of", "the will"]


def test_query_pairs_follow_the_words_typed_side_by_side():
    """A query's pairs are its neighbouring words; a field or an exclusion breaks the run."""
    assert pairs_of("coalition of the willing") == ["coalit of", "the will"]
    assert pairs_of("united nations title:report peace talks -war") == ["unit nation", "peac talk"]
    assert pairs_of("election") == []


def test_query_pairs_inside_a_quoted_phrase_only_when_split():
    """A quoted phrase's own pairs are required already; a ranked plain query's count."""
    assert pairs_of('"prime minister" resigns') == ["minist resign"]
    assert pairs_of('"prime minister" resigns', split=True) == ["prime minist", "minist resign"]


def test_repeated_pairs_weigh_the_square_root_of_their_count():
    """A pair typed twice weighs √2, as a repeated word does."""
    tree = parse_query("peace talks and peace talks", lambda field: STEMMED).tree
    assert dict(query_pairs(tree, split=True, common=COMMON))["peac talk"] == pytest.approx(2**0.5)


APART = "The strike hit the ferry service today."
ADJACENT = "The ferry strike hit the service today."
"""The same words, the query's two side by side in one only."""


def _twins(make_index, first: str, second: str) -> NewsIndex:
    """Two articles of the same words, title and date, ``first`` added first (so it wins a tie)."""
    when = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    return make_index(
        [
            Article(id="apart", title="Harbour news", body=first, published=when),
            Article(id="adjacent", title="Harbour news", body=second, published=when),
        ]
    )


@pytest.mark.parametrize("query", ["ferry strike", "ferry strike hits the service today"])
def test_words_side_by_side_rank_first(make_index, query):
    """Of two articles that differ only in where the words stand, the one with them side by
    side ranks first, for a typed query (all words) and a ranked description alike."""
    news = _twins(make_index, APART, ADJACENT)
    found = news.search(query, snippets=False)
    assert [hit.id for hit in found.hits] == ["adjacent", "apart"]
    assert found.hits[0].score > found.hits[1].score


def test_proximity_changes_no_match(make_index, monkeypatch):
    """Pairs add to scores only: the same articles match, with or without them."""
    news = _twins(make_index, APART, ADJACENT)
    queries = ["ferry strike", "ferry strike harbour", "ferry strike hits the service today"]
    with_pairs = [news.search(q, snippets=False) for q in queries]
    monkeypatch.setattr(proximity, "PAIR_WEIGHT", 0.0)
    monkeypatch.setattr(proximity, "PHRASE_WEIGHT", 0.0)
    without = [news.search(q, snippets=False) for q in queries]
    assert [(r.total, {h.id for h in r.hits}) for r in with_pairs] == [
        (r.total, {h.id for h in r.hits}) for r in without
    ]
    assert with_pairs[0].hits[0].score > without[0].hits[0].score


@pytest.mark.slow
def test_coalition_of_the_willing_finds_the_article_with_the_phrase_first(tmp_path: Path):
    """On the bundled sample, the unquoted words rank first the one article that has them as
    a phrase (the seed article), above articles that mention coalitions often."""
    with NewsIndex.create(tmp_path / "index") as news:
        news.add_files(sample_paths())
        found = news.search("coalition of the willing", snippets=False)
        assert found.hits[0].id == "cf3f115601c28b53"
        assert "coalition of the willing" in news.get("cf3f115601c28b53").body
