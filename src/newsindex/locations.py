"""Where an index is: a folder on this machine, or an index on an OpenSearch cluster by URL.

Without a choice, the index is the folder or URL in ``$NEWSINDEX_DIR``, else a folder in the
platform's per-user data folder (:func:`default_index_location`).

A URL names an index where a folder would: ``http://127.0.0.1:9200/news``, ``https://`` too,
with ``user:password@`` for basic auth, and several nodes of one cluster as a list or one
string with commas (``http://a:9200,http://b:9200/news``). The path names the index. Parsing
splits that into node URLs without credentials, the index name and the credentials, so that
no password travels further than the client; :func:`redact` takes the password out of any
text that may hold a URL.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from newsindex.errors import InvalidArgumentError

__all__ = [
    "DEFAULT_REMOTE_INDEX",
    "RemoteIndex",
    "Where",
    "default_index_location",
    "default_index_path",
    "is_remote",
    "parse_remote",
    "redact",
    "sample_index_path",
]

DEFAULT_REMOTE_INDEX = "news"
"""The index a URL without a path names."""

Where = str | os.PathLike[str]
"""An index's folder, or an ``http(s)://`` URL naming an index on an OpenSearch cluster."""

_SCHEMES = ("http://", "https://")

_USERINFO = re.compile(r"(?i)(https?://)([^/\s?#]*)@")
"""A URL's scheme and what stands before the last ``@`` of its address (user and password)."""

_INDEX_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
"""The index names OpenSearch accepts, less the odd ones (no uppercase, spaces, ``#`` ...)."""


def is_remote(where: object) -> bool:
    """Whether ``where`` names an index by ``http://`` or ``https://`` URL, not a folder."""
    return isinstance(where, str) and where.strip()[:8].lower().startswith(_SCHEMES)


def _hide_password(match: re.Match[str]) -> str:
    scheme, userinfo = match.group(1), match.group(2)
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}{user}:***@" if colon else match.group(0)


def redact(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``
    (``http://user:***@host:9200/news``)."""
    return _USERINFO.sub(_hide_password, text)


@attrs.frozen
class RemoteIndex:
    """An index on an OpenSearch cluster, as a URL (or several) named it."""

    nodes: tuple[str, ...]
    """The nodes' addresses without credentials or path: ``http://127.0.0.1:9200``."""
    index: str
    """The index's name on the cluster."""
    auth: tuple[str, str] | None = attrs.field(default=None, repr=False)
    """The user name and password for basic auth, if any (never shown)."""

    @property
    def location(self) -> str:
        """The first node's address and the index, as messages name it: no credentials."""
        return f"{self.nodes[0]}/{self.index}"


def _bad_url(url: str, reason: str) -> InvalidArgumentError:
    shown = redact(url)
    return InvalidArgumentError("urls", shown, f"'{shown}' is not an index URL: {reason}.")


def _split_url(url: str) -> tuple[str, str | None, tuple[str, str] | None]:
    """``(node address, index named by the path or None, credentials or None)`` of one URL."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise _bad_url(url, "it must start with http:// or https://")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise _bad_url(url, "its port is not a number from 0 to 65535") from None
    if not host:
        raise _bad_url(url, "it names no host")
    if parts.query or parts.fragment:
        raise _bad_url(url, "an index URL has no '?' or '#' part")
    segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
    if len(segments) > 1:
        raise _bad_url(url, "its path must be the index name alone, as in http://host:9200/news")
    shown_host = f"[{host}]" if ":" in host else host
    node = f"{parts.scheme.lower()}://{shown_host}" + (f":{port}" if port is not None else "")
    credentials = None
    if parts.username is not None or parts.password is not None:
        credentials = (
            urllib.parse.unquote(parts.username or ""),
            urllib.parse.unquote(parts.password or ""),
        )
    return node, (segments[0] if segments else None), credentials


def parse_remote(
    urls: str | Sequence[str],
    *,
    index: str | None = None,
    auth: tuple[str, str] | None = None,
) -> RemoteIndex:
    """The nodes, index and credentials that ``urls`` (one URL, several separated by commas, or
    a list) name, with ``index`` and ``auth`` given beside them.

    The index is the URLs' path, else ``index``, else :data:`DEFAULT_REMOTE_INDEX`; the
    credentials are the URLs' ``user:password@``, else ``auth``. Two different answers to
    either (two index names, two users) raise :class:`InvalidArgumentError`, as does a URL
    that is not an ``http://`` or ``https://`` address of a host; no message holds a password.
    """
    given = [urls] if isinstance(urls, str) else list(urls)
    pieces = [piece.strip() for url in given for piece in str(url).split(",") if piece.strip()]
    if not pieces:
        raise InvalidArgumentError("urls", urls, "Give at least one OpenSearch node URL.")
    if auth is not None and len(auth) != 2:
        raise InvalidArgumentError(
            "auth", None, "auth is a (user, password) pair: give the two as a tuple."
        )
    nodes: list[str] = []
    names: set[str] = set() if index is None else {index}
    logins: set[tuple[str, str]] = set() if auth is None else {(str(auth[0]), str(auth[1]))}
    for piece in pieces:
        node, name, credentials = _split_url(piece)
        if node not in nodes:
            nodes.append(node)
        if name is not None:
            names.add(name)
        if credentials is not None:
            logins.add(credentials)
    if len(names) > 1:
        listed = " and ".join(f"'{name}'" for name in sorted(names))
        raise InvalidArgumentError(
            "index", index, f"The URLs and arguments name two indexes, {listed}: name one."
        )
    if len(logins) > 1:
        raise InvalidArgumentError(
            "auth", None, "The URLs and arguments give two different logins: give one."
        )
    name = names.pop() if names else DEFAULT_REMOTE_INDEX
    if not _INDEX_NAME.fullmatch(name) or len(name.encode()) > 255:
        raise InvalidArgumentError(
            "index",
            name,
            f"'{name}' is not an index name OpenSearch accepts: use lowercase letters, digits, "
            "'-', '_' and '.', starting with a letter or digit.",
        )
    login = logins.pop() if logins else None
    return RemoteIndex(nodes=tuple(nodes), index=name, auth=login)


def _data_folder(env: Mapping[str, str]) -> Path:
    """The platform's per-user data folder for newsindex."""
    home = Path.home()
    if os.name == "nt":
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif os.uname().sysname == "Darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "newsindex"


def default_index_location(environ: Mapping[str, str] | None = None) -> Path | str:
    """``$NEWSINDEX_DIR`` (a folder, or an OpenSearch index URL, kept as text), else the
    platform's per-user data folder (``.../newsindex/index``)."""
    env = os.environ if environ is None else environ
    value = env.get("NEWSINDEX_DIR")
    if value and is_remote(value):
        return value.strip()
    if value:
        return Path(value).expanduser()
    return _data_folder(env) / "index"


def default_index_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$NEWSINDEX_DIR``, else the platform's per-user data folder (``.../newsindex/index``).

    A URL in ``$NEWSINDEX_DIR`` is no folder: it raises :class:`InvalidArgumentError`
    (:func:`default_index_location` gives either).
    """
    where = default_index_location(environ)
    if isinstance(where, str):
        raise InvalidArgumentError(
            "NEWSINDEX_DIR",
            redact(where),
            "$NEWSINDEX_DIR names an OpenSearch index, not a folder: "
            "default_index_location() gives either.",
        )
    return where


def sample_index_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the bundled sample's index is built: ``sample`` beside the default index folder
    in the per-user data folder, never inside the user's own index."""
    return _data_folder(os.environ if environ is None else environ) / "sample"
