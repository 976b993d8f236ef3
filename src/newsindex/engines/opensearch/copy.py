"""Moving a whole index into OpenSearch behind an alias, in one step readers can see.

The articles go into a fresh concrete index whose name joins the alias and a digest of the
source (its location and its version), such as ``news-3f2a9c01d4``. Only when every article is
in and counted does one ``_aliases`` request move the alias onto it from the index it named
before, so readers of the alias see the old articles or all of the new ones, never part. A
copy that fails part way leaves the alias where it was; run again from the same source, it
finds its unfinished index by that name and sends only the articles not there yet. Ids are
stable, so a rerun never duplicates an article. The index the alias named before is kept, not
deleted, and named in the report.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from newsindex.engines.base import Progress
from newsindex.engines.opensearch.client import Connection
from newsindex.engines.opensearch.engine import BATCH_ARTICLES, OpenSearchEngine, with_backoff
from newsindex.errors import (
    EngineRequestError,
    EngineWriteError,
    InvalidArgumentError,
)
from newsindex.models import Article, CopyReport

__all__ = ["COPY_ATTEMPTS", "concrete_name", "copy_into_alias"]

COPY_ATTEMPTS = 6
"""How often a look-up of the articles an earlier run copied is sent when the cluster is busy,
fails or cannot be reached, before the copy gives up; waits double from a quarter of a second.
(Bulk requests are sent again by the engine's own writer.)"""


def concrete_name(alias: str, source: str) -> str:
    """The concrete index a copy of ``source`` (its location and version) behind ``alias``
    writes to: the same for a rerun of the same copy, another once the source changed."""
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:10]
    return f"{alias}-{digest}"


def _chunks(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    chunk: list[Article] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def copy_into_alias(
    connection: Connection,
    alias: str,
    articles: Iterable[Article],
    *,
    total: int,
    source: str,
    shards: int = 1,
    replicas: int = 0,
    progress: Progress | None = None,
    batch: int = BATCH_ARTICLES,
    attempts: int = COPY_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> CopyReport:
    """Copy ``articles`` (``total`` of them, read from ``source``: its location and version)
    into a fresh index on the cluster of ``connection`` and point ``alias`` at it in one step.

    The alias is made by the copy if it does not exist. A concrete index under that name is refused
    (:class:`InvalidArgumentError`): the copy would have to delete it to put an alias there.
    ``progress`` is called with the number of articles handled so far, copied or found there
    from an earlier run; ``batch`` articles go in one bulk request.
    """
    client = connection.client
    target = concrete_name(alias, source)
    location = f"{connection.url}/{alias}"
    aliases = client.indices
    previous = _alias_targets(connection, alias)
    if previous is None:
        raise InvalidArgumentError(
            "to",
            location,
            f"'{location}' is an index, not an alias: copy to another name, so that readers "
            "can be moved to the copy in one step.",
        )
    if previous == [target]:  # the same source copied before, and complete
        return CopyReport(index=target, alias=alias, copied=0, present=total, previous=())
    writer = OpenSearchEngine(connection, target)
    resumed = writer._exists()
    if resumed:
        writer._check_layout()
    else:
        writer._create(shards=shards, replicas=replicas)
        connection.call(
            aliases.put_settings, index=target, body={"index": {"refresh_interval": "-1"}}
        )
    if progress is not None:
        progress(0)  # the target is ready
    copied = present = failures = 0

    def missing() -> Iterator[list[Article]]:
        """The chunks' articles not in the target yet (all of them on a first run)."""
        nonlocal present
        for chunk in _chunks(articles, batch):
            if resumed:
                lookup = functools.partial(
                    connection.call,
                    client.mget,
                    index=target,
                    body={"ids": [a.id for a in chunk]},
                    _source=False,
                )
                found = with_backoff(lookup, attempts=attempts, sleep=sleep)
                there = {doc["_id"] for doc in found.get("docs", ()) if doc.get("found")}
                present += len(there)
                chunk = [a for a in chunk if a.id not in there]
            if chunk:
                yield chunk
            elif progress is not None:
                progress(copied + present + failures)

    def report(stored: int, failed: int) -> None:
        nonlocal copied, failures
        copied, failures = stored, failed
        if progress is not None:
            progress(copied + present + failures)

    # Sent again while the cluster is busy; a request it still refuses whole stops the copy,
    # and a rerun takes it from there.
    streamed = writer._stream(missing(), report)
    if streamed.stopped is not None:
        raise streamed.stopped
    if streamed.failed:
        reasons = "; ".join(sorted(set(streamed.failed.values()))[:3])
        raise EngineWriteError(location, tuple(streamed.failed), reasons)
    connection.call(aliases.put_settings, index=target, body={"index": {"refresh_interval": None}})
    connection.call(aliases.refresh, index=target)
    counted = int(connection.call(client.count, index=target)["count"])
    if counted != total:
        raise EngineRequestError(
            location,
            0,
            f"the copy holds {counted} articles where the source has {total}; the alias was "
            "left where it was",
        )
    actions: list[dict[str, Any]] = [
        {"remove": {"index": name, "alias": alias}} for name in previous
    ]
    actions.append({"add": {"index": target, "alias": alias}})
    connection.call(aliases.update_aliases, body={"actions": actions})
    return CopyReport(
        index=target,
        alias=alias,
        copied=streamed.stored,
        present=present,
        previous=tuple(previous),
    )


def _alias_targets(connection: Connection, alias: str) -> list[str] | None:
    """The indexes ``alias`` names now ([] when there is nothing by that name); None when the
    name is a concrete index's."""
    indices = connection.client.indices
    if connection.call(indices.exists_alias, name=alias):
        return sorted(connection.call(indices.get_alias, name=alias))
    if connection.call(indices.exists, index=alias):
        return None
    return []
