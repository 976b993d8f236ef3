"""The connection to an OpenSearch cluster, and the one place its exceptions become newsindex's.

Every request goes through :meth:`Connection.call`, which turns opensearch-py's and urllib3's
exceptions into :class:`~newsindex.errors.NewsIndexError` subclasses naming the cluster's URL
with any password replaced by ``***`` (:func:`redact`); the password is also scrubbed from
the reasons the server or the network gave.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import opensearchpy
from opensearchpy import exceptions as os_errors

from newsindex.errors import (
    EngineAuthError,
    EngineConnectionError,
    EngineRequestError,
    EngineTimeoutError,
    EngineVersionError,
    IndexNotFoundError,
    InvalidArgumentError,
)

__all__ = ["MIN_VERSION", "Connection", "connect", "redact", "version_tuple"]

MIN_VERSION = (2, 19)
"""The oldest OpenSearch release newsindex talks to."""

COMBINED_FIELDS_VERSION = (3, 2)
"""The first release with the ``combined_fields`` query."""

_T = TypeVar("_T")


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (``https://user:***@host:9200``), and
    without a trailing slash."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url.rstrip("/")
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}")).rstrip("/")


def version_tuple(number: str) -> tuple[int, ...]:
    """``"3.6.0"`` as ``(3, 6, 0)`` (suffixes such as ``-SNAPSHOT`` ignored)."""
    return tuple(int(part) for part in re.findall(r"\d+", number.split("-")[0])[:3])


def _credentials(
    urls: Sequence[str], auth: tuple[str, str] | None
) -> tuple[list[str], tuple[str, str] | None]:
    """The URLs without user and password, and the credentials (from ``auth`` or the first
    URL holding them)."""
    hosts = []
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidArgumentError(
                "url", redact(url), f"'{redact(url)}' is not an http:// or https:// address."
            )
        if auth is None and parts.username is not None:
            auth = (
                urllib.parse.unquote(parts.username),
                urllib.parse.unquote(parts.password or ""),
            )
        hostport = parts.netloc.rsplit("@", 1)[-1]
        hosts.append(urllib.parse.urlunsplit((parts.scheme, hostport, "", "", "")))
    return hosts, auth


class Connection:
    """A client for a list of node URLs, with newsindex's errors.

    ``url`` is what messages name: the first node's address, its password replaced by ``***``.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        auth: tuple[str, str] | None = None,
        ca_certs: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
    ) -> None:
        if not urls:
            raise InvalidArgumentError("urls", urls, "Give at least one OpenSearch node URL.")
        hosts, self._auth = _credentials(urls, auth)
        self.url = redact(urls[0])
        self.timeout = timeout
        secure = any(h.startswith("https://") for h in hosts)
        options: dict[str, Any] = {
            "hosts": hosts,
            "timeout": timeout,
            "max_retries": retries,
            "retry_on_timeout": True,
            "retry_on_status": (502, 503, 504),
        }
        if self._auth is not None:
            options["http_auth"] = self._auth
        if secure:
            options.update(use_ssl=True, verify_certs=True, ssl_show_warn=False)
            if ca_certs:
                options["ca_certs"] = ca_certs
        self.client = opensearchpy.OpenSearch(**options)
        self.version = ""

    def scrub(self, text: str) -> str:
        """``text`` with the password replaced by ``***``."""
        password = self._auth[1] if self._auth else ""
        return text.replace(password, "***") if password else text

    def call(
        self, request: Callable[..., _T], *args: Any, missing: str | None = None, **kwargs: Any
    ) -> _T:
        """``request(*args, **kwargs)`` with opensearch-py's exceptions translated; a 404
        naming the ``missing`` index raises :class:`IndexNotFoundError`."""
        try:
            return request(*args, **kwargs)
        except os_errors.ConnectionTimeout as exc:
            raise EngineTimeoutError(self.url, self.timeout) from exc
        except os_errors.SSLError as exc:
            raise EngineConnectionError(self.url, self._reason(exc, "TLS failed")) from exc
        except os_errors.ConnectionError as exc:
            raise EngineConnectionError(self.url, self._reason(exc, "connection failed")) from exc
        except (os_errors.AuthenticationException, os_errors.AuthorizationException) as exc:
            raise EngineAuthError(self.url, int(exc.status_code)) from exc
        except os_errors.NotFoundError as exc:
            if missing is not None and exc.error == "index_not_found_exception":
                raise IndexNotFoundError(f"{self.url}/{missing}") from exc
            raise EngineRequestError(self.url, 404, self._reason(exc, "not found")) from exc
        except os_errors.TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 0
            raise EngineRequestError(self.url, status, self._reason(exc, "request failed")) from exc
        except os_errors.OpenSearchException as exc:
            raise EngineRequestError(self.url, 0, self.scrub(str(exc)) or "request failed") from exc

    def _reason(self, exc: os_errors.TransportError, default: str) -> str:
        """What the server or the network said, in one line, password removed."""
        info = exc.info if isinstance(exc.info, dict) else None
        reason = ""
        if info and isinstance(info.get("error"), dict):
            error = info["error"]
            causes = error.get("root_cause") or [error]
            reason = str(causes[0].get("reason") or error.get("reason") or "")
        elif isinstance(exc.info, Exception):
            reason = _root_reason(exc.info)
        elif isinstance(exc.error, str) and exc.error not in ("N/A", "TIMEOUT"):
            reason = exc.error
        reason = " ".join(self.scrub(reason).split())
        return reason.rstrip(".") or default

    def check_version(self) -> str:
        """The cluster's version; raises :class:`EngineVersionError` below :data:`MIN_VERSION`."""
        info = self.call(self.client.info)
        version = str(info.get("version", {}).get("number", "0"))
        if info.get("version", {}).get("distribution") != "opensearch" or (
            version_tuple(version) < MIN_VERSION
        ):
            found = version
            if info.get("version", {}).get("distribution") != "opensearch":
                found = f"{version} (not OpenSearch)"
            raise EngineVersionError(self.url, found, ".".join(map(str, MIN_VERSION)))
        self.version = version
        return version

    @property
    def has_combined_fields(self) -> bool:
        """Whether the cluster has the ``combined_fields`` query."""
        return version_tuple(self.version) >= COMBINED_FIELDS_VERSION

    def close(self) -> None:
        """Close the connections to the nodes."""
        self.client.close()


def _root_reason(exc: BaseException) -> str:
    """The innermost reason of a network failure: ``Connection refused`` rather than the
    chain of urllib3 wrappers around it."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc)
    if "WRONG_VERSION_NUMBER" in text:
        # What a server without TLS answers an https:// request with.
        return "TLS failed: the server did not answer in TLS, as at an http:// address"
    tls = re.search(r"\[SSL(?:: [A-Z0-9_]+)?\] ([^(\]]+?)(?: \(_ssl\.c:\d+\))?(?:$|['\")])", text)
    if tls:
        return f"TLS failed: {tls.group(1)}"
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return match.group(1) if match else text.split(": ")[-1]


def connect(
    urls: Sequence[str],
    *,
    auth: tuple[str, str] | None = None,
    ca_certs: str | None = None,
    timeout: float = 10.0,
) -> Connection:
    """A connection to the cluster at ``urls``, its version checked."""
    connection = Connection(urls, auth=auth, ca_certs=ca_certs, timeout=timeout)
    try:
        connection.check_version()
    except BaseException:
        connection.close()
        raise
    return connection
