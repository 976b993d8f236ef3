"""Tests for newsindex.engines.whoosh.exact: the exact-form boost of the local engine."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from newsindex import Article, NewsIndex
from newsindex.analysis.analyzer import NewsAnalyzer, plain_analyzer, stemming_analyzer
from newsindex.engines.whoosh import exact as exact_module
from newsindex.engines.whoosh.compile import TITLE_BOOST
from newsindex.engines.whoosh.exact import EXACT_WEIGHT, query_forms
from newsindex.fields import NAME_FIELDS
from newsindex.query import parse_query


def analyzers(field: str | None) -> NewsAnalyzer:
    """The local engine's analyzers: plain for names, stemming for the rest."""
    return plain_analyzer() if field in NAME_FIELDS else stemming_analyzer()


def forms_of(text: str) -> tuple[tuple[str | None, str, float], ...]:
    """The forms ``text`` typed is boosted by."""
    return query_forms(parse_query(text, analyzers).tree)


def test_forms_of_words_typed_otherwise_than_their_stem():
    """Words whose form differs from their stem are boosted, once each, with their boost and
    field; a word typed as its stem, an excluded word and a name field's are not."""
    assert forms_of("willing Willing will -talks author:Reuters title:Coalitions^2") == (
        (None, "willing", 1.0),
        ("title", "coalitions", 2.0),
    )
    assert forms_of("(peace OR talks) iran") == ((None, "peace", 1.0), (None, "talks", 1.0))


def test_boost_adds_the_form_score_and_changes_no_match(tmp_path: Path, monkeypatch):
    """An article holding the form typed gains its form's BM25 score times the weight, in
    the title times the title boost; the same articles match as with the stem alone."""
    monkeypatch.setattr(exact_module, "MAX_FORM_SHARE", 1.0)  # a form in half its stem's
    with NewsIndex.create(tmp_path / "index") as news:
        news.add(
            [
                Article(id="body", title="Talks", body="Ministers are willing to join."),
                Article(id="title", title="Willing", body="Ministers will want to join."),
                Article(id="none", title="Talks", body="Ministers will want to join."),
                Article(id="other", title="Talks", body="Ministers want to join."),
            ]
        )
        typed = {hit.id: hit.score for hit in news.search("willing", snippets=False).hits}
        stem = {hit.id: hit.score for hit in news.search("will", snippets=False).hits}
    assert set(typed) == set(stem) == {"body", "title", "none"}
    assert typed["none"] == stem["none"]
    # BM25 (k1 1.2, b 0.6) of "willing": one article of four holds it, once; bodies of 5, 5,
    # 5 and 4 words, titles of one.
    idf = math.log(1 + 3.5 / 1.5)
    in_body = idf * 2.2 / (1 + 1.2 * (0.4 + 0.6 * 5 / 4.75))
    assert typed["body"] - stem["body"] == pytest.approx(in_body * EXACT_WEIGHT)
    assert typed["title"] - stem["title"] == pytest.approx(idf * EXACT_WEIGHT * TITLE_BOOST)


def test_a_form_in_most_of_its_stems_articles_adds_nothing(tmp_path: Path):
    """A form held by more than a quarter of the articles holding its stem adds no score (it
    would tell them little and cost a second posting list); a rarer one does."""
    bodies = ["Ministers will meet.", "Ministers will talk.", "Ministers will wait."]
    with NewsIndex.create(tmp_path / "index") as news:
        news.add(
            [Article(id=f"will-{n}", title="Talks", body=body) for n, body in enumerate(bodies)]
        )
        news.add([Article(id="willing", title="Talks", body="Ministers are willing.")])
        rare = news.search("willing", snippets=False)
        common = news.search("ministers", snippets=False)
        stem = news.search("minister", snippets=False)
    assert rare.hits[0].id == "willing"
    assert rare.hits[0].score > rare.hits[1].score
    assert [(h.id, h.score) for h in common.hits] == [(h.id, h.score) for h in stem.hits]
