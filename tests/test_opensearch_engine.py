"""Tests for the OpenSearch engine: its errors (against fake servers on 127.0.0.1) and its hits,
writes and reads on a real node."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opensearchpy")

from newsindex import NewsIndex
from newsindex.analysis.analyzer import NewsAnalyzer, plain_analyzer, stemming_analyzer
from newsindex.engines.opensearch.client import Connection, redact
from newsindex.engines.opensearch.documents import make_snippet
from newsindex.engines.opensearch.engine import OpenSearchEngine
from newsindex.engines.opensearch.template import TEMPLATE_VERSION, index_body
from newsindex.errors import (
    ArticleNotFoundError,
    EngineAuthError,
    EngineConnectionError,
    EngineTimeoutError,
    EngineVersionError,
    EngineWriteError,
    IndexExistsError,
    IndexNotFoundError,
    IndexVersionError,
    InvalidArgumentError,
)
from newsindex.ingest import read_path
from newsindex.ingest.sample import sample_paths
from newsindex.models import Article
from newsindex.query import parse_query
from newsindex.query.tree import ParsedQuery, Term
from newsindex.render import stats_json

_STEMMED, _PLAIN = stemming_analyzer(), plain_analyzer()


def analyzers(field: str | None) -> NewsAnalyzer:
    """The local engine's analyzers: stemming for title and body, plain for names."""
    return _STEMMED if field in (None, "title", "body") else _PLAIN


# --- errors, against fake servers ---------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def fake_server() -> Iterator[Any]:
    """A server on 127.0.0.1 answering every request with the status and JSON set on it (or
    that a function of the request's body gives), and noting each request."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            sent = self.rfile.read(length).decode()
            path = self.path.split("?")[0]
            with lock:
                requests.append((self.command, path, sent))
                answer = routes.get(path, routes["*"])
                if isinstance(answer, list):
                    answer = answer.pop(0)
            status, body = answer(sent) if callable(answer) else answer
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_any

        def log_message(self, *args: Any) -> None:
            pass

    routes: dict[str, Any] = {"*": (200, {})}  # a list: answers given in turn
    requests: list[tuple[str, str, str]] = []
    lock = threading.Lock()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.routes = routes  # type: ignore[attr-defined]
    server.requests = requests  # type: ignore[attr-defined]
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def info(number: str) -> dict[str, Any]:
    """The root endpoint's answer of an OpenSearch node of this version."""
    return {"version": {"distribution": "opensearch", "number": number}}


def test_redact_removes_the_password():
    """redact keeps user, host and port and drops the password."""
    assert redact("https://admin:s3cret@127.0.0.1:9200/") == "https://admin:***@127.0.0.1:9200"
    assert redact("http://127.0.0.1:9200") == "http://127.0.0.1:9200"


def test_connection_refused_names_the_url_without_password():
    """Nothing listening: a connection error naming the URL, never the password."""
    port = free_port()
    with pytest.raises(EngineConnectionError) as raised:
        OpenSearchEngine.connect([f"http://admin:s3cret@127.0.0.1:{port}"], "news", timeout=2)
    message = str(raised.value)
    assert message == (
        f"Cannot reach OpenSearch at 'http://admin:***@127.0.0.1:{port}' (Connection refused): "
        "check that it is running and that the address and port are right."
    )
    assert "s3cret" not in message + repr(raised.value.__dict__)


def test_timeout_names_the_url():
    """A server that accepts but never answers: a timeout error naming the URL."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with pytest.raises(EngineTimeoutError) as raised:
            OpenSearchEngine.connect([f"http://127.0.0.1:{port}"], "news", timeout=0.5)
    assert str(raised.value) == (
        f"OpenSearch at 'http://127.0.0.1:{port}' did not answer within 0.5s: try again, or "
        "raise the timeout."
    )


@pytest.mark.parametrize(
    ("status", "what"), [(401, "refused the user name or password"), (403, "denied access")]
)
def test_refused_credentials(fake_server, status, what):
    """401 and 403 become an authentication error naming the URL, not the password."""
    fake_server.routes["*"] = (status, {"error": {"reason": "no"}, "status": status})
    url = fake_server.url.replace("http://", "http://reader:s3cret@")
    with pytest.raises(EngineAuthError) as raised:
        OpenSearchEngine.connect([url], "news")
    assert str(raised.value) == (
        f"OpenSearch at '{fake_server.url.replace('http://', 'http://reader:***@')}' {what} "
        f"(HTTP {status}): check the credentials and the user's permissions on the index."
    )


def test_https_to_a_plain_server_says_so(fake_server):
    """https:// to a server without TLS is a connection error saying why, in clean words."""
    url = fake_server.url.replace("http://", "https://")
    with pytest.raises(EngineConnectionError) as raised:
        OpenSearchEngine.connect([url], "news", timeout=5)
    assert str(raised.value) == (
        f"Cannot reach OpenSearch at '{url}' (TLS failed: the server did not answer in TLS, as "
        "at an http:// address): check that it is running and that the address and port are "
        "right."
    )


def test_creating_an_index_that_exists_asks_for_another_name(fake_server):
    """create() of an index the cluster has says to choose another index name."""
    fake_server.routes["/"] = (200, info("3.6.0"))
    with pytest.raises(IndexExistsError) as raised:
        OpenSearchEngine.create([fake_server.url], "news")
    assert str(raised.value) == (
        f"An index already exists at '{fake_server.url}/news': open it instead, or choose "
        "another index name."
    )


def test_old_server_refused(fake_server):
    """A node older than 2.19 is refused, naming its version."""
    fake_server.routes["/"] = (200, info("2.11.1"))
    with pytest.raises(EngineVersionError) as raised:
        OpenSearchEngine.connect([fake_server.url], "news")
    assert str(raised.value) == (
        f"OpenSearch at '{fake_server.url}' is version 2.11.1, newsindex needs 2.19 or later: "
        "upgrade the cluster or use a local index."
    )


def test_missing_index(fake_server):
    """An index that is not there raises IndexNotFoundError naming URL and index."""
    fake_server.routes["/"] = (200, info("3.6.0"))
    missing = {
        "error": {
            "type": "index_not_found_exception",
            "reason": "no such index [news]",
            "root_cause": [{"type": "index_not_found_exception", "reason": "no such index"}],
        },
        "status": 404,
    }
    fake_server.routes["*"] = (404, missing)
    with pytest.raises(IndexNotFoundError) as raised:
        OpenSearchEngine.connect([fake_server.url], "news")
    assert raised.value.path == f"{fake_server.url}/news"


def bulk_answer(*items: tuple[str, int]) -> tuple[int, dict[str, Any]]:
    """A bulk request's answer: each article id with the status of its item."""
    results = []
    for article_id, status in items:
        result: dict[str, Any] = {"_id": article_id, "status": status}
        if status >= 300:
            result["error"] = {"type": "x", "reason": f"refused with {status}"}
        results.append({"index": result})
    return 200, {"errors": any(s >= 300 for _, s in items), "items": results}


def fake_engine(fake_server) -> OpenSearchEngine:
    """An engine on the fake server, which answers as OpenSearch 3.6 with an index."""
    fake_server.routes["/"] = (200, info("3.6.0"))
    meta = {"mappings": {"_meta": {"newsindex_template": TEMPLATE_VERSION}}}
    fake_server.routes["/news/_mapping"] = (200, {"news": meta})
    return OpenSearchEngine.connect([fake_server.url], "news")


def test_busy_items_are_sent_again(fake_server, monkeypatch):
    """Items refused with 429 are sent again, and then stored."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.time.sleep", lambda _s: None)
    engine = fake_engine(fake_server)
    fake_server.routes["/_bulk"] = [
        bulk_answer(("a1", 201), ("a2", 429)),
        bulk_answer(("a2", 201)),
    ]
    articles = [Article(id="a1", title="One"), Article(id="a2", title="Two")]
    assert engine.write(articles) == 2
    assert fake_server.routes["/_bulk"] == []


def test_articles_not_stored_are_named(fake_server, monkeypatch):
    """Articles the cluster will not store raise an error naming exactly them."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.time.sleep", lambda _s: None)
    engine = fake_engine(fake_server)
    fake_server.routes["/_bulk"] = [
        bulk_answer(("a1", 201), ("a2", 400), ("a3", 201)),
    ]
    articles = [Article(id=f"a{i}", title=str(i)) for i in (1, 2, 3)]
    with pytest.raises(EngineWriteError) as raised:
        engine.write(articles)
    assert raised.value.failed == ("a2",)
    assert str(raised.value) == (
        f"OpenSearch at '{fake_server.url}/news' did not store 1 article(s) (a2: refused with "
        "400); the others were stored: fix the cause and add those again."
    )


def test_busy_cluster_is_asked_again(fake_server, monkeypatch):
    """A bulk request refused whole with 429 is sent again, and then stored."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.time.sleep", lambda _s: None)
    engine = fake_engine(fake_server)
    busy = (429, {"error": {"type": "es_rejected_execution_exception", "reason": "busy"}})
    fake_server.routes["/_bulk"] = [busy, busy, bulk_answer(("a1", 201))]
    assert engine.write([Article(id="a1", title="One")]) == 1


def test_cluster_gone_names_every_article_not_stored(fake_server, monkeypatch):
    """When the cluster stops answering, the error names the articles of the failed batch and
    every article after it, and none stored before (one request at a time)."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.BATCH_ARTICLES", 2)
    monkeypatch.setattr("newsindex.engines.opensearch.engine.IN_FLIGHT", 1)
    monkeypatch.setattr("newsindex.engines.opensearch.engine.time.sleep", lambda _s: None)
    engine = fake_engine(fake_server)
    down = (400, {"error": {"type": "x", "reason": "index closed"}, "status": 400})
    fake_server.routes["/_bulk"] = [bulk_answer(("a1", 201), ("a2", 201)), down]
    articles = [Article(id=f"a{i}", title=str(i)) for i in range(1, 6)]
    with pytest.raises(EngineWriteError) as raised:
        engine.write(articles)
    assert raised.value.failed == ("a3", "a4", "a5")


def _bulk_ids(body: str) -> list[str]:
    """The article ids of a bulk request's body."""
    lines = [json.loads(line) for line in body.splitlines() if line]
    return [line["index"]["_id"] for line in lines if "index" in line]


def test_requests_in_flight_name_exactly_what_did_not_land(fake_server, monkeypatch):
    """With two bulk requests on their way, a batch the cluster refuses whole is named with
    every batch not sent after it, and exactly the articles that reached the index are not."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.BATCH_ARTICLES", 2)
    monkeypatch.setattr("newsindex.engines.opensearch.engine.time.sleep", lambda _s: None)
    engine = fake_engine(fake_server)
    stored: list[str] = []

    def bulk(body: str) -> tuple[int, dict[str, Any]]:
        found = _bulk_ids(body)
        if "a3" in found:
            return 400, {"error": {"type": "x", "reason": "index closed"}, "status": 400}
        stored.extend(found)
        return bulk_answer(*((article_id, 201) for article_id in found))

    fake_server.routes["/_bulk"] = bulk
    articles = [Article(id=f"a{i}", title=str(i)) for i in range(1, 10)]
    with pytest.raises(EngineWriteError) as raised:
        engine.write(articles)
    assert {"a1", "a2"} <= set(stored)
    assert sorted(raised.value.failed) == sorted({a.id for a in articles} - set(stored))
    assert {"a3", "a4", "a9"} <= set(raised.value.failed)


def test_a_later_version_waits_for_the_batch_on_its_way(fake_server, monkeypatch):
    """An article sent again in the next batch is sent only once the batch holding its earlier
    version has been answered, so the last version lands last."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.BATCH_ARTICLES", 2)
    engine = fake_engine(fake_server)
    answered: list[list[str]] = []
    order: list[tuple[str, list[str]]] = []
    lock = threading.Lock()

    def bulk(body: str) -> tuple[int, dict[str, Any]]:
        found = _bulk_ids(body)
        with lock:
            order.append(("sent", found))
        if found == ["a1", "a2"]:
            threading.Event().wait(0.3)  # slow: the next batch must not overtake it
        with lock:
            answered.append(found)
            order.append(("answered", found))
        return bulk_answer(*((article_id, 201) for article_id in found))

    fake_server.routes["/_bulk"] = bulk
    first = Article(id="a1", title="first")
    articles = [first, Article(id="a2", title="2"), Article(id="a1", title="last")]
    assert engine.write(articles) == 3
    assert order.index(("answered", ["a1", "a2"])) < order.index(("sent", ["a1"]))


def test_an_import_of_many_requests_pauses_refresh(fake_server, monkeypatch):
    """An import of more than one bulk request turns the index's refresh off before its
    second request, gives back the interval it found afterwards, and refreshes once."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.BATCH_ARTICLES", 2)
    engine = fake_engine(fake_server)
    fake_server.routes["/news/_settings/index.refresh_interval"] = (
        200,
        {"news": {"settings": {"index.refresh_interval": "30s"}}},
    )
    fake_server.routes["/_bulk"] = lambda body: bulk_answer(
        *((article_id, 201) for article_id in _bulk_ids(body))
    )
    fake_server.requests.clear()
    assert engine.write([Article(id=f"a{i}", title=str(i)) for i in range(1, 6)]) == 5
    seen = [
        (method, path, json.loads(body) if body and path != "/_bulk" else None)
        for method, path, body in fake_server.requests
    ]
    off = ("PUT", "/news/_settings", {"index": {"refresh_interval": "-1"}})
    back = ("PUT", "/news/_settings", {"index": {"refresh_interval": "30s"}})
    bulks = [n for n, entry in enumerate(seen) if entry[1] == "/_bulk"]
    assert len(bulks) == 3
    assert seen.index(off) < bulks[1]
    assert seen.count(off) == 1
    assert seen[-2:] == [back, ("POST", "/news/_refresh", None)]


def test_a_small_import_leaves_refresh_alone(fake_server):
    """An import of one bulk request does not touch the index's settings."""
    engine = fake_engine(fake_server)
    fake_server.routes["/_bulk"] = bulk_answer(("a1", 201))
    fake_server.requests.clear()
    assert engine.write([Article(id="a1", title="One")]) == 1
    assert [(m, p) for m, p, _ in fake_server.requests] == [
        ("POST", "/_bulk"),
        ("POST", "/news/_refresh"),
    ]


def test_snippet_from_the_marked_body():
    """A short marked body becomes the local engine's snippet form: whole, whitespace
    collapsed, the marked words spanned."""
    body = "First line.\n\nThe  peace talks resumed today.   More text follows."
    marked = body.replace("peace", "\ue000peace\ue001").replace("talks", "\ue000talks\ue001")
    snippet, spans = make_snippet(body, marked)
    assert snippet == "First line. The peace talks resumed today. More text follows."
    assert [snippet[a:b] for a, b in spans] == ["peace", "talks"]


def test_snippet_cut_around_the_marks_as_locally():
    """From a long marked body, the snippet is the local engine's window: about 220
    characters from a fifth of that before the best marks, cut at words, ``…`` at both ends."""
    words = [f"w{n:03}" for n in range(200)]
    body = " ".join(words)
    marked = body.replace("w120", "\ue000w120\ue001")
    snippet, spans = make_snippet(body, marked)
    assert snippet == "… " + " ".join(words[111:156]) + " …"
    assert [snippet[a:b] for a, b in spans] == ["w120"]
    assert make_snippet(body, None)[0] == " ".join(words[:45]) + " …"


# --- a real node ----------------------------------------------------------------------------------

HAND = (
    Article(
        id="os-hand-1",
        title="Peace talks resume in Geneva",
        body="Delegates said the peace talks would resume on Monday. The U.K.-led mission "
        "welcomed the news.",
        published="2030-01-02T00:00:00Z",
        source="Test Wire",
        authors=("Ada Lovelace",),
        tags=("Diplomacy",),
        url="https://example.org/geneva",
    ),
    Article(
        id="os-hand-2",
        title="Harvest report",
        body="Farmers of Oxbowville reported that the talks about peace were not on their minds; "
        "the harvest was.",
        published="2029-06-01T00:00:00Z",
        source="Farm Daily",
    ),
    Article(id="os-hand-3", title="Undated note", body="A note about zanzibarian weaving."),
    Article(
        id="os-hand-4",
        title="Depot report",
        body="Crews put out a fire near the grain silo depot.",
        published="2029-01-01",
    ),
    Article(
        id="os-hand-5",
        title="Depot report",
        body="Crews put out a silo fire near the grain depot.",
        published="2029-01-01",
    ),
    Article(
        id="os-hand-6", title="Survey", body="Botanists surveyed quillwort.", published="2010-01-01"
    ),
    Article(
        id="os-hand-7", title="Survey", body="Botanists surveyed quillwort.", published="2028-01-01"
    ),
    Article(id="os-hand-8", title="Lanterns", body="Lanterns glimmered softly."),
    Article(id="os-hand-9", title="Lanterns", body="Lanterns glimmering softly."),
    Article(id="os-hand-10", title="Weather", body="A pelorus fog over the strait."),
    Article(id="os-hand-11", title="Pelorus fog", body="A weather note over the strait."),
)


@pytest.fixture(scope="session")
def engine(opensearch_url: str) -> Iterator[OpenSearchEngine]:
    """An index of the bundled sample (1,500 Wikinews articles) and the hand-made articles,
    loaded once."""
    index = f"newsindex-test-{uuid.uuid4().hex[:8]}"
    engine = OpenSearchEngine.create([opensearch_url], index, timeout=60)
    articles = list(read_path(sample_paths()[1]))
    engine.write([*articles, *HAND])
    yield engine
    engine.connection.client.indices.delete(index=index)
    engine.close()


def search(engine: OpenSearchEngine, text: str, **options: Any):
    """The results of ``text`` typed by a user."""
    return engine.search(engine.parse(text), **options)


def ids(results) -> list[str]:
    """The ids of a page of hits."""
    return [hit.id for hit in results.hits]


@pytest.mark.opensearch
def test_missing_index_on_a_node(opensearch_url):
    """Opening an index the node does not have raises IndexNotFoundError naming it."""
    with pytest.raises(IndexNotFoundError) as raised:
        OpenSearchEngine.connect([opensearch_url], "no-such-index")
    assert raised.value.path == f"{opensearch_url}/no-such-index"


@pytest.mark.opensearch
def test_count_and_stats(engine):
    """Every article landed, and stats describe the index without a password."""
    stats = engine.stats()
    assert stats.articles == 1500 + len(HAND)
    assert stats.first_published == dt.datetime(2004, 11, 13, tzinfo=dt.timezone.utc)
    assert stats.last_published == dt.datetime(2030, 1, 2, tzinfo=dt.timezone.utc)
    assert stats.path == engine.location
    assert stats.size_bytes > 0


@pytest.mark.opensearch
def test_get_round_trips(engine):
    """get returns the article as written."""
    assert engine.article("os-hand-1") == HAND[0]
    assert engine.article("no-such-id") is None


@pytest.mark.opensearch
def test_word_and_total_exact(engine):
    """A rare word finds its one article, with an exact total."""
    results = search(engine, "zanzibarian")
    assert (ids(results), results.total) == (["os-hand-3"], 1)


@pytest.mark.opensearch
def test_stems_match(engine):
    """A word matches other forms of it, through the mirrored analysis."""
    assert ids(search(engine, "weave zanzibarian")) == ["os-hand-3"]


@pytest.mark.opensearch
def test_phrase_with_stop_words(engine):
    """A phrase with stop words matches only where the words stand in order."""
    results = search(engine, '"the peace talks would"')
    assert ids(results) == ["os-hand-1"]


@pytest.mark.opensearch
def test_phrase_slop(engine):
    """A phrase with slop finds the words a little apart."""
    assert ids(search(engine, '"talks peace"~2 harvest')) == ["os-hand-2"]
    assert ids(search(engine, '"talks peace" harvest')) == []


@pytest.mark.opensearch
def test_acronym_and_hyphen(engine):
    """A dotted acronym and a hyphenated word match as written in the article."""
    assert ids(search(engine, "U.K.-led Geneva")) == ["os-hand-1"]


@pytest.mark.opensearch
def test_fields(engine):
    """Name fields match whole names, unstemmed."""
    assert ids(search(engine, 'source:"farm daily"')) == ["os-hand-2"]
    assert ids(search(engine, "author:lovelace")) == ["os-hand-1"]
    assert ids(search(engine, "tag:diplomacy")) == ["os-hand-1"]
    assert ids(search(engine, "title:harvest")) == ["os-hand-2"]


@pytest.mark.opensearch
def test_dates_and_ranges(engine):
    """date: and since/until keep the articles of the period."""
    assert ids(search(engine, "peace date:2030")) == ["os-hand-1"]
    results = search(engine, "peace", since=dt.datetime(2029, 1, 1), until=dt.datetime(2030, 1, 1))
    assert ids(results) == ["os-hand-2"]


@pytest.mark.opensearch
def test_or_not_prefix(engine):
    """OR, NOT and prefixes select the expected articles."""
    assert sorted(ids(search(engine, "zanzibarian OR oxbowville"))) == ["os-hand-2", "os-hand-3"]
    assert ids(search(engine, "oxbowville -farmers")) == []
    assert ids(search(engine, "zanzib*")) == ["os-hand-3"]


@pytest.mark.opensearch
def test_boost(engine):
    """A boosted word's article comes first."""
    assert ids(search(engine, "oxbowville OR zanzibarian^5")) == ["os-hand-3", "os-hand-2"]
    assert ids(search(engine, "oxbowville^5 OR zanzibarian")) == ["os-hand-2", "os-hand-3"]


@pytest.mark.opensearch
def test_title_match_ranks_first(engine):
    """Of two articles with the same words, the one with them in its title ranks first."""
    assert ids(search(engine, "pelorus")) == ["os-hand-11", "os-hand-10"]


@pytest.mark.opensearch
def test_exact_form_ranks_first(engine):
    """A word typed in another form than its stem ranks the article with that form first."""

    parsed = ParsedQuery("glimmering", Term(None, "glimmer", form="glimmering"), plain=True)
    assert ids(engine.search(parsed)) == ["os-hand-9", "os-hand-8"]
    assert ids(search(engine, "glimmering")) == ["os-hand-9", "os-hand-8"]
    assert ids(search(engine, "glimmered")) == ["os-hand-8", "os-hand-9"]


@pytest.mark.opensearch
def test_date_range_syntax(engine):
    """date:[a TO b] keeps the articles published in the range, both ends included."""
    found = ids(search(engine, "date:[2029-01-01 TO 2029-06-01] (silo OR peace)", sort="oldest"))
    assert found == ["os-hand-4", "os-hand-5", "os-hand-2"]


@pytest.mark.opensearch
def test_proximity_ranks_adjacent_words_first(engine):
    """Of two articles with the same words, the one with them side by side ranks first."""
    assert ids(search(engine, "silo fire")) == ["os-hand-5", "os-hand-4"]


@pytest.mark.opensearch
def test_recency_prior_ranks_newer_first(engine):
    """Of two articles alike but for their date, the newer ranks first."""
    results = search(engine, "quillwort")
    assert ids(results) == ["os-hand-7", "os-hand-6"]
    older, newer = results.hits[1].score, results.hits[0].score

    # 2028 is two years before the newest article (2030-01-02): the prior's factor there is
    # 1 + 0.5 * 0.5 ** (age / 730 days), against 1 + 0.5 * 0.5 ** (20 years / 730 days).
    def factor(published: dt.datetime) -> float:
        age = (dt.datetime(2030, 1, 2) - published).days
        return 1 + 0.5 * 0.5 ** (age / 730)

    expected = factor(dt.datetime(2028, 1, 1)) / factor(dt.datetime(2010, 1, 1))
    assert newer / older == pytest.approx(expected, rel=1e-4)


@pytest.mark.opensearch
def test_total_is_exact(engine):
    """The total counts every match, not an estimate."""
    results = search(engine, "the", limit=1)
    counted = engine.connection.client.count(
        index=engine.index,
        body={"query": {"multi_match": {"query": "the", "fields": ["title", "body"]}}},
    )["count"]
    assert results.total == counted
    assert results.total > 1000


@pytest.mark.opensearch
def test_long_prose_is_never_an_error(engine):
    """Pasting 1,500 distinct words ranks by the rarest, and the source article comes first."""
    body = HAND[0].body + " " + " ".join(f"filler{i}x" for i in range(1500))
    results = engine.search(parse_query(body, analyzers, syntax=False))
    assert results.hits[0].id == "os-hand-1"


@pytest.mark.opensearch
def test_snippet_marks_like_local(engine):
    """The snippet marks the matched words of the original text."""
    hit = search(engine, "resume delegates").hits[0]
    assert hit.snippet.startswith("Delegates said the peace talks would resume on Monday.")
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Delegates", "resume"]


@pytest.mark.opensearch
def test_snippet_as_long_as_locally_where_sentences_are_short(engine, tmp_path):
    """Where the body's sentence around the matches is short, the snippet is still the
    local engine's passage of about 220 characters, with the same words marked."""
    hit = search(engine, "police playground").hits[0]
    assert hit.id == "wnv2020-076"
    assert hit.snippet == (
        "… dangerous opioid drug, according to Kamloops Police, at the McDonald Park "
        "playground. She managed to get a hold of the small bag and kept her child safe. In a "
        "statement issued on Monday, the Royal Canadian Mounted Police …"
    )
    assert len(hit.snippet) == 224
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Police", "playground", "Police"]
    local = NewsIndex.create(tmp_path / "local")
    with local:
        local.add([engine.article(hit.id)])
        here = local.search("police playground").hits[0]
    assert (here.snippet, here.highlights) == (hit.snippet, hit.highlights)


@pytest.mark.opensearch
def test_snippet_marks_an_exact_phrase(engine):
    """An exact phrase's words are marked where they stand together."""
    hit = search(engine, '"peace talks" geneva').hits[0]
    assert hit.id == "os-hand-1"
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["peace", "talks"]


@pytest.mark.opensearch
def test_newest_sort(engine):
    """sort=newest puts the newest first and undated last."""
    results = search(engine, "peace OR zanzibarian", sort="newest", limit=2)
    assert ids(results) == ["os-hand-1", "os-hand-2"]
    oldest = search(engine, "zanzibarian OR oxbowville", sort="oldest")
    assert ids(oldest) == ["os-hand-2", "os-hand-3"]


@pytest.mark.opensearch
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_pages_past_the_window_served_with_search_after(engine, monkeypatch, sort):
    """Pages deeper than the result window hold the hits from-paging gives there."""
    expected = [ids(search(engine, "the", page=page, limit=30, sort=sort)) for page in (4, 5)]
    total = search(engine, "the", limit=1).total
    monkeypatch.setattr(engine, "result_window", 100)
    deep = [search(engine, "the", page=page, limit=30, sort=sort) for page in (4, 5)]
    assert [ids(results) for results in deep] == expected
    assert [results.hits[0].rank for results in deep] == [91, 121]
    assert {results.total for results in deep} == {total}
    past_the_end = search(engine, "the", page=total // 30 + 2, limit=30, sort=sort)
    assert (ids(past_the_end), past_the_end.total) == ([], total)


@pytest.mark.opensearch
def test_page_longer_than_the_window_refused(engine, monkeypatch):
    """A page of more hits than OpenSearch returns at once is refused with a clear error."""
    monkeypatch.setattr(engine, "result_window", 100)
    with pytest.raises(InvalidArgumentError) as raised:
        search(engine, "the", limit=101)
    assert str(raised.value) == (
        "A page of 101 hits is longer than the 100 OpenSearch returns at once: ask for fewer "
        "hits per page."
    )


@pytest.mark.opensearch
def test_password_in_no_message_log_or_stats(engine, caplog):
    """A password in the URL appears in no log line, location, stats or stats JSON."""
    node = engine.connection.url
    url = node.replace("http://", "http://reader:s3cret-pw@")
    with caplog.at_level(logging.DEBUG):
        other = OpenSearchEngine.connect([url], engine.index)
        try:
            search(other, "quillwort")
            stats = other.stats()
        finally:
            other.close()
    assert caplog.records
    assert "s3cret-pw" not in caplog.text
    assert stats.path == node.replace("http://", "http://reader:***@") + "/" + engine.index
    assert "s3cret-pw" not in stats_json(stats)


@pytest.mark.opensearch
def test_searches_from_many_threads(engine):
    """Threads sharing one engine get the same results as one thread."""
    queries = ["peace talks", "silo fire", "quillwort", "oil price", '"the talks"~3']
    expected = {q: ids(search(engine, q)) for q in queries}
    found: list[tuple[str, list[str]]] = []

    def run() -> None:
        for q in queries * 4:
            found.append((q, ids(search(engine, q))))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 6 * 4 * len(queries)
    assert all(result == expected[q] for q, result in found)


@pytest.mark.opensearch
def test_add_search_delete(engine):
    """An added article is found at once; deleted, it is gone; an unknown id deletes nothing."""
    article = Article(title="Quokka census", body="Rangers counted quokkas on the island.")
    assert engine.write([article]) == 1
    assert ids(search(engine, "quokka")) == [article.id]
    with pytest.raises(ArticleNotFoundError):
        engine.delete([article.id, "no-such-id"])
    assert engine.delete([article.id]) == 1
    assert ids(search(engine, "quokka")) == []


@pytest.mark.opensearch
def test_secured_node_with_password_and_ca(opensearch_secure):
    """OpenSearch 2.19 over HTTPS with a password: written and searched (words on the copied
    text field, as 2.x has no combined_fields)."""
    node = opensearch_secure
    index = f"newsindex-test-{uuid.uuid4().hex[:8]}"
    auth = (node.user, node.password)
    engine = OpenSearchEngine.create([node.url], index, auth=auth, ca_certs=str(node.ca_file))
    try:
        assert not engine.connection.has_combined_fields
        assert engine.write(HAND) == len(HAND)
        assert ids(search(engine, "silo fire")) == ["os-hand-5", "os-hand-4"]
        assert ids(search(engine, '"the peace talks would"')) == ["os-hand-1"]
        assert ids(search(engine, "quillwort")) == ["os-hand-7", "os-hand-6"]
        assert node.password not in engine.location + stats_json(engine.stats())
    finally:
        engine.connection.client.indices.delete(index=index)
        engine.close()


@pytest.mark.opensearch
def test_secured_node_wrong_password(opensearch_secure):
    """A wrong password is a 401 naming the URL, not the password."""
    node = opensearch_secure
    with pytest.raises(EngineAuthError) as raised:
        OpenSearchEngine.connect(
            [node.url], "news", auth=(node.user, "not-the-Password-9"), ca_certs=str(node.ca_file)
        )
    assert str(raised.value) == (
        f"OpenSearch at '{node.url}' refused the user name or password (HTTP 401): check the "
        "credentials and the user's permissions on the index."
    )


@pytest.mark.opensearch
def test_secured_node_without_its_ca(opensearch_secure):
    """A certificate the client cannot verify is a connection error naming the URL."""
    node = opensearch_secure
    with pytest.raises(EngineConnectionError) as raised:
        OpenSearchEngine.connect([node.url], "news", auth=(node.user, node.password), timeout=5)
    assert str(raised.value).startswith(f"Cannot reach OpenSearch at '{node.url}' (")
    assert node.password not in str(raised.value)


@pytest.fixture
def fresh_index(opensearch_url: str) -> Iterator[str]:
    """The name of an index that is deleted after the test."""
    index = f"newsindex-test-{uuid.uuid4().hex[:8]}"
    yield index
    cleaner = OpenSearchEngine(Connection([opensearch_url]), index)
    cleaner.connection.client.indices.delete(index=index, ignore_unavailable=True)
    cleaner.close()


@pytest.mark.opensearch
def test_newest_date_read_again_after_a_while(opensearch_url, fresh_index):
    """Another writer's newer article moves the recency origin once the cached date expires."""
    now = [0.0]
    engine = OpenSearchEngine.create([opensearch_url], fresh_index)
    engine.clock = lambda: now[0]
    other = OpenSearchEngine.connect([opensearch_url], fresh_index)
    try:
        engine.write([Article(id="n1", title="Old", published="2020-01-01")])
        assert engine.newest() == dt.datetime(2020, 1, 1)
        other.write([Article(id="n2", title="New", published="2025-01-01")])
        assert engine.newest() == dt.datetime(2020, 1, 1)
        now[0] += 61
        assert engine.newest() == dt.datetime(2025, 1, 1)
    finally:
        other.close()
        engine.close()


@pytest.mark.opensearch
def test_created_index_has_room_for_saved_searches(opensearch_url, fresh_index):
    """On a node with the percolator module, the index has a percolator field."""
    engine = OpenSearchEngine.create([opensearch_url], fresh_index)
    try:
        mapping = engine.connection.client.indices.get_mapping(index=fresh_index)
        properties = mapping[fresh_index]["mappings"]["properties"]
        assert properties["saved_query"] == {"type": "percolator"}
        assert properties["source"]["fields"]["raw"]["type"] == "keyword"
    finally:
        engine.close()


@pytest.mark.opensearch
def test_index_of_another_layout_refused(opensearch_url, fresh_index):
    """An index made by something else is refused rather than searched wrongly."""
    connection = Connection([opensearch_url])
    connection.client.indices.create(index=fresh_index)
    connection.close()
    with pytest.raises(IndexVersionError) as raised:
        OpenSearchEngine.connect([opensearch_url], fresh_index)
    assert raised.value.path == f"{opensearch_url}/{fresh_index}"
    assert (raised.value.found, raised.value.expected) == (None, 2)


@pytest.mark.opensearch
def test_index_of_the_previous_layout_refused(opensearch_url, fresh_index):
    """An index made with the layout before the pairs sub-fields is refused, with the way out."""
    body = index_body()
    body["mappings"]["_meta"] = {"newsindex_template": 1}
    connection = Connection([opensearch_url])
    connection.client.indices.create(index=fresh_index, body=body)
    connection.close()
    with pytest.raises(IndexVersionError) as raised:
        OpenSearchEngine.connect([opensearch_url], fresh_index)
    location = f"{opensearch_url}/{fresh_index}"
    assert str(raised.value) == (
        f"The index at '{location}' has schema version 1, this newsindex needs 2: import the "
        "articles again into an index of another name, or copy them there from a folder with "
        f"'newsindex copy --index FOLDER --to {opensearch_url}/NEW_NAME'."
    )


@pytest.mark.opensearch
def test_connect_creates_when_asked(opensearch_url, fresh_index):
    """connect(create=True) makes a missing index, and opens it the second time."""
    for _ in range(2):
        engine = OpenSearchEngine.connect([opensearch_url], fresh_index, create=True)
        assert engine.count() == 0
        engine.close()


@pytest.mark.opensearch
def test_a_large_import_is_searchable_at_once_and_refresh_comes_back(
    opensearch_url, fresh_index, monkeypatch
):
    """An import of many bulk requests is found by a search right after it, and leaves the
    index's refresh as it found it; an interval of -1 a stopped import left is given back as
    the default."""
    monkeypatch.setattr("newsindex.engines.opensearch.engine.BATCH_ARTICLES", 7)
    engine = OpenSearchEngine.create([opensearch_url], fresh_index)
    client = engine.connection.client

    def interval() -> str | None:
        found = client.indices.get_settings(index=fresh_index, flat_settings=True)
        return found[fresh_index]["settings"].get("index.refresh_interval")

    try:
        articles = [Article(id=f"w{i}", title=f"Wombat {i}", body="A wombat.") for i in range(50)]
        client.indices.put_settings(index=fresh_index, body={"index": {"refresh_interval": "30s"}})
        assert engine.write(articles[:25]) == 25
        assert search(engine, "wombat").total == 25
        assert interval() == "30s"
        client.indices.put_settings(index=fresh_index, body={"index": {"refresh_interval": "-1"}})
        assert engine.write(articles[25:]) == 25
        assert search(engine, "wombat").total == 50
        assert interval() is None
    finally:
        engine.close()
