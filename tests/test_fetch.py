"""Tests for fetching URLs (newsindex.ingest.fetch) through the library and ``newsindex index``,
against a web server on 127.0.0.1 that the tests start themselves."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsindex import IngestError, NewsIndex
from newsindex.cli import main
from newsindex.ingest import Fetcher, is_url, read_paths
from newsindex.ingest.fetch import MAX_REDIRECTS, user_agent

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Harbour Wire</title>
  <link>https://wire.example.org/</link>
  <item>
    <title>Grain corridor reopens</title>
    <link>https://wire.example.org/grain</link>
    <pubDate>Sun, 16 Mar 2025 04:16:00 +0200</pubDate>
    <content:encoded><![CDATA[<p>Ships left Odesa at dawn carrying grain.</p>]]></content:encoded>
  </item>
  <item>
    <title>Ferries resume</title>
    <link>https://wire.example.org/ferries</link>
    <content:encoded><![CDATA[<p>Ferries crossed the bay again.</p>]]></content:encoded>
  </item>
</channel>
</rss>
"""

SUMMARIES = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
  <title>Harbour Wire</title>
  <link>/</link>
  <item>
    <title>Feed title of the drone story</title>
    <link>/story/drones</link>
    <pubDate>Mon, 17 Mar 2025 08:00:00 +0000</pubDate>
    <description>Drones struck the port.</description>
  </item>
  <item>
    <title>Untitled page's story</title>
    <link>/story/untitled</link>
    <pubDate>Tue, 18 Mar 2025 09:00:00 +0000</pubDate>
    <description>A fire at the warehouses.</description>
  </item>
</channel>
</rss>
"""

DRONES = (
    b"<html lang='en'><head><title>Drone strikes hit Odesa harbour</title></head><body><article>"
    b"<h1>Drone strikes hit Odesa harbour</h1>"
    b"<p>Russian drones struck port infrastructure in Odesa overnight, the regional governor "
    b"said on Monday morning, adding that two warehouses had caught fire.</p>"
    b"<p>Air defence units shot down most of the drones over the Black Sea coast, according "
    b"to the air force, which said the attack lasted for more than three hours.</p>"
    b"</article></body></html>"
)
UNTITLED = (
    b"<html><body><article>"
    b"<p>Firefighters worked through the night at the warehouses by the port, where stocks of "
    b"sunflower oil burned until the early morning, the emergency service said.</p>"
    b"<p>No one was hurt, and the harbour reopened to ships before noon on Tuesday, officials "
    b"added in a statement published on the city council's website.</p>"
    b"</article></body></html>"
)

ROBOTS = b"User-agent: *\nDisallow: /private/\n"

Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]


def _send(body: bytes, kind: str, **headers: str) -> Route:
    return lambda request: (200, {"Content-Type": kind, **headers}, body)


def _conditional(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    if request.headers.get("If-None-Match") == '"v1"':
        return 304, {"ETag": '"v1"'}, b""
    return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, FEED


def _slow(request: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
    time.sleep(1.0)
    return 200, {"Content-Type": "text/html"}, DRONES


ROUTES: dict[str, Route] = {
    "/robots.txt": _send(ROBOTS, "text/plain"),
    "/feed.xml": _send(FEED, "application/rss+xml"),
    "/etag.xml": _conditional,
    "/summaries.xml": _send(SUMMARIES, "application/rss+xml"),
    "/story/drones": _send(DRONES, "text/html; charset=utf-8"),
    "/story/untitled": _send(UNTITLED, "text/html"),
    "/page.html": _send(DRONES, "text/html"),
    "/private/page.html": _send(DRONES, "text/html"),
    "/moved": lambda request: (301, {"Location": "/feed.xml"}, b""),
    "/sneaky": lambda request: (302, {"Location": "/private/page.html"}, b""),
    "/loop": lambda request: (302, {"Location": "/loop"}, b""),
    "/notes.txt": _send(b"just some words", "text/plain"),
    "/slow": _slow,
    "/broken": lambda request: (500, {}, b"oops"),
}


class Server:
    """The test web server: its base URL and the requests it received."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, dict(self.headers)))
                route = ROUTES.get(self.path)
                status, headers, body = route(self) if route else (404, {}, b"not here")
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def server() -> Iterator[Server]:
    web = Server()
    web.thread.start()
    yield web
    web.httpd.shutdown()
    web.httpd.server_close()
    web.thread.join()


@pytest.fixture
def closed_port() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run(*args: object):
    """`newsindex ARGS` with no politeness delay, as the tests' server is their own."""
    return CliRunner().invoke(main, [*map(str, args), "--delay", "0"], catch_exceptions=False)


def articles_in(folder: Path) -> int:
    with NewsIndex.open(folder) as news:
        return news.stats().articles


def test_is_url():
    """http and https URLs are URLs, in any letter case; paths and other schemes are not."""
    assert is_url("https://example.org/feed") and is_url("HTTP://example.org")
    assert not is_url("feed.xml") and not is_url("ftp://example.org") and not is_url(Path("x"))


def test_feed_by_url(server, tmp_path):
    """A feed URL imports its items; the user agent names newsindex and its version."""
    result = run("index", f"{server.url}/feed.xml", "--index", tmp_path / "ix")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Indexed 2 articles into {tmp_path / 'ix'}.\n"
    assert server.paths() == ["/robots.txt", "/feed.xml"]
    agent = server.requests[1][1]["User-Agent"]
    assert agent == user_agent() and agent.startswith("newsindex/")
    with NewsIndex.open(tmp_path / "ix") as news:
        titles = {hit.title for hit in news.search("ships OR ferries").hits}
    assert titles == {"Grain corridor reopens", "Ferries resume"}


def test_page_by_url(server, tmp_path):
    """A page URL imports its article, its URL the one fetched."""
    news = NewsIndex.create(tmp_path / "ix")
    summary = news.add_files([f"{server.url}/page.html"], delay=0)
    assert summary.added == 1
    (hit,) = news.search("drones").hits
    assert hit.title == "Drone strikes hit Odesa harbour"
    assert hit.url == f"{server.url}/page.html"
    news.close()


def test_redirect_followed(server, tmp_path):
    """A redirect is followed to the feed."""
    result = run("index", f"{server.url}/moved", "--index", tmp_path / "ix")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Indexed 2 articles into {tmp_path / 'ix'}.\n"
    assert server.paths() == ["/robots.txt", "/moved", "/feed.xml"]


def test_second_run_sends_etag_and_imports_nothing(server, tmp_path):
    """Run again, the command sends If-None-Match, gets a 304 and imports 0 articles."""
    folder = tmp_path / "ix"
    first = run("index", f"{server.url}/etag.xml", "--index", folder)
    assert first.stdout == f"Indexed 2 articles into {folder}.\n"
    state = json.loads((folder / "fetch.json").read_text(encoding="utf-8"))
    assert state["urls"] == {f"{server.url}/etag.xml": {"etag": '"v1"'}}
    second = run("index", f"{server.url}/etag.xml", "--index", folder)
    assert second.exit_code == 0, second.output
    assert second.stdout == f"Indexed 0 articles into {folder}.\n"
    assert [h.get("If-None-Match") for p, h in server.requests if p == "/etag.xml"] == [
        None,
        '"v1"',
    ]
    assert articles_in(folder) == 2


def test_validators_not_kept_when_the_import_fails(server, tmp_path):
    """A failed import remembers no ETag, so the next run fetches the feed in full."""
    folder = tmp_path / "ix"
    NewsIndex.create(folder).close()
    failed = run("index", f"{server.url}/etag.xml", f"{server.url}/gone", "--index", folder)
    assert failed.exit_code == 1
    assert not (folder / "fetch.json").exists()
    again = run("index", f"{server.url}/etag.xml", "--index", folder)
    assert again.stdout == f"Indexed 2 articles into {folder}.\n"


def test_not_found_is_one_error_and_nothing_imported(server, tmp_path):
    """A 404 is exit 1 with one line naming status and URL; the feed before it is not kept."""
    folder = tmp_path / "ix"
    NewsIndex.create(folder).close()
    result = run("index", f"{server.url}/feed.xml", f"{server.url}/gone", "--index", folder)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {server.url}/gone: the server answered HTTP 404 Not Found\n")
    assert articles_in(folder) == 0


def test_server_error(server, tmp_path):
    """A 500 names its status and the URL."""
    result = run("index", f"{server.url}/broken", "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {server.url}/broken: the server answered HTTP 500 Internal Server Error\n"
    )
    assert not (tmp_path / "ix").exists()


def test_connection_refused(closed_port, tmp_path):
    """A refused connection is one line naming the URL."""
    result = run("index", f"{closed_port}/feed.xml", "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {closed_port}/feed.xml: cannot fetch it: connection refused\n"
    )


def test_timeout(server, tmp_path):
    """A server slower than --timeout is one line naming the URL and the time waited."""
    started = time.monotonic()
    result = run("index", f"{server.url}/slow", "--timeout", "0.2", "--index", tmp_path / "ix")
    assert time.monotonic() - started < 1.0
    assert result.exit_code == 1
    assert result.stderr == f"Error: {server.url}/slow: cannot fetch it: no answer within 0.2s\n"


def test_neither_feed_nor_page(server, tmp_path):
    """A body that is neither a feed nor a page is an error naming the URL and its type."""
    result = run("index", f"{server.url}/notes.txt", "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {server.url}/notes.txt: neither a feed nor a web page (content type: text/plain)\n"
    )


def test_robots_forbids(server, tmp_path):
    """A page robots.txt forbids is an error naming it, and is never requested."""
    result = run("index", f"{server.url}/private/page.html", "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {server.url}/private/page.html: the site's robots.txt does not allow fetching it\n"
    )
    assert server.paths() == ["/robots.txt"]


def test_robots_checked_after_a_redirect(server, tmp_path):
    """A redirect to a path robots.txt forbids is not followed, and the error says where."""
    result = run("index", f"{server.url}/sneaky", "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {server.url}/sneaky: the site's robots.txt does not allow fetching it "
        f"(redirected to {server.url}/private/page.html)\n"
    )
    assert server.paths() == ["/robots.txt", "/sneaky"]


def test_redirect_loop(server):
    """A redirect loop ends after MAX_REDIRECTS with an error naming the URL."""
    with Fetcher(delay=0) as fetcher, pytest.raises(IngestError) as caught:
        list(fetcher.read(f"{server.url}/loop"))
    assert str(caught.value) == f"{server.url}/loop: cannot fetch it: too many redirects"
    assert server.paths().count("/loop") == MAX_REDIRECTS + 1


def test_skip_bad_lists_failures_and_imports_the_rest(server, tmp_path):
    """--skip-bad imports what could be fetched and lists each URL that could not."""
    folder = tmp_path / "ix"
    result = run(
        "index",
        f"{server.url}/private/page.html",
        f"{server.url}/feed.xml",
        f"{server.url}/gone",
        "--skip-bad",
        "--index",
        folder,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Indexed 2 articles into {folder}.\n"
    assert result.stderr.splitlines() == [
        "Skipped 2 bad records:",
        f"  {server.url}/private/page.html: the site's robots.txt does not allow fetching it",
        f"  {server.url}/gone: the server answered HTTP 404 Not Found",
    ]
    assert server.paths().count("/robots.txt") == 1


def test_follow_fetches_item_pages(server, tmp_path):
    """--follow reads each summary item's page; the feed's title and date fill what a page
    lacks."""
    folder = tmp_path / "ix"
    result = run("index", f"{server.url}/summaries.xml", "--follow", "--index", folder)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Indexed 2 articles into {folder}.\n"
    assert server.paths() == ["/robots.txt", "/summaries.xml", "/story/drones", "/story/untitled"]
    with NewsIndex.open(folder) as news:
        drones = news.search("governor").hits[0]
        fire = news.search("sunflower").hits[0]
    assert drones.title == "Drone strikes hit Odesa harbour"
    assert drones.published is not None and drones.published.date().isoformat() == "2025-03-17"
    assert fire.title == "Untitled page's story"
    assert fire.published is not None and fire.published.date().isoformat() == "2025-03-18"


def test_without_follow_summaries_are_bodies(server):
    """Without follow, a feed of summaries is read as it is: no item page is fetched."""
    with Fetcher(delay=0) as fetcher:
        articles = list(read_paths([f"{server.url}/summaries.xml"], fetcher=fetcher))
    assert [a.body for a in articles] == ["Drones struck the port.", "A fire at the warehouses."]
    assert server.paths() == ["/robots.txt", "/summaries.xml"]


def test_follow_skips_full_feeds(server):
    """A feed that carries its stories in full is not followed."""
    with Fetcher(follow=True, delay=0) as fetcher:
        articles = list(fetcher.read(f"{server.url}/feed.xml"))
    assert len(articles) == 2
    assert server.paths() == ["/robots.txt", "/feed.xml"]


def test_politeness_delay(server):
    """Requests to one host wait the delay after the previous one."""
    waits: list[float] = []
    with Fetcher(delay=5.0, clock=lambda: 100.0, sleep=waits.append) as fetcher:
        list(fetcher.read(f"{server.url}/page.html"))
    assert waits == [5.0]  # robots.txt, then the page five seconds later


def test_library_error_names_url(server):
    """Through the library, a failure is an IngestError naming the URL."""
    with Fetcher(delay=0) as fetcher, pytest.raises(IngestError) as caught:
        list(fetcher.read(f"{server.url}/gone"))
    assert caught.value.path == f"{server.url}/gone"
    assert caught.value.reason == "the server answered HTTP 404 Not Found"


def test_without_the_web_extra(monkeypatch, tmp_path):
    """Without httpx, a URL is one error naming the web extra."""
    monkeypatch.setitem(sys.modules, "httpx", None)  # what a missing module imports as
    result = run("index", "http://127.0.0.1:9/feed.xml", "--index", tmp_path / "ix")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: http://127.0.0.1:9/feed.xml: reading URLs needs the 'web' extra "
        "(httpx is missing): pip install 'newsindex[web]'\n"
    )
