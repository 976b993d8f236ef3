"""newsindex's own Whoosh query classes answer exactly as Whoosh's would."""

from __future__ import annotations

import itertools

import pytest
from whoosh import query as wq

from newsindex import NewsIndex
from newsindex.engines.whoosh import compile as compile_module
from newsindex.ingest import read_paths, sample_paths

PHRASES = [
    '"prime minister"',
    '"the united states"',
    '"of the"',
    '"said that the"',
    'title:"prime minister"',
    '"police said" government',
    '"prime minister"~2',  # with slop: Whoosh's own matcher
]


@pytest.fixture(scope="module")
def sample_news(tmp_path_factory: pytest.TempPathFactory) -> NewsIndex:
    """400 bundled sample articles in a few segments."""
    news = NewsIndex.create(tmp_path_factory.mktemp("compile") / "index")
    news._index.write(itertools.islice(read_paths(sample_paths()), 400), limitmb=2)
    return news


@pytest.mark.parametrize("query", PHRASES)
def test_phrases_match_as_whooshs_own(sample_news, monkeypatch, query):
    """Exact phrases checked as position sets find the same articles with the same scores."""
    ours = sample_news.search(query, limit=100, snippets=False)
    monkeypatch.setattr(compile_module.PhraseQuery, "matcher", wq.Phrase.matcher)
    whoosh = sample_news.search(query, limit=100, snippets=False)
    assert ours.total == whoosh.total > 0
    assert [(h.id, h.score) for h in ours.hits] == [(h.id, h.score) for h in whoosh.hits]
