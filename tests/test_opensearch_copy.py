"""Tests for moving articles into OpenSearch behind an alias (``newsindex copy``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

pytest.importorskip("opensearchpy")

from click.testing import CliRunner

from newsindex import CopyReport, NewsIndex
from newsindex.cli import main
from newsindex.engines.opensearch.client import Connection, connect
from newsindex.engines.opensearch.copy import concrete_name, copy_into_alias
from newsindex.engines.opensearch.engine import OpenSearchEngine, with_backoff
from newsindex.errors import (
    EngineConnectionError,
    EngineRequestError,
    EngineWriteError,
    IndexExistsError,
    InvalidArgumentError,
    UnsupportedError,
)
from newsindex.ingest import read_paths
from newsindex.ingest.sample import sample_paths
from newsindex.models import Article


@pytest.fixture(scope="module")
def sample() -> list[Article]:
    """300 of the bundled sample's articles."""
    return list({a.id: a for a in read_paths(sample_paths())}.values())[:300]


@pytest.fixture
def target(opensearch_url: str) -> Iterator[tuple[Connection, str]]:
    """A connection to the test node and a fresh alias name; every index the test made under
    that name is removed after it."""
    alias = f"copy-{uuid.uuid4().hex[:8]}"
    connection = connect([opensearch_url])
    yield connection, alias
    connection.client.indices.delete(index=f"{alias}*", expand_wildcards="all")
    connection.close()


def _alias(target: tuple[Connection, str]) -> list[str]:
    connection, alias = target
    return sorted(connection.client.indices.get_alias(name=alias))


def _count(target: tuple[Connection, str], index: str | None = None) -> int:
    connection, alias = target
    return int(connection.client.count(index=index or alias)["count"])


def _interrupted(articles: list[Article], after: int) -> Iterator[Article]:
    yield from articles[:after]
    raise EngineConnectionError("http://127.0.0.1:1", "Connection refused")


def test_concrete_name_follows_the_source():
    """The same source gives the same index name; another version of it another name."""
    assert concrete_name("news", "a@1") == concrete_name("news", "a@1")
    assert concrete_name("news", "a@1") != concrete_name("news", "a@2")
    assert concrete_name("news", "a@1").startswith("news-")


def test_backoff_retries_busy_and_lost_nodes_only():
    """A 429 is sent again after a doubling wait; a 400 is not retried."""
    waits: list[float] = []
    calls = []

    def busy_twice() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise EngineRequestError("http://h:9200", 429, "too many requests")
        return "done"

    assert with_backoff(busy_twice, attempts=5, sleep=waits.append) == "done"
    assert waits == [0.25, 0.5]

    def bad_request() -> str:
        raise EngineRequestError("http://h:9200", 400, "parse error")

    with pytest.raises(EngineRequestError):
        with_backoff(bad_request, attempts=5, sleep=waits.append)
    assert waits == [0.25, 0.5]


def test_copy_points_the_alias_at_every_article(target, sample, opensearch_url):
    """After a copy the alias names one new index holding every article, searchable."""
    report = copy_into_alias(*target, iter(sample), total=len(sample), source="sample@1")
    assert report.copied == len(sample) and report.present == 0 and report.previous == ()
    assert _alias(target) == [report.index] == [concrete_name(target[1], "sample@1")]
    assert _count(target) == len(sample)
    engine = OpenSearchEngine.connect([opensearch_url], target[1])
    results = engine.search(
        engine.parse("peacekeepers", syntax=True),
        page=1,
        limit=3,
        sort="relevance",
        since=None,
        until=None,
        match="auto",
        snippets=False,
    )
    engine.close()
    assert results.total > 0


def test_interrupted_copy_leaves_the_alias_and_a_rerun_completes_it(target, sample):
    """A copy that fails part way leaves readers on the old index; run again it sends only
    what is missing, and nothing is duplicated."""
    old = sample[:40]
    first = copy_into_alias(*target, iter(old), total=len(old), source="old@1")
    with pytest.raises(EngineConnectionError):
        copy_into_alias(
            *target, _interrupted(sample, 150), total=len(sample), source="new@1", batch=100
        )
    assert _alias(target) == [first.index]
    assert _count(target) == len(old)  # readers still see the whole old index

    report = copy_into_alias(*target, iter(sample), total=len(sample), source="new@1", batch=100)
    assert report.present == 100  # the one bulk batch the interrupted run completed
    assert report.copied == len(sample) - 100
    assert report.previous == (first.index,)
    assert _alias(target) == [report.index]
    assert _count(target) == len(sample)
    # the previous index is kept, not deleted
    assert _count(target, first.index) == len(old)


def test_copying_the_same_source_again_changes_nothing(target, sample):
    """A second copy of an unchanged source finds it complete and writes nothing."""
    copy_into_alias(*target, iter(sample[:50]), total=50, source="s@1")
    again = copy_into_alias(*target, iter(sample[:50]), total=50, source="s@1")
    assert (again.copied, again.present, again.previous) == (0, 50, ())


def test_an_index_of_the_alias_name_is_refused(target, sample):
    """A concrete index where the alias would go is refused, and left as it was."""
    connection, alias = target
    connection.client.indices.create(index=alias)
    with pytest.raises(InvalidArgumentError, match="is an index, not an alias"):
        copy_into_alias(*target, iter(sample[:5]), total=5, source="s@1")
    assert connection.client.indices.exists(index=alias)


def test_articles_the_cluster_refuses_are_named_and_the_alias_not_moved(target, sample):
    """Articles the cluster does not store fail the copy naming them; the alias stays put."""
    connection, alias = target
    with pytest.raises(EngineConnectionError):
        copy_into_alias(*target, _interrupted(sample, 150), total=300, source="s@1", batch=100)
    unfinished = concrete_name(alias, "s@1")
    connection.client.indices.put_settings(
        index=unfinished, body={"index": {"blocks": {"write": True}}}
    )
    with pytest.raises(EngineWriteError) as caught:
        copy_into_alias(*target, iter(sample), total=300, source="s@1", batch=100)
    assert caught.value.failed == tuple(a.id for a in sample[100:])
    assert not connection.client.indices.exists_alias(name=alias)
    connection.client.indices.put_settings(
        index=unfinished, body={"index": {"blocks": {"write": False}}}
    )


# --- through the front door and the command line --------------------------------------------------


@pytest.fixture
def local(tmp_path, sample) -> Iterator[NewsIndex]:
    """A local index holding the 300 articles."""
    index = NewsIndex.create(tmp_path / "local")
    index.add(sample)
    yield index
    index.close()


def test_copy_to_opensearch_gives_the_same_search(local, target, opensearch_url):
    """After copy_to, the alias on the cluster answers a search with the local articles."""
    url = f"{opensearch_url}/{target[1]}"
    report = local.copy_to(url)
    assert (report.alias, report.copied) == (target[1], len(local))
    with NewsIndex.connect(url) as remote:
        assert len(remote) == len(local)
        here = local.search("peacekeepers ukraine", limit=5, snippets=False)
        there = remote.search("peacekeepers ukraine", limit=5, snippets=False)
        assert there.total == here.total
        assert there.hits[0].id == here.hits[0].id
        assert remote.get(here.hits[0].id) == local.get(here.hits[0].id)


def test_copy_command_reports_and_resumes(local, target, opensearch_url):
    """`newsindex copy` copies with a progress bar; run again, it finds the copy complete."""
    url = f"{opensearch_url}/{target[1]}"
    args = ["copy", "--index", str(local.path), "--to", url]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    name = concrete_name(target[1], f"{local.path.resolve()}@1")
    assert first.stdout == f"Copied 300 articles into {name}; the alias {target[1]} names it now.\n"
    again = CliRunner().invoke(main, [*args, "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout) == {
        "index": name,
        "alias": target[1],
        "copied": 0,
        "present": 300,
        "previous": [],
    }


def test_copy_to_a_new_folder(local, tmp_path, sample):
    """copy_to a folder makes an index there holding every article; an existing one is refused."""
    report = local.copy_to(tmp_path / "copy")
    assert report == CopyReport(index=str(tmp_path / "copy"), copied=len(local))
    with NewsIndex.open(tmp_path / "copy") as copy:
        assert len(copy) == len(local)
        assert copy.get(sample[0].id) == sample[0]
    with pytest.raises(IndexExistsError):
        local.copy_to(tmp_path / "copy")


def test_copy_from_opensearch_is_unsupported(target, opensearch_url, tmp_path):
    """Copying out of an OpenSearch index raises the error naming the engine."""
    url = f"{opensearch_url}/{target[1]}"
    remote = NewsIndex.connect(url, create=True)
    with remote, pytest.raises(UnsupportedError, match="'copy' is not available on the opensearch"):
        remote.copy_to(tmp_path / "out")
