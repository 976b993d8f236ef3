"""Fetch feeds and web pages over HTTP(S) and read them with the feed and page readers.

A URL (``http://`` or ``https://``) among an import's inputs is fetched by a :class:`Fetcher`:

- politely: one request at a time, ``delay`` seconds between two requests to the same host,
  a user agent naming newsindex and its version, and each host's ``robots.txt`` asked first
  (a URL it forbids is not fetched: an :class:`IngestError` naming it);
- with a ``timeout`` for each request, redirects followed;
- read as a feed or a page by its content, else by its content type; anything else is an
  :class:`IngestError` naming the URL;
- with ``follow``, a feed whose items carry only summaries has each item's page fetched, and
  the page's main text becomes the item's body (the feed's title, date, authors ... stand in
  where the page lacks them);
- conditionally: with a ``state`` file, each URL's ``ETag`` and ``Last-Modified`` are sent
  back the next time (``If-None-Match``, ``If-Modified-Since``), and a ``304 Not Modified``
  yields nothing. What was learned is written by :meth:`Fetcher.save`, which the caller calls
  once the articles are committed, so an import that fails is fetched in full next time.

A URL that cannot be fetched (connection refused, a timeout, an HTTP error status) is an
:class:`IngestError` naming it, raised or handed to ``on_error`` as the file readers do.
``httpx`` comes with the ``web`` extra: ``pip install 'newsindex[web]'``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import attrs

from newsindex.errors import IngestError
from newsindex.ingest._extra import import_web
from newsindex.ingest.common import OnError, report_error
from newsindex.ingest.detect import head_text
from newsindex.ingest.feeds import looks_like_feed, read_feed
from newsindex.ingest.pages import article_from_html, looks_like_page
from newsindex.models import Article, canonical_url, make_article_id

if TYPE_CHECKING:
    # Imported when first used: it imports urllib.request, which `import newsindex` leaves out.
    from urllib.robotparser import RobotFileParser

__all__ = [
    "DEFAULT_DELAY",
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "STATE_FILE",
    "Fetcher",
    "is_url",
    "user_agent",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds a request may take to connect, and to send each part of its answer."""

DEFAULT_DELAY = 1.0
"""Seconds between two requests to the same host."""

MAX_REDIRECTS = 10
"""Redirects followed from one URL before giving up."""

STATE_FILE = "fetch.json"
"""The file in an index folder that remembers each URL's ``ETag`` and ``Last-Modified``."""

_SCHEMES = ("http://", "https://")
_ROBOTS_AGENT = "newsindex"
_PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    }
)
# RSS content:encoded and Atom <content>: a feed that has them carries its stories in full.
_FULL_CONTENT = re.compile(rb"<(?:content:encoded|content)[\s>/]", re.IGNORECASE)
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")
_VALIDATORS = (("etag", "If-None-Match"), ("last-modified", "If-Modified-Since"))

Validators = dict[str, str]
"""A URL's ``etag`` and ``last-modified`` header values (either may be missing)."""


def is_url(source: object) -> bool:
    """Whether an input is an ``http://`` or ``https://`` URL (a string), not a path."""
    return isinstance(source, str) and source[:8].lower().startswith(_SCHEMES)


def user_agent() -> str:
    """The ``User-Agent`` requests are sent with: ``newsindex/<version>``."""
    try:
        version = metadata.version("newsindex")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        version = "0+unknown"
    return f"newsindex/{version} (+https://pypi.org/project/newsindex/)"


@attrs.frozen
class _Fetched:
    """A ``2xx`` answer: the body and what to remember of it."""

    url: str
    """The address it came from, after redirects."""
    body: bytes
    content_type: str
    """The media type alone, lowercase (``text/html``), or ``""``."""
    validators: Validators


class Fetcher:
    """Fetches URLs and reads them as feeds or pages; one per import, used from one thread.

    ``state`` is the JSON file remembering validators (``None``: requests are never
    conditional); ``clock`` and ``sleep`` are injectable for the politeness delay. The HTTP
    client is made on first use and closed by :meth:`close` (or leaving a ``with`` block).
    """

    def __init__(
        self,
        *,
        state: str | os.PathLike[str] | None = None,
        follow: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        delay: float = DEFAULT_DELAY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = Path(state) if state is not None else None
        self.follow = follow
        self.timeout = timeout
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._client: Any = None
        self._httpx: Any = None
        self._robots: dict[str, RobotFileParser] = {}
        self._last_request: dict[str, float] = {}
        self._known = _load_state(self.state)
        self._learned: dict[str, Validators] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client, if one was made."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def read(self, url: str, *, on_error: OnError = None) -> Iterator[Article]:
        """Yield the articles of the feed or page at ``url``; nothing if it has not changed."""
        failed = False
        fetched: _Fetched | None = None

        def report(err: IngestError) -> None:
            nonlocal failed
            failed = True
            report_error(err, on_error)

        try:
            fetched = self._get(url)
            if fetched is None:
                return
            kind = _kind(fetched)
            if kind == "page":
                yield article_from_html(fetched.body, url, url=fetched.url)
            elif kind == "feed":
                yield from self._read_feed(url, fetched, report)
            else:
                shown = fetched.content_type or "none given"
                reason = f"neither a feed nor a web page (content type: {shown})"
                raise IngestError(url, 0, reason)
        except IngestError as err:
            report(err)
        if fetched is not None and not failed:  # one read in part is fetched in full next time
            self._learned[url] = fetched.validators

    def save(self) -> None:
        """Write the validators learned by this fetcher's reads into the state file.

        Call it once what was read is committed. A state file that cannot be written only
        makes the next run fetch (and import) those URLs in full again.
        """
        if self.state is None or not self._learned:
            return
        merged = {url: found for url, found in {**self._known, **self._learned}.items() if found}
        text = json.dumps({"version": 1, "urls": merged}, indent=1, sort_keys=True)
        with contextlib.suppress(OSError):
            part = self.state.with_name(f".{self.state.name}.part")
            part.write_text(text + "\n", encoding="utf-8")
            os.replace(part, self.state)
            self._known, self._learned = merged, {}

    # --- reading ---------------------------------------------------------------------------------

    def _read_feed(
        self, url: str, fetched: _Fetched, report: Callable[[IngestError], None]
    ) -> Iterator[Article]:
        body = fetched.body

        def renamed(err: IngestError) -> IngestError:
            return IngestError(url, err.line, err.reason)

        with tempfile.TemporaryDirectory(prefix="newsindex-") as folder:
            copy = Path(folder) / "feed.xml"
            copy.write_bytes(body)
            try:
                read = read_feed(copy, on_error=lambda err: report(renamed(err)))
                items = [_absolute(item, fetched.url) for item in read]
            except IngestError as err:
                raise renamed(err) from err.__cause__
        if not self.follow or _FULL_CONTENT.search(body):
            yield from items
            return
        for item in items:
            if item.url is None:
                yield item
                continue
            try:
                followed = self._follow(item, item.url)
            except IngestError as err:
                report(err)
                continue
            if followed is not None:
                yield followed

    def _follow(self, item: Article, url: str) -> Article | None:
        """The item with its page's main text as body; ``None`` if the page has not changed."""
        fetched = self._get(url)
        if fetched is None:
            return None
        page = article_from_html(fetched.body, url, url=fetched.url, published=item.published)
        self._learned[url] = fetched.validators
        return attrs.evolve(
            page,
            title=page.title or item.title,
            authors=page.authors or item.authors,
            source=page.source or item.source,
            tags=page.tags or item.tags,
            language=page.language or item.language,
        )

    # --- HTTP ------------------------------------------------------------------------------------

    def _get(self, url: str) -> _Fetched | None:
        """A ``2xx`` answer to a (conditional) GET of ``url``, or ``None`` for ``304``.

        Redirects are followed here, not by the client, so that each address on the way is
        one robots.txt allows and waits its host's delay.
        """
        known = self._known.get(url, {}) if self.state is not None else {}
        headers = {header: known[key] for key, header in _VALIDATORS if key in known}
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            self._check_robots(url, target)
            response = self._request(url, target, headers)
            if not response.has_redirect_location:
                break
            target = str(response.url.join(response.headers["location"]))
        else:
            raise IngestError(url, 0, "cannot fetch it: too many redirects")
        if response.status_code == 304:
            return None
        if not 200 <= response.status_code < 300:
            raise IngestError(url, 0, f"the server answered {_status(response)}")
        answered = response.headers
        mime = answered.get("content-type", "").split(";")[0].strip().lower()
        validators = {key: answered[key] for key, _ in _VALIDATORS if key in answered}
        return _Fetched(str(response.url), response.content, mime, validators)

    def _check_robots(self, url: str, target: str) -> None:
        """Raise an :class:`IngestError` naming ``url`` if its host's robots.txt forbids
        ``target`` (``url`` itself, or where it redirects)."""
        parts = urlsplit(target)
        origin = f"{parts.scheme}://{parts.netloc}"
        robots = self._robots.get(origin)
        if robots is None:
            from urllib.robotparser import RobotFileParser

            robots = RobotFileParser(f"{origin}/robots.txt")
            try:
                response = self._request(url, f"{origin}/robots.txt", {}, follow=True)
            except IngestError as err:
                raise IngestError(url, 0, err.reason) from err
            if response.status_code >= 500:  # RFC 9309: unreachable means all is forbidden
                reason = f"its robots.txt cannot be read ({_status(response)}): try again later"
                raise IngestError(url, 0, reason)
            # No robots.txt (a 4xx answer) allows everything, as an empty one does.
            ok = 200 <= response.status_code < 300
            robots.parse(response.text.splitlines() if ok else [])
            self._robots[origin] = robots
        if not robots.can_fetch(_ROBOTS_AGENT, target):
            moved = "" if target == url else f" (redirected to {target})"
            raise IngestError(url, 0, f"the site's robots.txt does not allow fetching it{moved}")

    def _request(
        self, url: str, target: str, headers: dict[str, str], *, follow: bool = False
    ) -> Any:
        """GET ``target`` after its host's politeness delay; transport failures as
        :class:`IngestError` naming ``url``."""
        httpx = self._open(url)
        host = urlsplit(target).netloc.lower()
        wait = self._last_request.get(host, -math.inf) + self.delay - self._clock()
        if wait > 0:
            self._sleep(wait)
        try:
            return self._client.get(target, headers=headers, follow_redirects=follow)
        except httpx.TimeoutException as exc:
            reason = f"cannot fetch it: no answer within {self.timeout:g}s"
            raise IngestError(url, 0, reason) from exc
        except httpx.TooManyRedirects as exc:
            raise IngestError(url, 0, "cannot fetch it: too many redirects") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise IngestError(url, 0, f"cannot fetch it: {_describe(exc)}") from exc
        finally:
            self._last_request[host] = self._clock()

    def _open(self, url: str) -> Any:
        """The ``httpx`` module, making the client on first use."""
        if self._client is None:
            self._httpx = import_web("httpx", url, "URLs")
            self._client = self._httpx.Client(
                timeout=self.timeout,
                headers={"User-Agent": user_agent()},
            )
        return self._httpx


def _absolute(item: Article, base: str) -> Article:
    """``item`` with a link relative to a feed that gave no site address resolved against the
    feed's own URL (and its id made from that)."""
    if item.url is None or is_url(item.url):
        return item
    url = canonical_url(urljoin(base, item.url))
    return attrs.evolve(item, url=url, id=make_article_id(url, item.title, item.body))


def _kind(fetched: _Fetched) -> str | None:
    """``"feed"``, ``"page"`` or ``None``: by the content, else by its content type."""
    head = head_text(fetched.body)
    if looks_like_feed(head):
        return "feed"
    if looks_like_page(head):
        return "page"
    if fetched.content_type in _FEED_TYPES:
        return "feed"
    if fetched.content_type in _PAGE_TYPES and head.startswith("<"):
        return "page"
    return None


def _status(response: Any) -> str:
    """``HTTP 404 Not Found``."""
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


def _describe(exc: BaseException) -> str:
    """httpx's complaint (``[Errno 111] Connection refused``) as ``connection refused``."""
    message = _ERRNO.sub("", str(exc).strip())
    if not message:
        return type(exc).__name__
    return message[0].lower() + message[1:]


def _load_state(path: Path | None) -> dict[str, Validators]:
    """The validators a state file remembers; a missing or damaged file remembers nothing (so
    every URL is fetched in full, which is safe)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    urls = data.get("urls") if isinstance(data, dict) else None
    if not isinstance(urls, dict):
        return {}
    known: dict[str, Validators] = {}
    for url, found in urls.items():
        if isinstance(found, dict):
            keep = {key: found[key] for key, _ in _VALIDATORS if isinstance(found.get(key), str)}
            if keep:
                known[url] = keep
    return known
