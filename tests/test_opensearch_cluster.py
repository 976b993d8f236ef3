"""Real OpenSearch nodes: one 3.6 node, a secured 2.19 node, and a three-node 3.6 cluster that
keeps answering every document when its elected cluster manager is killed with kill -9.

The nodes come from ``tests/_opensearch.py``; ``eval "$(bash .ci/opensearch-dist)"`` prepares
them (CI does), otherwise these tests skip.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from _opensearch import Cluster, SecureNode
from opensearchpy import OpenSearch
from opensearchpy.exceptions import AuthenticationException, SSLError
from opensearchpy.exceptions import ConnectionError as ClientConnectionError

from newsindex import Article, NewsIndex
from newsindex.engines.opensearch.engine import BATCH_ARTICLES, OpenSearchEngine
from newsindex.errors import (
    EngineAuthError,
    EngineConnectionError,
    EngineWriteError,
    NewsIndexError,
)

pytestmark = pytest.mark.opensearch

SEARCHED = 300
"""Articles in the index searched in a loop during the kill."""
IMPORTED = 4 * BATCH_ARTICLES
"""Articles in the interrupted import: four bulk requests, the node killed during the second."""
RECOVERY_SECONDS = 60.0
"""How long searches may take to answer every article again after the kill: a bound, not a
timing (measured: about a second)."""


def client(url: str, **options: object) -> OpenSearch:
    """A client of the node at ``url`` alone, which reports an error at once instead of retrying."""
    return OpenSearch(hosts=[url], timeout=10, max_retries=0, **options)


# --- one node ---------------------------------------------------------------------------------


def test_node_answers_with_its_version(opensearch_url: str):
    """The single node answers on 127.0.0.1 as OpenSearch 3.6.0."""
    info = client(opensearch_url).info()
    assert opensearch_url.startswith("http://127.0.0.1:")
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"] == "3.6.0"


def test_node_has_the_common_analyzers(opensearch_url: str):
    """The single node has the analysis-common module (the stemmer filter, for one)."""
    tokens = client(opensearch_url).indices.analyze(
        body={"tokenizer": "standard", "filter": ["lowercase", "porter_stem"], "text": "Running"}
    )
    assert [token["token"] for token in tokens["tokens"]] == ["run"]


# --- the secured node -------------------------------------------------------------------------


def secure_client(node: SecureNode, **options: object) -> OpenSearch:
    """A client that verifies the node's certificate against the demo CA."""
    return client(node.url, use_ssl=True, verify_certs=True, ca_certs=str(node.ca_file), **options)


def test_secure_node_answers_the_admin_over_verified_tls(opensearch_secure: SecureNode):
    """With the CA and the admin password, the secured node answers as OpenSearch 2.19.4."""
    info = secure_client(
        opensearch_secure, http_auth=(opensearch_secure.user, opensearch_secure.password)
    ).info()
    assert opensearch_secure.url.startswith("https://127.0.0.1:")
    assert info["version"]["number"] == "2.19.4"


def test_secure_node_has_the_common_analyzers(opensearch_secure: SecureNode):
    """analysis-common, added to 2.19 as a module, gives the stemmer filter."""
    tokens = secure_client(
        opensearch_secure, http_auth=(opensearch_secure.user, opensearch_secure.password)
    ).indices.analyze(
        body={"tokenizer": "standard", "filter": ["lowercase", "porter_stem"], "text": "Running"}
    )
    assert [token["token"] for token in tokens["tokens"]] == ["run"]


@pytest.mark.parametrize("auth", [None, ("admin", "not-the-password")], ids=["none", "wrong"])
def test_secure_node_refuses_without_the_password(
    opensearch_secure: SecureNode, auth: tuple[str, str] | None
):
    """No password or a wrong one gets 401 from the secured node."""
    options = {} if auth is None else {"http_auth": auth}
    with pytest.raises(AuthenticationException) as raised:
        secure_client(opensearch_secure, **options).info()
    assert raised.value.status_code == 401


def test_secure_node_certificate_is_checked(opensearch_secure: SecureNode):
    """Without the demo CA the certificate does not verify: the client refuses the node."""
    plain_trust = client(
        opensearch_secure.url,
        use_ssl=True,
        verify_certs=True,
        http_auth=(opensearch_secure.user, opensearch_secure.password),
    )
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        plain_trust.info()


def test_secure_node_does_not_answer_plain_http(opensearch_secure: SecureNode):
    """Plain http:// to the secured node is a connection error, not an answer."""
    plain = client(
        opensearch_secure.plain_url,
        http_auth=(opensearch_secure.user, opensearch_secure.password),
    )
    with pytest.raises(ClientConnectionError):
        plain.info()


# --- the secured node through NewsIndex.connect -----------------------------------------------


def connect_error(url: str, **options: object) -> NewsIndexError:
    """The error ``NewsIndex.connect`` raises for ``url`` with ``options``."""
    with pytest.raises(NewsIndexError) as raised:
        NewsIndex.connect(url, index="news", **options).close()
    return raised.value


def test_connect_without_a_password_is_the_auth_error(opensearch_secure: SecureNode):
    """connect with the CA but no password: the auth error, naming the URL (HTTP 401)."""
    error = connect_error(opensearch_secure.url, ca_certs=opensearch_secure.ca_file)
    assert isinstance(error, EngineAuthError)
    assert error.status == 401
    assert str(error) == (
        f"OpenSearch at '{opensearch_secure.url}' refused the user name or password (HTTP 401): "
        "check the credentials and the user's permissions on the index."
    )


def test_connect_with_a_wrong_password_never_shows_it(opensearch_secure: SecureNode):
    """A wrong password in the URL: the auth error names the URL without the password."""
    host = opensearch_secure.url.removeprefix("https://")
    wrong = f"wrong-{uuid.uuid4().hex}"
    error = connect_error(
        f"https://{opensearch_secure.user}:{wrong}@{host}", ca_certs=opensearch_secure.ca_file
    )
    assert isinstance(error, EngineAuthError)
    assert f"'{opensearch_secure.url}'" in str(error)
    assert wrong not in str(error)


def test_connect_without_the_ca_is_a_tls_error(opensearch_secure: SecureNode):
    """The right password but not the demo CA: the certificate does not verify, no answer."""
    error = connect_error(
        opensearch_secure.url, auth=(opensearch_secure.user, opensearch_secure.password)
    )
    assert isinstance(error, EngineConnectionError)
    assert error.url == opensearch_secure.url
    assert "certificate" in error.reason
    assert opensearch_secure.password not in str(error)


def test_connect_over_plain_http_is_the_connection_error(opensearch_secure: SecureNode):
    """http:// to the secured node's port: the connection error, naming that URL."""
    error = connect_error(
        opensearch_secure.plain_url, auth=(opensearch_secure.user, opensearch_secure.password)
    )
    assert isinstance(error, EngineConnectionError)
    assert str(error).startswith(f"Cannot reach OpenSearch at '{opensearch_secure.plain_url}' (")
    assert opensearch_secure.password not in str(error)


# --- the three-node cluster -------------------------------------------------------------------


@pytest.fixture
def cluster(opensearch_cluster: Cluster) -> Iterator[Cluster]:
    """The shared cluster, every node restarted and green again after the test."""
    yield opensearch_cluster
    opensearch_cluster.heal()


@pytest.fixture
def make_index(cluster: Cluster) -> Iterator[Callable[[str], str]]:
    """``make_index(prefix)``: a new index of 2 shards × 1 replica on the cluster (as the
    engine makes them); every index made is removed after the test."""
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        OpenSearchEngine.create(list(cluster.urls), name, shards=2, replicas=1).close()
        made.append(name)
        return name

    yield make
    cluster.heal()
    admin = client(cluster.urls[0])
    for name in made:
        admin.indices.delete(index=name)


def reports(stored: int) -> list[Article]:
    """``stored`` articles with stable ids, each about the harbour."""
    return [
        Article(id=f"report-{n:04d}", title=f"Harbour report {n}", body=f"The council met ({n}).")
        for n in range(stored)
    ]


def stored_ids(url: str, index: str) -> list[str]:
    """The id of every document in ``index``, one entry per document, asked of ``url``."""
    found = client(url).search(
        index=index, body={"query": {"match_all": {}}, "size": IMPORTED + 100, "_source": False}
    )
    return [hit["_id"] for hit in found["hits"]["hits"]]


def test_cluster_is_green_with_three_cluster_manager_nodes(cluster: Cluster):
    """Three nodes form one green cluster, and one of them is the elected cluster manager."""
    health = cluster.wait_for_green()
    nodes = client(cluster.urls[0]).cat.nodes(format="json", h="name,node.roles")
    assert health["number_of_nodes"] == 3
    assert health["status"] == "green"
    assert sorted(node["name"] for node in nodes) == ["node-1", "node-2", "node-3"]
    assert all("m" in node["node.roles"] for node in nodes)
    assert cluster.cluster_manager() in cluster.nodes


class SearchLoop(threading.Thread):
    """Searches ``news`` for "harbour" until stopped; records whether each search answered
    every one of ``expected`` articles (False for an error), and when."""

    def __init__(self, news: NewsIndex, expected: int) -> None:
        super().__init__(daemon=True)
        self.news = news
        self.expected = expected
        self.answers: list[tuple[float, bool]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + 4 * RECOVERY_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                complete = self.news.search("harbour", limit=1).total == self.expected
            except NewsIndexError:
                complete = False
            self.answers.append((time.monotonic(), complete))
            time.sleep(0.05)

    def complete_in_a_row(self, since: float) -> int:
        """How many of the last searches after ``since`` answered every article."""
        count = 0
        for moment, complete in reversed(self.answers):
            if moment < since or not complete:
                break
            count += 1
        return count


def test_kill_of_the_cluster_manager_during_searches_and_an_import(
    cluster: Cluster, make_index: Callable[[str], str]
):
    """kill -9 of the elected cluster manager while NewsIndex searches in a loop and imports
    (2 shards × 1 replica): the searches answer every article again within seconds; the
    articles the import reports as not stored are exactly those missing, and the same import
    run again completes it (stable ids: nothing duplicated, nothing already there lost); after
    a restart the cluster is green with the counts unchanged."""
    searched, imported = make_index("searched"), make_index("imported")
    articles = reports(IMPORTED)
    with NewsIndex.connect(cluster.urls, index=searched) as news:
        assert news.add(articles[:SEARCHED]) == SEARCHED
    # Green first: a replica still recovering is not in sync, and could not take over.
    cluster.wait_for_green()
    manager = cluster.cluster_manager()
    survivor = next(node for node in cluster.nodes if node is not manager)
    killed_at: list[float] = []

    def kill() -> None:
        killed_at.append(time.monotonic())
        cluster.kill(manager)

    killer = threading.Timer(0.05, kill)

    def kill_during_the_next_batch(stored: int) -> None:
        if stored >= BATCH_ARTICLES and not killer.is_alive() and manager.alive:
            killer.start()

    with (
        NewsIndex.connect(survivor.url, index=searched) as searching,
        NewsIndex.connect(
            [manager.url, *(url for url in cluster.urls if url != manager.url)], index=imported
        ) as importing,
    ):
        loop = SearchLoop(searching, SEARCHED)
        loop.start()
        while len(loop.answers) < 3 and loop.is_alive():
            time.sleep(0.05)
        try:
            importing.add(articles, progress=kill_during_the_next_batch)
            failed: tuple[str, ...] = ()
        except EngineWriteError as error:
            failed = error.failed
        killer.join()
        deadline = killed_at[0] + RECOVERY_SECONDS
        while loop.complete_in_a_row(killed_at[0]) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        loop.stopping.set()
        loop.join()
        landed = stored_ids(survivor.url, imported)
        rerun = importing.add(articles)

        assert not manager.alive
        before = [complete for moment, complete in loop.answers if moment < killed_at[0]]
        assert before and all(before)
        assert loop.complete_in_a_row(killed_at[0]) >= 5, loop.answers[-10:]
        assert set(landed) == {a.id for a in articles} - set(failed)
        assert len(landed) == len(set(landed))
        assert rerun == IMPORTED
        assert sorted(stored_ids(survivor.url, imported)) == sorted(a.id for a in articles)
        assert cluster.cluster_manager() is not manager

    cluster.restart(manager)
    health = cluster.wait_for_green()
    assert health["number_of_nodes"] == 3
    for node in cluster.nodes:
        assert client(node.url).count(index=searched)["count"] == SEARCHED
        assert client(node.url).count(index=imported)["count"] == IMPORTED
