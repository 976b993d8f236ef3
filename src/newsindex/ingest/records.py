"""One JSON record, as news exports write it, turned into an :class:`Article`.

Each field is taken from the first of its keys that holds a value (not missing, ``null`` or a
blank string), in this order:

========== ==================================================================================
field      keys
========== ==================================================================================
title      ``title``, ``headline``
body       ``body``, ``content``, ``text``, ``articleBody``, then the summary: ``description``,
           ``summary``
published  ``published``, ``date``, ``pubDate``, ``publishedAt``, ``datePublished``,
           ``published_at``
url        ``url``, ``link``
authors    ``authors``, ``author``, ``byline``, ``creator`` (a string, or a list of strings or of
           objects with a ``name``, as schema.org writes people)
source     ``source`` (a string, or an object with a ``name``, as NewsAPI writes it)
tags       ``tags``, ``categories``
other      ``id``, ``section``, ``language``
========== ==================================================================================

Titles and bodies holding HTML are turned into text (:mod:`newsindex.ingest.markup`); others
have their HTML entities decoded. Dates are read by :func:`newsindex.ingest.dates.parse_date`.
A URL loses its tracking parameters (``utm_*``, ``fbclid``, ``gclid``) and its fragment (unless
the fragment is a route, ``#/...`` or ``#!...``), so a story shared twice gets one id; a URL
without them is kept exactly as written, so its id is the one it always had.

Other keys are ignored, but never silently when they look like what is missing: a record with
no body and another key holding a text of 20 words or more, or with no date and another key
whose name holds ``date`` or ``time`` and whose value reads as a date, is a bad record whose
error names the key (so the import stops, or in skip mode the record is listed as skipped).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from typing import Any

from newsindex.errors import IngestError
from newsindex.ingest.common import clean_text
from newsindex.ingest.dates import DateOrder, parse_date
from newsindex.ingest.markup import html_to_text, looks_like_html
from newsindex.models import Article, canonical_url

__all__ = ["FIELD_KEYS", "KNOWN_KEYS", "article_from_record"]

FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "title": ("title", "headline"),
    "body": ("body", "content", "text", "articleBody", "description", "summary"),
    "published": ("published", "date", "pubDate", "publishedAt", "datePublished", "published_at"),
    "url": ("url", "link"),
    "authors": ("authors", "author", "byline", "creator"),
    "source": ("source",),
    "section": ("section",),
    "tags": ("tags", "categories"),
    "language": ("language",),
}
"""Each article field and the record keys it is read from, first found first."""

KNOWN_KEYS = frozenset(key for keys in FIELD_KEYS.values() for key in keys)
"""Every key :func:`article_from_record` reads."""
_BODY_LIKE_WORDS = 20
_DATE_LIKE_FROM = 946_684_800  # 2000-01-01 in seconds: smaller numbers are counts, not times


def article_from_record(
    record: object, path: str, line: int, *, date_order: DateOrder = None
) -> Article:
    """Turn one decoded JSON value into an article, or raise an :class:`IngestError`."""
    if not isinstance(record, dict):
        raise IngestError(path, line, f"expected a JSON object, found {json_type(record)}")
    chosen = {field: _choose(record, keys) for field, keys in FIELD_KEYS.items()}
    fields: dict[str, Any] = {}
    for field, (key, value) in chosen.items():
        if key is None:
            continue
        try:
            fields[field] = _convert(field, value, date_order)
        except (ValueError, TypeError) as exc:
            raise IngestError(path, line, f"field {key!r}: {exc}") from exc
    if fields.get("id") is None:
        fields.pop("id", None)
    ignored = _ignored_key(record, fields)
    if ignored:
        raise IngestError(path, line, ignored)
    try:
        return Article(**fields)
    except (ValueError, TypeError) as exc:
        raise IngestError(path, line, _explain(fields, chosen, exc)) from exc


def _explain(fields: dict[str, Any], chosen: dict[str, Any], exc: Exception) -> str:
    """The model's complaint, prefixed with the key that caused it when one field alone does.

    The model's converters do not say which field they were converting, so each field is tried
    on its own next to a placeholder text (this runs only for bad records).
    """
    for field, value in fields.items():
        placeholder = {"title": "-"} if field == "body" else {"body": "-"}
        try:
            Article(**{**placeholder, field: value})
        except (ValueError, TypeError) as field_exc:
            return f"field {chosen[field][0]!r}: {field_exc}"
    return str(exc)


def _choose(record: dict[str, Any], keys: Iterable[str]) -> tuple[str | None, Any]:
    """The first of ``keys`` holding a value, and its value; a wrong type counts as a value."""
    for key in keys:
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return key, value
    return None, None


def _convert(field: str, value: Any, date_order: DateOrder = None) -> Any:
    if field in ("title", "body"):
        if not isinstance(value, str):
            raise TypeError(f"expected text, not {type(value).__name__}")
        return _text(value, paragraphs=field == "body")
    if field == "published":
        return parse_date(value, order=date_order)
    if field == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # numeric ids are common in JSON exports
    if field == "url" and isinstance(value, str):
        return canonical_url(value.strip())
    if field == "source" and isinstance(value, dict):
        return _name_of(value, "a source")
    if field == "authors" and isinstance(value, dict):  # schema.org: {"@type": "Person", ...}
        return [_name_of(value, "an author")]
    if field == "authors" and isinstance(value, list):
        return [_name_of(item, "an author") if isinstance(item, dict) else item for item in value]
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_text(item) if isinstance(item, str) else item for item in value]
    return value


def _name_of(value: dict[str, Any], what: str) -> str:
    name = value.get("name")
    if not isinstance(name, str):
        raise TypeError(f"{what} given as an object needs a 'name' string")
    return clean_text(name)


_CUT_MARKER = re.compile(r"\s*(?:\u2026|\.\.\.)?\s*\[\+\d+ chars\]\s*$")
"""NewsAPI's note at the end of a cut-off ``content``: ``... [+1234 chars]``."""


def _text(value: str, *, paragraphs: bool) -> str:
    text = _CUT_MARKER.sub("", clean_text(value))
    if "&lt;" in text and looks_like_html(html.unescape(text)):
        text = html.unescape(text)  # HTML escaped once more, as some exports write it
    if looks_like_html(text):
        return clean_text(html_to_text(text, paragraphs=paragraphs))
    return clean_text(text, unescape=True)


def _ignored_key(record: dict[str, Any], fields: dict[str, Any]) -> str | None:
    """Why the record would lose a field to a key newsindex does not read, or ``None``."""
    unknown = [key for key in record if key not in KNOWN_KEYS]
    if not str(fields.get("body", "")).strip():
        for key in unknown:
            value = record[key]
            if isinstance(value, str) and len(value.split()) >= _BODY_LIKE_WORDS:
                return (
                    f"the article has no body, and key {key!r} holding a text of "
                    f"{len(value.split())} words is not read: rename it to 'body'"
                )
    if fields.get("published") is None:
        for key in unknown:
            if ("date" in key.lower() or "time" in key.lower()) and _reads_as_date(record[key]):
                return (
                    f"the article has no date, and key {key!r} holding one is not read: "
                    "rename it to 'published'"
                )
    return None


def _reads_as_date(value: object) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < _DATE_LIKE_FROM:
        return False
    try:
        return isinstance(parse_date(value), dt.datetime)
    except (ValueError, TypeError):
        return False


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
