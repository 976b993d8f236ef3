"""Read saved web pages (``.html``, ``.htm``) through ``trafilatura``'s main-text extraction.

The body is the article's own text: navigation, advertisements, cookie banners, share buttons,
related links and comments are left out. Paragraphs are separated by blank lines, and a first
line repeating the title is dropped. The page's metadata gives the rest:

=========== ======================================================================================
field       from
=========== ======================================================================================
title       the headline (``og:title``, ``<h1>``, ``<title>``)
url         the canonical URL (``<link rel="canonical">``, ``og:url``), else the address given
published   the publication date (``article:published_time``, ``<time>``, JSON-LD ...), with its
            offset when the page gives a time; else the date given by the caller
authors     the byline (``author`` meta, JSON-LD), split on ``;``
source      the site name (``og:site_name``)
language    ``<html lang>`` (``en-GB`` gives ``en``)
tags        the page's categories and tags
=========== ======================================================================================

A page with no article text found is an :class:`IngestError` naming the file.
``trafilatura`` comes with the ``web`` extra: ``pip install 'newsindex[web]'``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from typing import Any

from newsindex.errors import IngestError
from newsindex.ingest._extra import import_web
from newsindex.ingest.common import OnError, clean_text, read_whole, report_error
from newsindex.ingest.dates import parse_date
from newsindex.models import Article, canonical_url

__all__ = ["article_from_html", "looks_like_page", "read_page"]

_PAGE_START = re.compile(r"<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)
_HTML_LANG = re.compile(rb"<html[^>]*?\slang\s*=\s*[\"']?([A-Za-z]{2,3})\b", re.IGNORECASE)
_SNIFF_CHARS = 4096
# htmldate's output: the time and offset where the page gives them, else the day alone.
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def looks_like_page(head: str) -> bool:
    """Whether the start of a file's text looks like an HTML page."""
    return head.startswith("<") and _PAGE_START.search(head[:_SNIFF_CHARS]) is not None


def read_page(path: str | os.PathLike[str], *, on_error: OnError = None) -> Iterator[Article]:
    """Yield the article of a saved web page (one page, one article)."""
    name = str(path)
    data = read_whole(path, on_error)
    if data is None:
        return
    try:
        article = article_from_html(data, name)
    except IngestError as err:
        report_error(err, on_error)
        return
    yield article


def article_from_html(
    page: bytes | str,
    path: str,
    *,
    url: str | None = None,
    published: dt.datetime | None = None,
) -> Article:
    """The article of one HTML page; ``url`` and ``published`` stand in where the page has none.

    Raises an :class:`IngestError` naming ``path`` when no article text is found.
    """
    trafilatura = import_web("trafilatura", path, "web pages")
    try:
        document = trafilatura.bare_extraction(
            page,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params={"original_date": True, "outputformat": _DATE_FORMAT},
        )
    except (ValueError, TypeError, LookupError) as exc:
        raise IngestError(path, 0, f"cannot read the page: {exc}") from exc
    if document is None or not (getattr(document, "text", None) or "").strip():
        raise IngestError(path, 0, "no article text found in the page")
    title = _clean(getattr(document, "title", None))
    try:
        return Article(
            title=title,
            body=_body(document.text, title),
            url=canonical_url(_clean(getattr(document, "url", None)) or url or "") or None,
            published=_date(getattr(document, "date", None)) or published,
            authors=_authors(getattr(document, "author", None)),
            source=_clean(getattr(document, "sitename", None)) or None,
            tags=_names(getattr(document, "categories", None))
            + _names(getattr(document, "tags", None)),
            language=_language(page),
        )
    except (ValueError, TypeError) as exc:
        raise IngestError(path, 0, str(exc)) from exc


def _clean(value: object) -> str:
    return " ".join(clean_text(value).split()) if isinstance(value, str) else ""


def _body(text: str, title: str) -> str:
    lines = [" ".join(line.split()) for line in clean_text(text).split("\n")]
    lines = [line for line in lines if line]
    if lines and title and lines[0] == title:
        lines = lines[1:]
    return "\n\n".join(lines)


def _date(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.datetime.strptime(value.strip(), _DATE_FORMAT)
    except ValueError:
        pass
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        return None  # a date the page half-gives is no reason to lose its article


def _authors(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [name for name in (_clean(part) for part in value.split(";")) if name]


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [name for name in (_clean(item) for item in value or ()) if name]


def _language(page: bytes | str) -> str | None:
    head = page[:_SNIFF_CHARS]
    match = _HTML_LANG.search(head.encode("utf-8", "replace") if isinstance(head, str) else head)
    return match[1].decode("ascii").lower() if match else None
