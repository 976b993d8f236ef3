"""The OpenSearch engine: articles stored in an OpenSearch index, searched with the parsed tree.

Articles keep the ids the local engine gives them (``models.make_article_id``), used as the
documents' ``_id``, so importing the same articles again replaces them. Writes are refreshed
before they return, so a search right after an ``add`` sees it, as locally.

A write goes out as bulk requests, :data:`IN_FLIGHT` of them at a time. An import of more than
one request turns the index's periodic refresh off while it runs and back on (with one refresh)
when it ends, as OpenSearch's guidance for bulk loads has it: each refresh makes a small
segment that merging then pays for again, and nobody but this import needs to see the
articles before it returns.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import attrs

from newsindex.analysis.analyzer import NewsAnalyzer, plain_analyzer, stemming_analyzer
from newsindex.engines.base import Engine, Progress
from newsindex.engines.opensearch.client import Connection, connect
from newsindex.engines.opensearch.compile import compile_search, search_body
from newsindex.engines.opensearch.documents import (
    make_snippet,
    published_at,
    to_article,
    to_source,
)
from newsindex.engines.opensearch.template import TEMPLATE_VERSION, index_body
from newsindex.errors import (
    ArticleNotFoundError,
    EngineConnectionError,
    EngineRequestError,
    EngineTimeoutError,
    EngineWriteError,
    IndexExistsError,
    IndexVersionError,
    InvalidArgumentError,
    NewsIndexError,
)
from newsindex.fields import DATE_FIELD, TEXT_FIELDS
from newsindex.models import Article, Hit, IndexStats, Match, SearchResults, Sort
from newsindex.query import parse_query
from newsindex.query.tree import ParsedQuery, Term

__all__ = [
    "BATCH_ARTICLES",
    "BATCH_BYTES",
    "IN_FLIGHT",
    "MAX_RESULT_WINDOW",
    "OpenSearchEngine",
    "is_busy",
    "with_backoff",
]

BATCH_ARTICLES = 500
"""The most articles sent in one bulk request."""

BATCH_BYTES = 5 * 1024 * 1024
"""A bulk request is sent once its documents reach about this many bytes of JSON, whatever
their count: the low end of the 5-15 MB OpenSearch suggests, so that long articles do not make
requests the cluster must hold whole in memory."""

IN_FLIGHT = 2
"""Bulk requests on their way at once: one index shard takes each on its own write thread, and
the next request is read and prepared while the cluster works on the last."""

WRITE_ATTEMPTS = 5
"""How often a bulk item the cluster was too busy for (429, 5xx) is sent before giving up."""

NEWEST_SECONDS = 60.0
"""How long the newest article's date is trusted before it is read again."""

MAX_RESULT_WINDOW = 10_000
"""How deep into the results OpenSearch pages by default (``index.max_result_window``)."""

_RETRIED = frozenset({429, 500, 502, 503, 504})

_T = TypeVar("_T")


@attrs.define
class _Batch:
    """A bulk batch on its way: what is still to send, how many were stored, what failed."""

    pending: dict[str, Article]
    stored: int = 0
    failed: dict[str, str] = attrs.Factory(dict)


@attrs.frozen
class _Streamed:
    """What a stream of bulk batches did."""

    stored: int
    """Articles stored."""
    failed: dict[str, str]
    """The reason of each article that did not land (those not sent after ``stopped`` too)."""
    stopped: NewsIndexError | None
    """The error of a request the cluster still refused whole after backoff, which ended the
    stream; None if every batch was sent."""


class OpenSearchEngine:
    """Articles in one OpenSearch index: write, delete, search, read and describe them
    (:class:`newsindex.engines.base.Engine`).

    Safe to share between threads: opensearch-py's client is, and the one mutable value, the
    newest article's date, is replaced whole under a lock.

    Unlike the local engine, a write is not all or nothing: OpenSearch stores each article of
    a bulk request on its own, so a failed write stores the others and names those it could
    not store (:class:`~newsindex.errors.EngineWriteError`).
    """

    name = "opensearch"
    """The engine's name in messages."""

    def __init__(
        self, connection: Connection, index: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.connection = connection
        self.index = index
        self.location = f"{connection.url}/{index}"
        """Where the articles are, for messages and ``stats``: the password replaced by
        ``***``."""
        self._analyzers = {True: stemming_analyzer(), False: plain_analyzer()}
        self._newest: dt.datetime | None = None
        self._newest_read = -math.inf  # when, by self.clock
        self.clock = clock
        self.result_window = MAX_RESULT_WINDOW
        """How deep ``from`` pages (the index's ``max_result_window``); deeper pages are
        reached with ``search_after``."""
        self._lock = threading.Lock()

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        urls: Sequence[str],
        index: str,
        *,
        auth: tuple[str, str] | None = None,
        ca_certs: str | None = None,
        timeout: float = 10.0,
        create: bool = False,
        shards: int = 1,
        replicas: int = 0,
    ) -> OpenSearchEngine:
        """The engine over ``index`` on the cluster at ``urls``.

        A missing index raises :class:`IndexNotFoundError`, unless ``create`` (then it is
        made with :func:`~.template.index_body`); an index of another layout raises
        :class:`IndexVersionError`.
        """
        connection = connect(urls, auth=auth, ca_certs=ca_certs, timeout=timeout)
        try:
            engine = cls(connection, index)
            if create and not engine._exists():
                engine._create(shards=shards, replicas=replicas)
            engine._check_layout()
        except BaseException:
            connection.close()
            raise
        return engine

    @classmethod
    def create(
        cls,
        urls: Sequence[str],
        index: str,
        *,
        auth: tuple[str, str] | None = None,
        ca_certs: str | None = None,
        timeout: float = 10.0,
        shards: int = 1,
        replicas: int = 0,
    ) -> OpenSearchEngine:
        """A new, empty ``index`` on the cluster; raises :class:`IndexExistsError` if it is
        there already."""
        connection = connect(urls, auth=auth, ca_certs=ca_certs, timeout=timeout)
        try:
            engine = cls(connection, index)
            if engine._exists():
                raise IndexExistsError(engine.location)
            engine._create(shards=shards, replicas=replicas)
        except BaseException:
            connection.close()
            raise
        return engine

    def _call(self, request: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.connection.call(request, *args, missing=self.index, **kwargs)

    def _exists(self) -> bool:
        return bool(self._call(self.connection.client.indices.exists, index=self.index))

    def _create(self, *, shards: int, replicas: int) -> None:
        modules = self._call(self.connection.client.nodes.info, metric="plugins")
        percolator = all(
            any(m.get("name") == "percolator" for m in node.get("modules", ()))
            for node in modules.get("nodes", {}).values()
        )
        body = index_body(
            shards=shards,
            replicas=replicas,
            combined_fields=self.connection.has_combined_fields,
            percolator=percolator,
        )
        self._call(self.connection.client.indices.create, index=self.index, body=body)

    def _check_layout(self) -> None:
        mapping = self._call(self.connection.client.indices.get_mapping, index=self.index)
        for found in mapping.values():
            version = found.get("mappings", {}).get("_meta", {}).get("newsindex_template")
            if version != TEMPLATE_VERSION:
                raise IndexVersionError(self.location, version, TEMPLATE_VERSION)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def analyzer(self, field: str | None) -> NewsAnalyzer:
        """The analyzer of a field's queries: stemming for title and body, plain for names."""
        return self._analyzers[field is None or field in TEXT_FIELDS]

    def parse(self, text: str, *, syntax: bool = True) -> ParsedQuery:
        """``text`` parsed with newsindex's analyzers, which the index template mirrors."""
        return parse_query(text, self.analyzer, syntax=syntax)

    # --- writes ---------------------------------------------------------------------------

    def write(
        self,
        articles: Iterable[Article],
        *,
        progress: Progress | None = None,
        procs: int = 1,
        limitmb: int | None = None,
    ) -> int:
        """Store ``articles`` (replacing those with the same ids) in bulk batches; return how
        many were stored. Requests and items the cluster was too busy for (429, 5xx), or that
        timed out, are sent again with backoff; the articles that still did not land raise
        :class:`EngineWriteError` naming them all (those not sent after the cluster stopped
        answering too), after the others are stored and visible. ``procs`` and ``limitmb`` are
        the local engine's and have no use here."""
        paused: dict[str, str | None] = {}

        def pausing(batches: Iterator[list[Article]]) -> Iterator[list[Article]]:
            for number, batch in enumerate(batches):
                if number == 1:  # more than one request: an import worth pausing refresh for
                    paused.update(self._pause_refresh())
                yield batch

        def report(stored: int, failed: int) -> None:
            if progress is not None:
                progress(stored)

        try:
            streamed = self._stream(pausing(_batches(articles)), report)
        finally:
            # An unreachable cluster is reported by the stream; these only tidy up.
            with contextlib.suppress(NewsIndexError):
                self._resume_refresh(paused)
            with contextlib.suppress(NewsIndexError):
                self._refresh()
        if streamed.failed:
            reasons = list(dict.fromkeys(streamed.failed.values()))
            raise EngineWriteError(self.location, tuple(streamed.failed), "; ".join(reasons[:3]))
        return streamed.stored

    def _stream(
        self, batches: Iterator[list[Article]], report: Callable[[int, int], None]
    ) -> _Streamed:
        """Send ``batches``, :data:`IN_FLIGHT` requests at a time; ``report`` is called with the
        articles stored and failed so far as each batch ends. A batch holding an article of a
        batch still on its way waits for it, so the later version lands last. When a request
        is refused whole after backoff, nothing more is sent: the articles of the batches on
        their way that did not land, and of the batches after them, are failed. An exception
        from ``batches`` is raised once the batches on their way have ended."""
        stored = 0
        failed: dict[str, str] = {}
        stopped: NewsIndexError | None = None
        running: collections.deque[tuple[Future[None], _Batch, frozenset[str]]] = (
            collections.deque()
        )

        def settle() -> None:
            nonlocal stored, stopped
            future, sent, _ids = running.popleft()
            try:
                future.result()
            except NewsIndexError as error:
                # What was not stored of this batch did not land.
                failed.update((article_id, str(error)) for article_id in sent.pending)
                stopped = stopped or error
            stored += sent.stored
            failed.update(sent.failed)
            report(stored, len(failed))

        with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="newsindex-bulk") as pool:
            try:
                for batch in batches:
                    sent = _Batch({article.id: article for article in batch})
                    ids = frozenset(sent.pending)
                    while running and (
                        len(running) >= IN_FLIGHT or any(ids & other for *_, other in running)
                    ):
                        settle()
                    if stopped is not None:
                        failed.update((article_id, "not sent after that") for article_id in ids)
                        break
                    running.append((pool.submit(self._send_batch, sent), sent, ids))
            finally:
                while running:
                    settle()
            if stopped is not None:
                failed.update((a.id, "not sent after that") for rest in batches for a in rest)
        return _Streamed(stored, failed, stopped)

    def _bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        """One bulk request, sent again with backoff while the cluster is busy, times out or
        cannot be reached (the client has tried the other nodes)."""
        send = functools.partial(self._call, self.connection.client.bulk, body=actions)
        answer: dict[str, Any] = with_backoff(send, attempts=WRITE_ATTEMPTS)
        return answer

    def _send_batch(self, sent: _Batch) -> None:
        """Send ``sent.pending``, counting what is stored and noting what failed as it goes
        (so a caller knows what did not land when a request raises)."""
        for attempt in range(WRITE_ATTEMPTS):
            actions: list[dict[str, Any]] = []
            for article_id, article in sent.pending.items():
                actions.append({"index": {"_index": self.index, "_id": article_id}})
                actions.append(to_source(article))
            answer = self._bulk(actions)
            retry: dict[str, Article] = {}
            for item in answer.get("items", ()):
                result = next(iter(item.values()))
                article_id = str(result.get("_id"))
                status = int(result.get("status", 500))
                if status < 300:
                    sent.stored += 1
                elif status in _RETRIED and attempt + 1 < WRITE_ATTEMPTS:
                    retry[article_id] = sent.pending[article_id]
                else:
                    error = result.get("error") or {}
                    reason = error.get("reason") if isinstance(error, dict) else str(error)
                    sent.failed[article_id] = self.connection.scrub(str(reason or f"HTTP {status}"))
            sent.pending = retry
            if not retry:
                break
            time.sleep(_backoff(attempt))

    def _pause_refresh(self) -> dict[str, str | None]:
        """Turn the periodic refresh of the index (of each index behind an alias) off; return
        the interval to give each back. An interval of ``-1`` found here is one an import that
        stopped left behind: it is given back as the default. Where the settings cannot be
        read or changed (a user allowed to write but not to change settings), the import
        runs with refresh on."""
        client = self.connection.client
        try:
            found = self._call(
                client.indices.get_settings,
                index=self.index,
                name="index.refresh_interval",
                flat_settings=True,
            )
            previous: dict[str, str | None] = {}
            for name, info in found.items():
                interval = (info.get("settings") or {}).get("index.refresh_interval")
                previous[name] = None if interval in (None, "-1") else str(interval)
            off = {"index": {"refresh_interval": "-1"}}
            for name in previous:
                self._call(client.indices.put_settings, index=name, body=off)
        except NewsIndexError:
            return {}
        return previous

    def _resume_refresh(self, previous: dict[str, str | None]) -> None:
        """Give each index the refresh interval :meth:`_pause_refresh` took."""
        for name, interval in previous.items():
            body = {"index": {"refresh_interval": interval}}
            self._call(self.connection.client.indices.put_settings, index=name, body=body)

    def _refresh(self) -> None:
        self._call(self.connection.client.indices.refresh, index=self.index)
        with self._lock:
            self._newest_read = -math.inf

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the articles with ``ids``; an id not in the index raises
        :class:`ArticleNotFoundError` and deletes nothing."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return 0
        found = self._call(
            self.connection.client.mget, index=self.index, body={"ids": ids}, _source=False
        )
        for doc in found.get("docs", ()):
            if not doc.get("found"):
                raise ArticleNotFoundError(str(doc.get("_id")))
        actions = [{"delete": {"_index": self.index, "_id": article_id}} for article_id in ids]
        answer = self._call(self.connection.client.bulk, body=actions)
        self._refresh()
        failed = {
            str(result.get("_id")): str((result.get("error") or {}).get("reason", "failed"))
            for item in answer.get("items", ())
            for result in item.values()
            if int(result.get("status", 500)) >= 300
        }
        if failed:
            raise EngineWriteError(
                self.location, tuple(failed), "; ".join(sorted(set(failed.values()))[:3])
            )
        return len(ids)

    # --- reads ----------------------------------------------------------------------------

    def article(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        found = self._call(
            self.connection.client.mget, index=self.index, body={"ids": [article_id]}
        )
        docs = found.get("docs", ())
        if not docs or not docs[0].get("found"):
            return None
        return to_article(docs[0]["_source"])

    def count(self) -> int:
        """How many articles the index holds."""
        answer = self._call(self.connection.client.count, index=self.index)
        return int(answer["count"])

    def newest(self) -> dt.datetime | None:
        """The latest publication date (naive UTC), which the recency prior counts back from:
        read again after this engine's writes, and :data:`NEWEST_SECONDS` after it was read
        (another process may have written since)."""
        with self._lock:
            if self.clock() - self._newest_read < NEWEST_SECONDS:
                return self._newest
        read = self.clock()
        newest = self._dates()[1]
        with self._lock:
            self._newest, self._newest_read = newest, read
        return newest

    def _dates(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        body = {
            "size": 0,
            "aggs": {
                "first": {"min": {"field": DATE_FIELD}},
                "last": {"max": {"field": DATE_FIELD}},
            },
        }
        answer = self._call(self.connection.client.search, index=self.index, body=body)
        aggs = answer.get("aggregations", {})

        def moment(name: str) -> dt.datetime | None:
            value = aggs.get(name, {}).get("value")
            if value is None:
                return None
            return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=value)

        return moment("first"), moment("last")

    def stats(self) -> IndexStats:
        """Article count, date range, size on the cluster and layout version."""
        first, last = self._dates()
        size = self._call(self.connection.client.indices.stats, index=self.index, metric="store")
        total = size.get("_all", {}).get("total", {}).get("store", {}).get("size_in_bytes", 0)
        return IndexStats(
            path=self.location,
            articles=self.count(),
            first_published=first.replace(tzinfo=dt.timezone.utc) if first else None,
            last_published=last.replace(tzinfo=dt.timezone.utc) if last else None,
            size_bytes=int(total),
            schema_version=TEMPLATE_VERSION,
        )

    def _frequencies(self, words: Sequence[Term]) -> tuple[dict[Term, int], int]:
        """How many articles hold each word in title or body (the larger count), and how many
        articles there are: from a term-vectors request on a document made of the words."""
        text = " ".join(word.text for word in words)
        body = {
            "doc": {"title": text, "body": text},
            "fields": ["title", "body"],
            "per_field_analyzer": {"title": "news_terms", "body": "news_terms"},
            "term_statistics": True,
            "field_statistics": True,
            "positions": False,
            "offsets": False,
        }
        answer = self._call(self.connection.client.termvectors, index=self.index, body=body)
        by_text: dict[str, int] = {}
        for field in answer.get("term_vectors", {}).values():
            for term, info in field.get("terms", {}).items():
                by_text[term] = max(by_text.get(term, 0), int(info.get("doc_freq", 0)))
        frequencies = {word: by_text.get(word.text, 0) for word in words}
        return frequencies, max(self.count(), 1)

    def search(
        self,
        parsed: ParsedQuery,
        *,
        page: int = 1,
        limit: int = 10,
        sort: Sort = "relevance",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        match: Match = "auto",
        snippets: bool = True,
    ) -> SearchResults:
        """One page of results for ``parsed`` (``since`` inclusive, ``until`` exclusive,
        naive UTC). A page past the first :attr:`result_window` hits (the index's
        ``max_result_window``, which ``from`` cannot pass) is reached with ``search_after``,
        skipping the hits before it a window at a time; a page longer than the window raises
        :class:`InvalidArgumentError`."""
        if limit > self.result_window:
            raise InvalidArgumentError(
                "limit",
                limit,
                f"A page of {limit:,} hits is longer than the {self.result_window:,} OpenSearch "
                "returns at once: ask for fewer hits per page.",
            )
        compiled = compile_search(
            parsed,
            match=match,
            since=since,
            until=until,
            newest=self.newest() if sort == "relevance" else None,
            frequencies=self._frequencies,
            combined_fields=self.connection.has_combined_fields,
        )
        body = search_body(compiled, page=page, limit=limit, sort=sort, snippets=snippets)
        if page * limit > self.result_window:
            body["from"] = 0
            after = self._skip(compiled.query, body["sort"], (page - 1) * limit)
            if after is None:
                body["size"] = 0  # nothing matches: only the total
            else:
                body["search_after"] = after
        answer = self._call(self.connection.client.search, index=self.index, body=body)
        first = (page - 1) * limit
        hits = tuple(
            self._hit(found, first + offset + 1, snippets)
            for offset, found in enumerate(answer["hits"]["hits"])
        )
        return SearchResults(
            hits=hits,
            total=int(answer["hits"]["total"]["value"]),
            page=page,
            limit=limit,
            query=compiled.description,
            sort=sort,
        )

    def _skip(self, query: dict[str, Any], sort: list[Any], count: int) -> list[Any] | None:
        """The sort values of the ``count``-th hit (or of the last, if there are fewer; None
        if there is none), read
        a window at a time with ``search_after``: where a page deeper than ``from`` can reach
        starts. Writes between the requests may shift the order, as between two pages."""
        after: list[Any] | None = None
        skipped = 0
        while skipped < count:
            size = min(self.result_window, count - skipped)
            body: dict[str, Any] = {
                "query": query,
                "size": size,
                "sort": sort,
                "_source": False,
                "track_total_hits": False,
            }
            if after is not None:
                body["search_after"] = after
            answer = self._call(self.connection.client.search, index=self.index, body=body)
            hits = answer["hits"]["hits"]
            if hits:
                after = hits[-1]["sort"]
                skipped += len(hits)
            if len(hits) < size:
                break
        return after

    def _term(self, word: str) -> str:
        """The stemmed term a marked word of the body stands for (the word itself if it has
        none)."""
        terms = self._analyzers[True].terms(word)
        return terms[0] if terms else word.lower()

    def _hit(self, found: dict[str, Any], rank: int, snippets: bool) -> Hit:
        source = found["_source"]
        marked = found.get("highlight", {}).get("body") or [None]
        snippet, highlights = (
            make_snippet(source.get("body") or "", marked[0], term=self._term)
            if snippets
            else ("", ())
        )
        return Hit(
            id=source["id"],
            title=source.get("title") or "",
            published=published_at(source.get("published")),
            source=source.get("source"),
            url=source.get("url"),
            authors=tuple(source.get("author") or ()),
            score=float(found.get("_score") or 0.0),
            rank=rank,
            snippet=snippet,
            highlights=highlights,
        )


def _backoff(attempt: int) -> float:
    """Seconds to wait before sending again: doubling from a quarter of a second, up to 8."""
    return float(min(8.0, 0.25 * 2**attempt))


def is_busy(error: NewsIndexError) -> bool:
    """Whether a request that failed is worth sending again: the cluster was too busy (429,
    5xx), did not answer in time, or could not be reached."""
    if isinstance(error, (EngineConnectionError, EngineTimeoutError)):
        return True
    return isinstance(error, EngineRequestError) and error.status in _RETRIED


def with_backoff(
    send: Callable[[], _T], *, attempts: int, sleep: Callable[[float], None] | None = None
) -> _T:
    """``send()``, sent again after a doubling wait (:func:`_backoff`) while it fails in a way
    :func:`is_busy` accepts, at most ``attempts`` times in all; ``sleep`` waits (default
    :func:`time.sleep`)."""
    for attempt in itertools.count():
        try:
            return send()
        except NewsIndexError as error:
            if not is_busy(error) or attempt + 1 >= attempts:
                raise
            (sleep or time.sleep)(_backoff(attempt))
    raise AssertionError("unreachable")


def _size(article: Article) -> int:
    """About how many bytes of JSON the article's document and action line take."""
    text = (article.title, article.body, article.url or "", *article.authors, *article.tags)
    return 300 + sum(len(part.encode("utf-8")) for part in text)


def _batches(articles: Iterable[Article]) -> Iterator[list[Article]]:
    """``articles`` in lists of at most :data:`BATCH_ARTICLES`, and about :data:`BATCH_BYTES`."""
    batch: list[Article] = []
    size = 0
    for article in articles:
        batch.append(article)
        size += _size(article)
        if len(batch) >= BATCH_ARTICLES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _is_an_engine(engine: OpenSearchEngine) -> Engine:
    """Type checkers check here that the class has the engine interface."""
    return engine
