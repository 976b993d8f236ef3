"""Every error newsindex raises on purpose.

Callers catch :class:`NewsIndexError` and never see Whoosh's or NLTK's exception types::

    NewsIndexError
     ├── IndexNotFoundError     no index at the path given
     ├── IndexExistsError       create() on a folder that already holds an index
     ├── IndexLockedError       another writer holds the index and did not let go in time
     ├── IndexVersionError      the index was written by an incompatible newsindex
     ├── IndexReadOnlyError     the index folder cannot be written
     ├── IndexWriteError        a write failed part way (disk full, a worker died): nothing changed
     ├── IndexCorruptError      a file of the index is missing or damaged (names the file)
     ├── ArticleNotFoundError   get()/delete() with an id the index does not hold
     ├── IngestError            a bad input record (names file and line)
     ├── QuerySyntaxError       a query that cannot be understood (names the position)
     ├── InvalidArgumentError   a call's argument it does not accept (also a ValueError)
     ├── UnsupportedError       a feature the index's engine does not have (names both)
     ├── EngineConnectionError  a search server that cannot be reached (names the URL)
     ├── EngineTimeoutError     a search server that did not answer in time
     ├── EngineAuthError        a search server that refused the credentials (401 or 403)
     ├── EngineVersionError     a search server too old for newsindex
     ├── EngineRequestError     a search server that refused or failed a request
     └── EngineWriteError       articles a search server did not store (names them)

A URL in a message never holds a password.

Each message is one sentence naming the problem and, where there is one, the way out.

Every error pickles, so one raised in a worker process (a ``ProcessPoolExecutor`` running
``add_files``, say) reaches the parent as itself. A subclass keeps that by one pattern: its
constructor takes the facts of the failure, stores each under an attribute of the same name,
lists those names in constructor order in ``_fields`` and passes its message to the base
class; :meth:`NewsIndexError.__reduce__` rebuilds it from them::

    class IndexWriteError(NewsIndexError):
        _fields = ("path", "reason")

        def __init__(self, path: object, reason: str) -> None:
            self.path = str(path)
            self.reason = reason
            super().__init__(f"Writing to the index at '{self.path}' failed ({reason}) ...")
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ArticleNotFoundError",
    "EngineAuthError",
    "EngineConnectionError",
    "EngineRequestError",
    "EngineTimeoutError",
    "EngineVersionError",
    "EngineWriteError",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReadOnlyError",
    "IndexVersionError",
    "IndexWriteError",
    "IngestError",
    "InvalidArgumentError",
    "NewsIndexError",
    "QuerySyntaxError",
    "UnsupportedError",
]


class NewsIndexError(Exception):
    """Base class of every error newsindex raises on purpose.

    Raised as is with a message; a subclass names its constructor's arguments in ``_fields``
    (see the module docstring) so that it pickles.
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    """The constructor's parameters, in order, each kept as an attribute of the same name."""

    def __reduce__(self) -> str | tuple[Any, ...]:
        """Rebuild from the constructor's arguments: a subclass's constructor takes no message."""
        if not self._fields:
            return super().__reduce__()
        return type(self), tuple(getattr(self, name) for name in self._fields), self.__dict__


class IndexNotFoundError(NewsIndexError):
    """There is no newsindex index at the given path."""

    _fields = ("path",)

    def __init__(self, path: object) -> None:
        self.path = str(path)
        super().__init__(
            f"No index at '{self.path}': run 'newsindex index FILES --index {self.path}' first."
        )


class IndexExistsError(NewsIndexError):
    """``create`` was asked to make an index where one already exists."""

    _fields = ("path",)

    def __init__(self, path: object) -> None:
        self.path = str(path)
        other = "index name" if self.path.startswith(("http://", "https://")) else "folder"
        super().__init__(
            f"An index already exists at '{self.path}': open it instead, or choose another {other}."
        )


class IndexLockedError(NewsIndexError):
    """Another writer holds the index's write lock."""

    _fields = ("path", "timeout")

    def __init__(self, path: object, timeout: float) -> None:
        self.path = str(path)
        self.timeout = timeout
        super().__init__(
            f"The index at '{self.path}' is being written by another process "
            f"(waited {timeout:g}s): try again when it has finished, or raise the lock timeout."
        )


class IndexVersionError(NewsIndexError):
    """The index on disk was written by an incompatible version of newsindex."""

    _fields = ("path", "found", "expected")

    def __init__(self, path: object, found: object, expected: object) -> None:
        self.path = str(path)
        self.found = found
        self.expected = expected
        if "://" in self.path:  # an OpenSearch index: reindex works on folders only
            other = self.path.rsplit("/", 1)[0] + "/NEW_NAME"
            way_out = (
                "import the articles again into an index of another name, or copy them there "
                f"from a folder with 'newsindex copy --index FOLDER --to {other}'"
            )
        else:
            way_out = f"run 'newsindex reindex --index {self.path}' or import the articles again"
        super().__init__(
            f"The index at '{self.path}' has schema version {found}, this newsindex needs "
            f"{expected}: {way_out}."
        )


class IndexReadOnlyError(NewsIndexError):
    """The index folder cannot be written to."""

    _fields = ("path",)

    def __init__(self, path: object) -> None:
        self.path = str(path)
        super().__init__(
            f"The index at '{self.path}' is read-only: searching works, but adding or deleting "
            "needs write permission on the folder."
        )


class IndexWriteError(NewsIndexError):
    """Writing to the index failed part way; nothing of that write was committed."""

    _fields = ("path", "reason")

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"Writing to the index at '{self.path}' failed ({reason}) and nothing was changed: "
            "fix the cause and run the import again."
        )


class IndexCorruptError(NewsIndexError):
    """A file of the index is missing or cannot be read; ``file`` names it (None: not known).

    The advice never risks data: ``check`` only reads, and ``repair`` moves damaged files aside
    rather than deleting them.
    """

    _fields = ("path", "file", "reason")

    def __init__(self, path: object, file: str | None, reason: str) -> None:
        self.path = str(path)
        self.file = file
        self.reason = reason
        where = f"{file}: {reason}" if file else reason
        super().__init__(
            f"The index at '{self.path}' is damaged ({where}): run 'newsindex check --index "
            f"{self.path}' for a report, then 'newsindex repair --index {self.path}' to keep "
            "every article that can still be read."
        )


class ArticleNotFoundError(NewsIndexError):
    """No article with the given id is in the index."""

    _fields = ("article_id",)

    def __init__(self, article_id: str) -> None:
        self.article_id = article_id
        super().__init__(
            f"No article with id '{article_id}' in the index: "
            "'newsindex search' shows the ids of matching articles."
        )


class IngestError(NewsIndexError):
    """A bad record in an input file; ``path`` and ``line`` say where (line 0: the whole file)."""

    _fields = ("path", "line", "reason")

    def __init__(self, path: object, line: int, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class QuerySyntaxError(NewsIndexError):
    """A query string that cannot be understood; ``position`` is the 0-based character offset."""

    _fields = ("query", "position", "reason")

    def __init__(self, query: str, position: int, reason: str) -> None:
        self.query = query
        self.position = position
        self.reason = reason
        super().__init__(f"Query error at position {position + 1}: {reason}.")


class InvalidArgumentError(NewsIndexError, ValueError):
    """A call's argument that it does not accept: an unknown sort, a page below 1, a date
    that is not one. ``argument`` names it and ``value`` is what was given.

    Also a ``ValueError``, what Python raises for a value a function cannot take, so callers
    may catch it either way.
    """

    _fields = ("argument", "value", "message")

    def __init__(self, argument: str, value: object, message: str) -> None:
        self.argument = argument
        self.value = value
        self.message = message
        super().__init__(message)


class UnsupportedError(NewsIndexError):
    """A feature the index's engine does not have: ``feature`` names it (``"repair"``) and
    ``engine`` the engine (``"opensearch"``); ``way_out`` is the advice the message ends with."""

    _fields = ("feature", "engine", "way_out")

    def __init__(self, feature: str, engine: str, way_out: str | None = None) -> None:
        self.feature = feature
        self.engine = engine
        self.way_out = way_out
        advice = way_out or "use it on an index in a local folder instead"
        super().__init__(f"'{feature}' is not available on the {engine} engine: {advice}.")


class EngineConnectionError(NewsIndexError):
    """The search server at ``url`` (password removed) cannot be reached."""

    _fields = ("url", "reason")

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"Cannot reach OpenSearch at '{url}' ({reason}): check that it is running and "
            "that the address and port are right."
        )


class EngineTimeoutError(NewsIndexError):
    """The search server at ``url`` did not answer within ``timeout`` seconds."""

    _fields = ("url", "timeout")

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        super().__init__(
            f"OpenSearch at '{url}' did not answer within {timeout:g}s: try again, or raise "
            "the timeout."
        )


class EngineAuthError(NewsIndexError):
    """The search server at ``url`` refused the credentials (``status`` 401) or the access
    (403)."""

    _fields = ("url", "status")

    def __init__(self, url: str, status: int) -> None:
        self.url = url
        self.status = status
        what = "refused the user name or password" if status == 401 else "denied access"
        super().__init__(
            f"OpenSearch at '{url}' {what} (HTTP {status}): check the credentials and the "
            "user's permissions on the index."
        )


class EngineVersionError(NewsIndexError):
    """The search server at ``url`` runs version ``found``, older than ``needed``."""

    _fields = ("url", "found", "needed")

    def __init__(self, url: str, found: str, needed: str) -> None:
        self.url = url
        self.found = found
        self.needed = needed
        super().__init__(
            f"OpenSearch at '{url}' is version {found}, newsindex needs {needed} or later: "
            "upgrade the cluster or use a local index."
        )


class EngineRequestError(NewsIndexError):
    """The search server at ``url`` refused or failed a request (``status``: its HTTP status)."""

    _fields = ("url", "status", "reason")

    def __init__(self, url: str, status: int, reason: str) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        super().__init__(f"OpenSearch at '{url}' answered HTTP {status}: {reason}.")


class EngineWriteError(NewsIndexError):
    """Articles the search server at ``url`` did not store: ``failed`` holds their ids; the
    others were stored."""

    _fields = ("url", "failed", "reason")

    def __init__(self, url: str, failed: tuple[str, ...], reason: str) -> None:
        self.url = url
        self.failed = tuple(failed)
        self.reason = reason
        shown = ", ".join(self.failed[:10]) + (" ..." if len(self.failed) > 10 else "")
        super().__init__(
            f"OpenSearch at '{url}' did not store {len(self.failed)} article(s) ({shown}: "
            f"{reason}); the others were stored: fix the cause and add those again."
        )
