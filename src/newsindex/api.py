"""``NewsIndex``: the one front door, over either engine. Everything the CLI does goes through
these methods."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from newsindex.engines.base import MATCHES, SORTS, Engine, Progress
from newsindex.engines.whoosh.engine import IMPORT_MEMORY_MB, WhooshEngine
from newsindex.errors import (
    ArticleNotFoundError,
    IndexExistsError,
    IndexVersionError,
    IngestError,
    InvalidArgumentError,
    NewsIndexError,
    UnsupportedError,
)
from newsindex.ingest import DateOrder, Fetcher, Source, is_url, read_paths, sample_paths
from newsindex.ingest.fetch import DEFAULT_DELAY, DEFAULT_TIMEOUT, STATE_FILE
from newsindex.locations import (
    Where,
    default_index_location,
    default_index_path,
    is_remote,
    parse_remote,
    sample_index_path,
)
from newsindex.models import (
    Article,
    CopyReport,
    ImportSummary,
    IndexCheck,
    IndexStats,
    Match,
    RepairReport,
    SearchResults,
    Skipped,
    Sort,
)
from newsindex.query import parse_period

if TYPE_CHECKING:
    from newsindex.engines.opensearch.engine import OpenSearchEngine

__all__ = ["NewsIndex", "default_index_location", "default_index_path", "sample_index_path"]

DEFAULT_LOCK_TIMEOUT = 10.0
"""Seconds a writer waits for another process's import to finish before giving up."""

SAMPLE_ARTICLES = 1_501
"""How many articles the bundled sample holds."""

PARALLEL_IMPORT_BYTES = 4_000_000
"""Imports of at least this much input run in two processes (the importer and one worker)."""

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds a request to an OpenSearch cluster may take before it fails."""

OPENSEARCH_EXTRA = "pip install 'newsindex[opensearch]'"
"""The command that installs the OpenSearch engine's client library."""

_NOT_ON_OPENSEARCH = {
    "check": "the cluster's own health and shard APIs report on its data",
    "repair": "the cluster restores its data from its replicas and snapshots",
    "reindex": "import the articles again into a new index",
    "discard": "delete the index with OpenSearch's own API",
    "path": "NewsIndex.location names the index on every engine",
    "lock_timeout": "the cluster orders concurrent writes itself",
    "copy": "copy from the local index the articles came from",
}
"""For each feature only a folder has, the way out an OpenSearch user is given instead."""


def _unsupported(feature: str, engine: str) -> UnsupportedError:
    way_out = _NOT_ON_OPENSEARCH.get(feature) if engine == "opensearch" else None
    return UnsupportedError(feature, engine, way_out)


@contextlib.contextmanager
def _opensearch_client() -> Iterator[None]:
    """Turns the OpenSearch engine's import failing for want of its client into our error."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("opensearchpy"):
            raise
        raise NewsIndexError(
            f"An OpenSearch index needs the 'opensearch' extra (opensearch-py is missing): "
            f"{OPENSEARCH_EXTRA}."
        ) from None


def _opensearch_engine() -> type[OpenSearchEngine]:
    """The OpenSearch engine's class, imported on first use: it needs the optional client."""
    with _opensearch_client():
        from newsindex.engines.opensearch.engine import OpenSearchEngine
    return OpenSearchEngine


def _input_bytes(paths: Iterable[Source]) -> int:
    total = 0
    for path in paths:
        if not isinstance(path, Path):
            continue
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


def _move_old_sample(path: Path, sample: Path) -> None:
    """Move a sample index that an older newsindex built in the default index folder to the
    sample's own folder, so that the user's first import starts an index of their own."""
    if (
        sample.exists()
        or not WhooshEngine.is_index(path)
        or WhooshEngine.committed_count(path) != SAMPLE_ARTICLES
    ):
        return
    with contextlib.suppress(NewsIndexError):
        sample_ids = {article.id for article in read_paths(sample_paths())}
        if {article.id for article in WhooshEngine.stored_articles(path)} == sample_ids:
            sample.parent.mkdir(parents=True, exist_ok=True)
            path.rename(sample)


def _to_utc(
    argument: str, value: dt.date | dt.datetime | str | None, *, end: bool
) -> dt.datetime | None:
    """A naive-UTC bound; a bare date given as ``until`` covers that whole day."""
    if value is None:
        return None
    if isinstance(value, str):  # the same date forms the query syntax accepts
        period = parse_period(value)
        if period is None:
            raise InvalidArgumentError(
                argument,
                value,
                f"'{value}' is not a date: use a form like 2025, 2025-03 or 2025-03-16.",
            )
        return period[1] if end else period[0]
    if not isinstance(value, dt.datetime):
        day = dt.datetime(value.year, value.month, value.day)
        return day + dt.timedelta(days=1) if end else day
    if value.tzinfo:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value + dt.timedelta(microseconds=1) if end else value


def _only_folders(feature: str, path: Where) -> None:
    """Raise :class:`UnsupportedError` for ``feature`` if ``path`` names an OpenSearch index."""
    if is_remote(path):
        raise _unsupported(feature, "opensearch")


def _check_id(article_id: object) -> None:
    """An article id is text (a web route's ``<int:id>`` must be turned back into one)."""
    if not isinstance(article_id, str):
        raise InvalidArgumentError(
            "article_id", article_id, f"An article id is text, not {type(article_id).__name__}."
        )


class NewsIndex:
    """A news search index: in a folder on disk (the Whoosh engine), or an index on an
    OpenSearch cluster (:meth:`connect`, or a URL wherever a folder is named).

    Safe to share between threads (hold one per process in a web app): reads run concurrently,
    each on a searcher no other thread is using, and see every commit, from this process or
    another, once it is complete; writes from several threads wait for each other.

    >>> ix = NewsIndex.create("news/")          # or NewsIndex.open("news/")
    >>> ix.add_files(["articles.jsonl"])
    >>> ix.search('"coalition of the willing" date:2025').hits[0].title
    >>> NewsIndex.connect("http://127.0.0.1:9200", index="news")   # the same, on OpenSearch
    """

    def __init__(self, engine: Engine) -> None:
        """Wrap an opened engine; use :meth:`create` or :meth:`open` instead."""
        self._engine = engine

    @property
    def engine(self) -> str:
        """The name of the engine the index is on: ``"whoosh"`` (a folder) or ``"opensearch"``."""
        return self._engine.name

    @property
    def location(self) -> str:
        """Where the index is: its folder's path, or its URL on the cluster (no password)."""
        return self._engine.location

    def _folder(self, feature: str) -> WhooshEngine:
        """The engine of an index in a folder, for what only a folder has."""
        if not isinstance(self._engine, WhooshEngine):
            raise _unsupported(feature, self._engine.name)
        return self._engine

    @property
    def path(self) -> Path:
        """The index's folder; an index on OpenSearch has none (see :attr:`location`)."""
        return self._folder("path").path

    @property
    def lock_timeout(self) -> float:
        """Seconds a write waits for another process's write to finish."""
        return self._folder("lock_timeout").lock_timeout

    # --- opening -------------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        urls: str | Sequence[str],
        *,
        index: str | None = None,
        auth: tuple[str, str] | None = None,
        ca_certs: str | os.PathLike[str] | None = None,
        timeout: float = DEFAULT_CONNECT_TIMEOUT,
        create: bool = False,
    ) -> NewsIndex:
        """Open an index on an OpenSearch cluster (needs the ``opensearch`` extra).

        ``urls``: one node's URL, several separated by commas, or a list
        (``"http://127.0.0.1:9200"``, ``"https://user:password@host:9200/news"``). The URL's
        path names the index, else ``index``, else ``"news"``; basic auth comes from the URL's
        ``user:password@`` or from ``auth=(user, password)``. ``ca_certs``: the PEM file that
        verifies an ``https://`` node's certificate (default: the system's). ``timeout``:
        seconds a request may take. A missing index raises ``IndexNotFoundError``, unless
        ``create`` makes it. No error, ``repr``, ``location`` or ``stats`` holds the password.

        Every method of the front door works as on a folder; what only a folder has (``path``,
        ``lock_timeout``, check, repair, reindex) raises :class:`UnsupportedError`. URLs given
        to :meth:`add_files` are fetched in full each time: the ``ETag`` and ``Last-Modified``
        memory is a file in an index folder.
        """
        remote = parse_remote(urls, index=index, auth=auth)
        if timeout <= 0:
            raise InvalidArgumentError(
                "timeout", timeout, f"timeout must be above 0 seconds, not {timeout!r}."
            )
        if ca_certs is not None and not Path(ca_certs).is_file():
            raise InvalidArgumentError(
                "ca_certs",
                str(ca_certs),
                f"No CA certificate file at '{ca_certs}': give the PEM file that signed the "
                "cluster's certificate.",
            )
        engine = _opensearch_engine().connect(
            list(remote.nodes),
            remote.index,
            auth=remote.auth,
            ca_certs=None if ca_certs is None else str(ca_certs),
            timeout=timeout,
            create=create,
        )
        return cls(engine)

    @classmethod
    def create(cls, path: Where, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> NewsIndex:
        """Make a new empty index at ``path``; raises ``IndexExistsError`` if one is there.

        ``lock_timeout``: seconds a write waits for another process's write to finish.
        A URL makes the index on an OpenSearch cluster (see :meth:`connect`).
        """
        if is_remote(path):
            remote = parse_remote(str(path))
            engine = _opensearch_engine().create(
                list(remote.nodes), remote.index, auth=remote.auth, timeout=DEFAULT_CONNECT_TIMEOUT
            )
            return cls(engine)
        return cls(WhooshEngine.create(path, lock_timeout=lock_timeout))

    @classmethod
    def open(cls, path: Where, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> NewsIndex:
        """Open the index at ``path``; raises ``IndexNotFoundError`` if there is none.

        A URL opens an index on an OpenSearch cluster (see :meth:`connect`).
        """
        if is_remote(path):
            return cls.connect(str(path))
        return cls(WhooshEngine.open(path, lock_timeout=lock_timeout))

    @classmethod
    def open_or_create(
        cls, path: Where, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> NewsIndex:
        """Open the index at ``path``, making an empty one first if there is none."""
        if is_remote(path):
            return cls.connect(str(path), create=True)
        if not WhooshEngine.is_index(path):
            with contextlib.suppress(IndexExistsError):  # another process made it first
                return cls.create(path, lock_timeout=lock_timeout)
        return cls.open(path, lock_timeout=lock_timeout)

    @classmethod
    def open_default(
        cls,
        *,
        create: bool = False,
        on_sample: Callable[[Path], None] | None = None,
        on_build: Callable[[], None] | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> NewsIndex:
        """The user's default index (:func:`default_index_location`), as the CLI uses it
        without ``--index``.

        With ``create``, for writing: made empty if there is none. Without it, for reading:
        while the user has no index of their own there, the bundled sample news in its own
        folder (:func:`sample_index_path`, built once, ``on_build`` called first), after
        ``on_sample`` is called with the default folder. The two never mix: the user's
        articles go into their own index, never into the sample's. A URL in
        ``$NEWSINDEX_DIR`` is connected to (see :meth:`connect`), and a missing index there
        raises ``IndexNotFoundError`` unless ``create``: the sample is never put on a cluster.
        """
        where = default_index_location()
        if isinstance(where, str):
            return cls.connect(where, create=create)
        path = where
        _move_old_sample(path, sample_index_path())
        if create:
            return cls.open_or_create(path, lock_timeout=lock_timeout)
        if WhooshEngine.holds_index(path):
            return cls.open(path, lock_timeout=lock_timeout)
        if on_sample:
            on_sample(path)
        return cls.open_sample(sample_index_path(), on_build=on_build)

    @classmethod
    def open_sample(
        cls, path: str | os.PathLike[str], *, on_build: Callable[[], None] | None = None
    ) -> NewsIndex:
        """Open ``path``, building it from the bundled sample news first if it holds no index.

        The sample is built in a sibling folder and moved into place when complete, so an
        interrupted build leaves nothing behind and the next call simply builds it again. A
        sample index written by another version of newsindex is rebuilt in place.
        """
        target = Path(path)
        if not WhooshEngine.is_index(target):
            if on_build:
                on_build()
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".building-", dir=target.parent) as tmp:
                building = Path(tmp) / "index"
                with cls.create(building) as sample:
                    sample.add_files(sample_paths())
                if target.is_dir() and not any(target.iterdir()):
                    target.rmdir()  # an empty folder the user made for it
                try:
                    building.rename(target)
                except OSError:
                    # else another process finished first: use theirs
                    if not WhooshEngine.is_index(target):
                        raise
        try:
            return cls.open(target)
        except IndexVersionError:
            # The sample is newsindex's own, not the user's: one another version built is
            # rebuilt with this version's schema.
            if on_build:
                on_build()
            cls.reindex(target)
            return cls.open(target)

    @classmethod
    def reindex(
        cls,
        path: Where,
        *,
        progress: Progress | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> int:
        """Rebuild the index at ``path`` with this version's schema from the articles it stores.

        For an index written by an incompatible newsindex (``IndexVersionError``). The rebuild
        happens in place under the write lock and becomes visible in one commit, so an
        interrupted rebuild leaves the old index intact; returns the article count. An index on
        OpenSearch raises :class:`UnsupportedError`.
        """
        _only_folders("reindex", path)
        return WhooshEngine.rebuild(path, lock_timeout=lock_timeout, progress=progress)

    @staticmethod
    def discard(path: Where) -> bool:
        """Delete the index at ``path`` if it holds no articles and its folder nothing else
        (what a failed first import leaves); returns whether it did.

        Never waits for the write lock: an index another process is importing into is left
        alone, even before its first commit. An index on OpenSearch raises
        :class:`UnsupportedError`.
        """
        _only_folders("discard", path)
        return WhooshEngine.discard(path)

    @staticmethod
    def check(path: Where) -> IndexCheck:
        """Read the whole index at ``path`` (every segment, stored article and posting list)
        and report what is damaged; writes nothing. Works on folders :meth:`open` refuses; an
        index on OpenSearch raises :class:`UnsupportedError`."""
        _only_folders("check", path)
        return WhooshEngine.check(path)

    @staticmethod
    def repair(path: Where, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> RepairReport:
        """Make a damaged index at ``path`` sound again, keeping every article that can be read.

        The damaged files are moved into a ``damaged-<time>`` folder inside the index folder,
        never deleted; the readable articles become the index in one commit. A sound index is
        left as it is. The report says what was recovered and what was lost. An index on
        OpenSearch raises :class:`UnsupportedError`.
        """
        _only_folders("repair", path)
        return WhooshEngine.repair(path, lock_timeout=lock_timeout)

    def close(self) -> None:
        """Release the open searchers or connections (the articles stay)."""
        self._engine.close()

    def __enter__(self) -> NewsIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"NewsIndex({self.location!r})"

    # --- writing -------------------------------------------------------------------------------

    def add(
        self,
        articles: Iterable[Article],
        *,
        progress: Progress | None = None,
        procs: int = 1,
        memory_mb: int = IMPORT_MEMORY_MB,
    ) -> int:
        """Insert ``articles``, replacing any with the same id, in one commit; returns the count.

        If anything fails part way, nothing of this call is kept. An id that occurs more than
        once is stored in its last version. ``procs`` > 1 indexes in that many processes.
        ``memory_mb`` bounds what the import's postings take in memory, all processes together
        (an estimate; each process also holds Python and its libraries): a larger import
        writes its postings out to disk in more pieces, joined when it ends, instead of
        holding more memory. A ``memory_mb`` below 1 raises :class:`InvalidArgumentError`.
        """
        if memory_mb < 1:
            raise InvalidArgumentError(
                "memory_mb", memory_mb, f"memory_mb must be at least 1 (MB), not {memory_mb!r}."
            )
        return self._engine.write(articles, progress=progress, procs=procs, limitmb=memory_mb)

    def add_files(
        self,
        paths: Iterable[Source],
        *,
        skip_errors: bool = False,
        progress: Progress | None = None,
        procs: int | None = None,
        memory_mb: int = IMPORT_MEMORY_MB,
        format: str | None = None,
        column_map: Mapping[str, str] | None = None,
        follow: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        delay: float = DEFAULT_DELAY,
        date_order: DateOrder = None,
    ) -> ImportSummary:
        """Import files, folders and binary streams (seed text, JSON Lines, JSON, CSV, TSV ...)
        in one commit.

        By default the first bad record raises :class:`IngestError` and nothing is imported;
        with ``skip_errors`` bad records are left out and listed in the summary. Files of other
        types inside folders are left out and listed in the summary too (hidden files are
        skipped unlisted). An id that occurs more than once is stored in its last version.
        Large imports use two processes unless ``procs`` says otherwise; ``memory_mb`` is as
        for :meth:`add`.

        A stream (``sys.stdin.buffer``) is read by its content unless ``format`` names one of
        ``newsindex.ingest.input_formats()``; ``format`` also overrides the type of files named
        explicitly. ``column_map`` maps article fields to CSV/TSV columns
        (``{"title": "headline"}``); a mapped column a file lacks is an error naming it.

        An ``http://`` or ``https://`` URL (with the ``web`` extra) is fetched and read as a
        feed or a page, once its site's robots.txt allows it, ``delay`` seconds after the last
        request to its host, waiting up to ``timeout`` seconds for an answer. With ``follow``,
        the items of a feed that carries only summaries have their pages fetched for their
        text. Each URL's ``ETag`` and ``Last-Modified`` are kept in ``fetch.json`` in the index
        folder once the import is committed, so fetching it again imports nothing if it has
        not changed (an index on OpenSearch has no folder: each fetch is a full one). A URL
        that cannot be fetched or read is an :class:`IngestError` naming it, or, with
        ``skip_errors``, listed in the summary. ``date_order`` (``"dayfirst"`` or
        ``"monthfirst"``) says how to read a date such as ``03/04/2025``, an error without it.
        """
        files = [
            p if is_url(p) else Path(p) if isinstance(p, (str, os.PathLike)) else p for p in paths
        ]
        if procs is None:
            big = _input_bytes(files) >= PARALLEL_IMPORT_BYTES
            procs = min(2, os.cpu_count() or 1) if big else 1
        skipped: list[Skipped] = []
        ignored: list[str] = []

        def record(error: IngestError) -> None:
            skipped.append(Skipped(path=error.path, line=error.line, reason=error.reason))

        def ignore(path: Path) -> None:
            ignored.append(str(path))

        passed_over: list[str] = []

        def pass_over(address: str, content_type: str) -> None:
            passed_over.append(content_type.split(";")[0].strip() or "no content type")

        local = self._engine if isinstance(self._engine, WhooshEngine) else None
        state = None if local is None else local.path / STATE_FILE
        with Fetcher(state=state, follow=follow, timeout=timeout, delay=delay) as fetcher:
            articles = read_paths(
                files,
                on_error=record if skip_errors else None,
                on_ignored=ignore,
                on_skipped=pass_over,
                date_order=date_order,
                format=format,
                column_map=column_map,
                fetcher=fetcher,
            )
            added = self.add(articles, progress=progress, procs=procs, memory_mb=memory_mb)
            fetcher.save()  # only now: what failed to commit is fetched in full next time
        return ImportSummary(
            added=added,
            skipped=tuple(skipped),
            ignored=tuple(ignored),
            passed_over=tuple(passed_over),
        )

    def delete(self, ids: Iterable[str]) -> int:
        """Delete articles by id in one commit; an unknown id raises and deletes nothing."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        for article_id in ids:
            _check_id(article_id)
        return self._engine.delete(ids)

    # --- reading -------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        sort: Sort = "relevance",
        since: dt.date | dt.datetime | str | None = None,
        until: dt.date | dt.datetime | str | None = None,
        match: Match = "auto",
        syntax: bool = True,
        snippets: bool = True,
    ) -> SearchResults:
        """Search with the web-style query syntax; see the README for the grammar.

        ``since`` and ``until`` are inclusive (a date as ``until`` covers that whole day).
        An unknown ``sort`` or ``match``, a ``limit`` or ``page`` below 1, or a ``since`` or
        ``until`` string that is not a date raises :class:`InvalidArgumentError`, a
        ``ValueError``.

        ``match`` says how the words must match. ``"all"``: every word (and phrase, field
        clause ...) is required. ``"any"``: every article with any of the words is ranked, those
        with more of the rarer words first; stop words ("the", "what", "of") are left out.
        ``"auto"`` (the default) uses ``"all"`` for short typed queries and for queries that use
        any syntax, and ``"any"`` for typed queries of at least five plain words, which read as
        descriptions ("effects of sanctions on the Russian economy since 2014") rather than
        lists of requirements, and for prose given with ``syntax=False``.

        With ``syntax=False`` the query is prose, not syntax: quotes, ``field:``, ``-``, ``*``,
        parentheses and ``OR``/``AND``/``NOT`` are just words, so any text (pasted prose, a
        question, a test collection's query) is searched as is, without a syntax error, and
        ranked by any-word matching unless ``match="all"`` asks for every word.

        ``snippets=False`` leaves every hit's ``snippet`` empty, which makes long result lists
        much cheaper when only ids and scores are wanted (exports, evaluation).
        """
        if sort not in SORTS:
            raise InvalidArgumentError(
                "sort", sort, f"Unknown sort '{sort}': use one of {', '.join(SORTS)}."
            )
        if match not in MATCHES:
            raise InvalidArgumentError(
                "match", match, f"Unknown match '{match}': use one of {', '.join(MATCHES)}."
            )
        for argument, value in (("limit", limit), ("page", page)):
            if value < 1:
                raise InvalidArgumentError(argument, value, "limit and page must be at least 1.")
        since_utc, until_utc = _to_utc("since", since, end=False), _to_utc("until", until, end=True)
        if since_utc is not None and until_utc is not None and since_utc >= until_utc:
            raise InvalidArgumentError(
                "since",
                since,
                f"since ({since}) is after until ({until}): the range starts after it ends.",
            )
        parsed = self._engine.parse(query, syntax=syntax)
        return self._engine.search(
            parsed,
            page=page,
            limit=limit,
            sort=sort,
            since=since_utc,
            until=until_utc,
            match=match,
            snippets=snippets,
        )

    def get(self, article_id: str) -> Article:
        """The stored article with this id; raises :class:`ArticleNotFoundError`."""
        _check_id(article_id)
        article = self._engine.article(article_id)
        if article is None:
            raise ArticleNotFoundError(article_id)
        return article

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and self._engine.article(article_id) is not None

    def __len__(self) -> int:
        return self._engine.count()

    def stats(self) -> IndexStats:
        """Article count, date range and size (on disk, or on the cluster); ``path`` is the
        index's :attr:`location`."""
        return self._engine.stats()

    # --- moving --------------------------------------------------------------------------------

    def copy_to(
        self,
        to: Where,
        *,
        auth: tuple[str, str] | None = None,
        ca_certs: str | os.PathLike[str] | None = None,
        shards: int = 1,
        replicas: int = 0,
        progress: Progress | None = None,
        timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> CopyReport:
        """Copy every article of this index (a folder) into OpenSearch, or into a new folder.

        ``to`` as a URL (``http://127.0.0.1:9200/news``, credentials as for :meth:`connect`)
        names an alias on the cluster. The articles go into a fresh index of ``shards``
        primary shards and ``replicas`` replicas each, named after the alias and this index's
        version; once every article is there and counted, the alias moves onto it in one
        step, so its readers see the old articles or all the new ones, never part. A copy that
        fails leaves the alias where it was; run again, it finds its unfinished index and sends
        only what is missing (ids are stable: nothing is duplicated). The index the alias named
        before is kept and named in the report. Requests the cluster is too busy for, or fails,
        are sent again with growing waits.

        ``to`` as a folder: a new index made there in one commit (``IndexExistsError`` if one
        is there). ``progress`` is called with the number of articles handled so far.
        """
        for argument, value, least in (("shards", shards, 1), ("replicas", replicas, 0)):
            if value < least:
                raise InvalidArgumentError(
                    argument, value, f"{argument} must be at least {least}, not {value!r}."
                )
        with self._folder("copy").snapshot() as snapshot:
            if not is_remote(to):
                target = NewsIndex.create(to)
                try:
                    with target:
                        copied = target.add(snapshot.articles, progress=progress)
                except BaseException:
                    NewsIndex.discard(to)  # the index this call made, empty: nothing is kept
                    raise
                return CopyReport(index=target.location, copied=copied)
            remote = parse_remote(str(to), auth=auth)
            with _opensearch_client():
                from newsindex.engines.opensearch.client import connect
                from newsindex.engines.opensearch.copy import copy_into_alias
            connection = connect(
                list(remote.nodes),
                auth=remote.auth,
                ca_certs=None if ca_certs is None else str(ca_certs),
                timeout=timeout,
            )
            try:
                return copy_into_alias(
                    connection,
                    remote.index,
                    snapshot.articles,
                    total=snapshot.total,
                    source=snapshot.version,
                    shards=shards,
                    replicas=replicas,
                    progress=progress,
                )
            finally:
                connection.close()
