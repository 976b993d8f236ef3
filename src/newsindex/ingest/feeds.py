"""Read news feeds (RSS 0.9x, 1.0 and 2.0, and Atom) through ``feedparser``.

Each item becomes an :class:`Article`:

=========== ========================================================================================
field       from
=========== ========================================================================================
title       the item's title (HTML in it turned into text)
body        the full content where the feed carries it (``content:encoded``, Atom ``content``),
            else the summary (``description``); HTML is turned into text
url         the item's link, resolved against the feed's link when relative
published   ``pubDate``/``published``, else ``updated``/``dc:date``, keeping the offset written
            (RFC 822 and ISO 8601); an item without a date gets none
authors     the item's authors (``author``, ``dc:creator``), names only
tags        the item's categories
source      the feed's title
language    the feed's language (``en-us`` gives ``en``)
=========== ========================================================================================

Items sharing a ``guid`` (Atom ``id``) are one story: the last of them wins, the others are not
read. A file feedparser cannot read at all (no items, and a syntax error) is an
:class:`IngestError` naming the file; a bad item is one naming file, line and item number.
``feedparser`` comes with the ``web`` extra: ``pip install 'newsindex[web]'``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from newsindex.errors import IngestError
from newsindex.ingest._extra import import_web
from newsindex.ingest.common import OnError, clean_text, read_whole, report_error
from newsindex.ingest.dates import parse_date
from newsindex.ingest.markup import html_to_text, looks_like_html
from newsindex.models import Article, canonical_url

__all__ = ["looks_like_feed", "read_feed"]

# The root elements of RSS 0.9x/2.0 (<rss>), RSS 1.0 (<rdf:RDF>) and Atom (<feed>), after an
# optional XML declaration, comments, processing instructions and a doctype.
_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_SNIFF_CHARS = 4096
_ITEM_START = re.compile(r"<(?:item|entry)[\s>/]")


def looks_like_feed(head: str) -> bool:
    """Whether the start of a file's text looks like an RSS or Atom feed."""
    return head.startswith("<") and _FEED_ROOT.search(head[:_SNIFF_CHARS]) is not None


def read_feed(path: str | os.PathLike[str], *, on_error: OnError = None) -> Iterator[Article]:
    """Yield the articles of an RSS or Atom feed file, one per item, in feed order."""
    name = str(path)
    data = read_whole(path, on_error)
    if data is None:
        return
    try:
        feedparser = import_web("feedparser", name, "feeds")
    except IngestError as err:
        report_error(err, on_error)
        return
    # A stream, never bytes or a string: feedparser fetches anything that looks like a URL.
    parsed = feedparser.parse(io.BytesIO(data))
    entries = list(parsed.entries)
    if not entries:
        if parsed.bozo:
            reason = f"not a readable feed ({_describe(parsed.bozo_exception)})"
            report_error(IngestError(name, 0, reason), on_error)
        elif not parsed.get("version"):
            report_error(IngestError(name, 0, "not an RSS or Atom feed"), on_error)
        return
    feed = parsed.feed
    lines = _item_lines(data, len(entries))
    last = {entry.get("id"): number for number, entry in enumerate(entries, 1)}
    for number, entry in enumerate(entries, 1):
        guid = entry.get("id")
        if guid and last[guid] != number:
            continue
        try:
            article = _article(entry, feed)
        except (ValueError, TypeError) as exc:
            report_error(IngestError(name, lines[number - 1], f"item {number}: {exc}"), on_error)
            continue
        yield article


def _article(entry: Any, feed: Any) -> Article:
    link = (entry.get("link") or "").strip()
    base = (feed.get("link") or "").strip()
    url = canonical_url(urljoin(base, link)) if link else None
    return Article(
        title=_text(entry.get("title_detail"), entry.get("title"), paragraphs=False),
        body=_body(entry),
        url=url,
        published=_published(entry),
        authors=_authors(entry),
        tags=[_tag(tag) for tag in entry.get("tags") or ()],
        source=clean_text(feed.get("title") or "", unescape=True) or None,
        language=_language(feed.get("language")),
    )


def _body(entry: Any) -> str:
    contents = [c for c in entry.get("content") or () if (c.get("value") or "").strip()]
    if contents:
        # Several contents are alternatives (text and HTML of one story): the longest is fullest.
        chosen = max(contents, key=lambda c: len(c.get("value") or ""))
        return _text(chosen, chosen.get("value"), paragraphs=True)
    return _text(entry.get("summary_detail"), entry.get("summary"), paragraphs=True)


def _text(detail: Any, value: object, *, paragraphs: bool) -> str:
    if not isinstance(value, str):
        return ""
    text = clean_text(value)
    kind = (detail or {}).get("type", "")
    if kind in ("text/html", "application/xhtml+xml") or looks_like_html(text):
        text = html_to_text(text, paragraphs=paragraphs)
    elif not paragraphs:
        text = " ".join(text.split())
    return clean_text(text).strip()


def _published(entry: Any) -> dt.datetime | None:
    """The item's date with the offset it was written with, else feedparser's reading in UTC."""
    for key in ("published", "updated", "created"):
        written = entry.get(key)
        if not written:
            continue
        try:
            date = parse_date(written)
        except (ValueError, TypeError):
            date = None
        if date is not None:
            return date
        struct = entry.get(f"{key}_parsed")
        if struct is not None:
            return dt.datetime.fromtimestamp(calendar.timegm(struct), dt.timezone.utc)
        raise ValueError(f"invalid date {written!r}")
    return None


def _authors(entry: Any) -> list[str]:
    names = [clean_text(a.get("name") or "") for a in entry.get("authors") or ()]
    names = [name for name in names if name.strip()]
    if not names and entry.get("author"):
        names = [clean_text(entry["author"])]
    return names


def _tag(tag: Any) -> str:
    return clean_text(tag.get("label") or tag.get("term") or "", unescape=True)


def _language(code: object) -> str | None:
    """The primary subtag of a feed's language (``en-us`` → ``en``)."""
    if not isinstance(code, str) or not code.strip():
        return None
    return code.strip().replace("_", "-").split("-")[0].lower()


def _item_lines(data: bytes, count: int) -> list[int]:
    """The line each item starts on, or zeros when the items cannot be found one to one."""
    text = data.decode("utf-8", errors="replace")
    starts = [match.start() for match in _ITEM_START.finditer(text)]
    if len(starts) != count:
        return [0] * count
    return [text.count("\n", 0, start) + 1 for start in starts]


def _describe(exc: object) -> str:
    """feedparser's complaint (``<unknown>:2:28: unclosed token``) as ``... at line 2``."""
    message = str(exc).strip()
    match = re.fullmatch(r"<unknown>:(\d+):\d+: (.*)", message)
    if match:
        return f"{match[2]} at line {match[1]}"
    return message or type(exc).__name__
