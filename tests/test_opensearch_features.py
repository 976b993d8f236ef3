"""The index template leaves room for the news features: each OpenSearch tool they will use
works on an index newsindex made (facets, timelines, freshness, paging, related stories,
did-you-mean, wire-copy collapse and saved searches)."""

from __future__ import annotations

import collections
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opensearchpy")

from newsindex.engines.opensearch.client import connect
from newsindex.engines.opensearch.engine import OpenSearchEngine
from newsindex.engines.opensearch.template import index_body
from newsindex.ingest import read_paths
from newsindex.ingest.sample import sample_paths
from newsindex.models import Article

pytestmark = pytest.mark.opensearch

ARTICLES = 300


@pytest.fixture(scope="module")
def sample() -> list[Article]:
    """300 of the bundled sample's articles."""
    return list({a.id: a for a in read_paths(sample_paths())}.values())[:ARTICLES]


@pytest.fixture(scope="module")
def news(opensearch_url: str, sample: list[Article]) -> Iterator[OpenSearchEngine]:
    """An index newsindex made, holding the sample's articles."""
    engine = OpenSearchEngine.create([opensearch_url], f"features-{uuid.uuid4().hex[:8]}")
    engine.write(sample, progress=None, procs=1, limitmb=64)
    yield engine
    engine.connection.client.indices.delete(index=engine.index)
    engine.close()


def _search(news: OpenSearchEngine, body: dict[str, Any]) -> dict[str, Any]:
    return news.connection.client.search(index=news.index, body=body)


def test_facets_count_sources_and_tags(news, sample):
    """A terms aggregation on the kept whole values counts articles per source and per tag."""
    answer = _search(
        news,
        {
            "size": 0,
            "aggs": {
                "sources": {"terms": {"field": "source.raw"}},
                "tags": {"terms": {"field": "tag.raw", "size": 3}},
            },
        },
    )
    sources = {b["key"]: b["doc_count"] for b in answer["aggregations"]["sources"]["buckets"]}
    assert sources == dict(collections.Counter(a.source for a in sample))
    tags = collections.Counter(t for a in sample for t in a.tags)
    top = [(b["key"], b["doc_count"]) for b in answer["aggregations"]["tags"]["buckets"]]
    assert top == tags.most_common(3)


def test_timeline_counts_articles_per_month(news, sample):
    """A date_histogram on the publication date counts the articles of each month."""
    answer = _search(
        news,
        {
            "size": 0,
            "aggs": {
                "months": {
                    "date_histogram": {
                        "field": "published",
                        "calendar_interval": "month",
                        "format": "yyyy-MM",
                    }
                }
            },
        },
    )
    months = {
        b["key_as_string"]: b["doc_count"]
        for b in answer["aggregations"]["months"]["buckets"]
        if b["doc_count"]
    }
    expected = collections.Counter(a.published.strftime("%Y-%m") for a in sample if a.published)
    assert months == dict(expected)


@pytest.mark.parametrize("decay", ["exp", "gauss"])
def test_freshness_decay_ranks_the_newest_first(news, sample, decay):
    """An exp or gauss decay on the publication date puts the newest article first."""
    newest = max((a for a in sample if a.published), key=lambda a: a.published)
    answer = _search(
        news,
        {
            "size": 1,
            "query": {
                "function_score": {
                    "query": {"match_all": {}},
                    "functions": [
                        {
                            decay: {
                                "published": {
                                    "origin": newest.published.isoformat(),
                                    "scale": "30d",
                                    "decay": 0.5,
                                }
                            }
                        }
                    ],
                    "boost_mode": "replace",
                }
            },
        },
    )
    assert answer["hits"]["hits"][0]["_id"] == newest.id


def test_search_after_pages_through_every_article_once(news, sample):
    """search_after on (date, id) walks every article exactly once, past any window."""
    seen: list[str] = []
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": 70,
            "sort": [{"published": "desc"}, {"id": "asc"}],
            "_source": False,
        }
        if after is not None:
            body["search_after"] = after
        hits = _search(news, body)["hits"]["hits"]
        if not hits:
            break
        seen.extend(h["_id"] for h in hits)
        after = hits[-1]["sort"]
    assert sorted(seen) == sorted(a.id for a in sample)


def test_related_stories_come_from_more_like_this(news, sample):
    """more_like_this on one article's title and body finds others, not the article itself."""
    article = sample[0]
    answer = _search(
        news,
        {
            "size": 5,
            "query": {
                "more_like_this": {
                    "fields": ["title", "body"],
                    "like": [{"_index": news.index, "_id": article.id}],
                    "min_term_freq": 1,
                    "min_doc_freq": 1,
                }
            },
        },
    )
    ids = [h["_id"] for h in answer["hits"]["hits"]]
    assert ids and article.id not in ids


def test_did_you_mean_comes_from_the_term_suggester(news):
    """The term suggester on the unstemmed forms corrects a misspelt word."""
    answer = _search(
        news,
        {
            "size": 0,
            "suggest": {
                "fix": {"text": "peacekepers", "term": {"field": "body.exact"}},
            },
        },
    )
    options = answer["suggest"]["fix"][0]["options"]
    assert options[0]["text"] == "peacekeepers"


def test_wire_copies_collapse_on_the_source(news, sample):
    """collapse on a kept whole value gives one hit per source."""
    answer = _search(
        news,
        {"size": 10, "query": {"match_all": {}}, "collapse": {"field": "source.raw"}},
    )
    sources = [h["fields"]["source.raw"][0] for h in answer["hits"]["hits"]]
    assert sorted(sources) == sorted({a.source for a in sample if a.source})


def test_saved_searches_match_new_articles_through_the_percolator(opensearch_url):
    """A query saved in an index of newsindex's layout with the percolator field matches an
    article sent to it, and not an article it does not describe."""
    connection = connect([opensearch_url])
    client = connection.client
    name = f"saved-{uuid.uuid4().hex[:8]}"
    client.indices.create(index=name, body=index_body(percolator=True))
    try:
        client.index(
            index=name,
            id="peace",
            body={"saved_query": {"match": {"body": "peacekeep"}}},
            refresh=True,
        )

        def matches(body: str) -> list[str]:
            query = {"percolate": {"field": "saved_query", "document": {"body": body}}}
            return [
                h["_id"] for h in client.search(index=name, body={"query": query})["hits"]["hits"]
            ]

        assert matches("Italy will not send peacekeepers to Ukraine.") == ["peace"]
        assert matches("Markets fell on Monday.") == []
    finally:
        client.indices.delete(index=name)
        connection.close()
