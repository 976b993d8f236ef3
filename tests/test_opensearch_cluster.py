"""Real OpenSearch nodes: one 3.6 node, a secured 2.19 node, and a three-node 3.6 cluster that
keeps answering every document when its elected cluster manager is killed with kill -9.

The nodes come from ``tests/_opensearch.py``; ``eval "$(bash .ci/opensearch-dist)"`` prepares
them (CI does), otherwise these tests skip.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from _opensearch import Cluster, SecureNode
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import AuthenticationException, SSLError
from opensearchpy.exceptions import ConnectionError as ClientConnectionError

from newsindex import Article
from newsindex.engines.opensearch.engine import BATCH_ARTICLES, OpenSearchEngine
from newsindex.errors import EngineWriteError

pytestmark = pytest.mark.opensearch

DOCUMENTS = 300
IMPORTED = 4 * BATCH_ARTICLES
"""Articles in the interrupted import: four bulk requests, the node killed during the second."""
RECOVERY_SECONDS = 60.0
"""How long searches may take to answer every document again after the kill: bounded, not timed
(measured: about a second)."""


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


# --- the three-node cluster -------------------------------------------------------------------


@pytest.fixture
def cluster(opensearch_cluster: Cluster) -> Iterator[Cluster]:
    """The shared cluster, every node restarted and green again after the test."""
    yield opensearch_cluster
    opensearch_cluster.heal()


@pytest.fixture
def replicated(cluster: Cluster) -> Iterator[str]:
    """An index of 2 shards × 1 replica holding ``DOCUMENTS`` documents, green; removed after."""
    name = f"failover-{uuid.uuid4().hex[:8]}"
    admin = client(cluster.urls[0])
    admin.indices.create(
        index=name,
        body={"settings": {"number_of_shards": 2, "number_of_replicas": 1}},
    )
    helpers.bulk(
        admin,
        (
            {"_index": name, "_id": f"doc-{n}", "title": f"Report {n}", "body": "harbour news"}
            for n in range(DOCUMENTS)
        ),
        refresh="wait_for",
    )
    cluster.wait_for_green()
    yield name
    cluster.heal()
    client(cluster.live()[0].url).indices.delete(index=name)


def matching_ids(search: OpenSearch, index: str) -> set[str]:
    """The ids of the documents a search for "harbour" finds."""
    found = search.search(
        index=index,
        body={"query": {"match": {"body": "harbour"}}, "size": DOCUMENTS + 10, "_source": False},
    )
    return {hit["_id"] for hit in found["hits"]["hits"]}


def test_cluster_is_green_with_three_cluster_manager_nodes(cluster: Cluster):
    """Three nodes form one green cluster, and one of them is the elected cluster manager."""
    health = cluster.wait_for_green()
    nodes = client(cluster.urls[0]).cat.nodes(format="json", h="name,node.roles")
    assert health["number_of_nodes"] == 3
    assert health["status"] == "green"
    assert sorted(node["name"] for node in nodes) == ["node-1", "node-2", "node-3"]
    assert all("m" in node["node.roles"] for node in nodes)
    assert cluster.cluster_manager() in cluster.nodes


def test_searches_answer_every_document_after_the_cluster_manager_is_killed(
    cluster: Cluster, replicated: str
):
    """kill -9 of the elected cluster manager in a loop of searches on a surviving node: the
    searches answer with every document again, and after a restart the cluster is green with
    the count unchanged."""
    every = {f"doc-{n}" for n in range(DOCUMENTS)}
    manager = cluster.cluster_manager()
    survivor = next(node for node in cluster.nodes if node is not manager)
    search = client(survivor.url)
    assert matching_ids(search, replicated) == every

    answers: list[bool] = []
    for _ in range(3):
        answers.append(matching_ids(search, replicated) == every)
    cluster.kill(manager)
    deadline = time.monotonic() + RECOVERY_SECONDS
    in_a_row = 0
    while in_a_row < 5 and time.monotonic() < deadline:
        try:
            complete = matching_ids(search, replicated) == every
        except ClientConnectionError:
            complete = False
        answers.append(complete)
        in_a_row = in_a_row + 1 if complete else 0
        time.sleep(0.1)

    assert not manager.alive
    assert answers[:3] == [True, True, True]
    assert in_a_row == 5, f"searches did not answer every document again: {answers[-10:]}"
    assert cluster.cluster_manager() is not manager

    cluster.restart(manager)
    health = cluster.wait_for_green()
    assert health["number_of_nodes"] == 3
    for node in cluster.nodes:
        assert client(node.url).count(index=replicated)["count"] == DOCUMENTS


def stored_ids(search: OpenSearch, index: str) -> list[str]:
    """The id of every document in ``index``, one entry per document."""
    found = search.search(
        index=index, body={"query": {"match_all": {}}, "size": IMPORTED + 100, "_source": False}
    )
    return [hit["_id"] for hit in found["hits"]["hits"]]


def test_an_import_interrupted_by_the_kill_names_what_did_not_land(cluster: Cluster):
    """kill -9 of the elected cluster manager during an import: the articles the import reports
    as not stored are exactly those missing, and running the import again completes the index
    (stable ids: nothing duplicated, nothing already there lost)."""
    articles = [
        Article(id=f"import-{n:04d}", title=f"Harbour report {n}", body=f"The council met ({n}).")
        for n in range(IMPORTED)
    ]
    every = {article.id for article in articles}
    index = f"import-{uuid.uuid4().hex[:8]}"
    manager = cluster.cluster_manager()
    survivor = next(node for node in cluster.nodes if node is not manager)
    engine = OpenSearchEngine.create(
        [manager.url, *(node.url for node in cluster.nodes if node is not manager)],
        index,
        shards=2,
        replicas=1,
    )
    # Green first: a replica still recovering is not in sync, and could not take over.
    cluster.wait_for_green()
    killer = threading.Timer(0.05, cluster.kill, [manager])

    def kill_during_the_next_batch(stored: int) -> None:
        if stored >= BATCH_ARTICLES and not killer.is_alive() and manager.alive:
            killer.start()

    try:
        try:
            engine.write(articles, progress=kill_during_the_next_batch)
            failed: tuple[str, ...] = ()
        except EngineWriteError as error:
            failed = error.failed
        killer.join()
        search = client(survivor.url)
        landed = stored_ids(search, index)

        assert not manager.alive
        assert set(landed) == every - set(failed)
        assert len(landed) == len(set(landed))

        assert engine.write(articles) == IMPORTED
        again = stored_ids(search, index)
        assert sorted(again) == sorted(every)

        cluster.restart(manager)
        cluster.wait_for_green()
        assert client(manager.url).count(index=index)["count"] == IMPORTED
    finally:
        killer.cancel()
        cluster.heal()
        engine.connection.client.indices.delete(index=index)
        engine.close()
