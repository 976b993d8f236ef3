"""The values newsindex passes around: articles in, hits and statistics out.

All models are frozen attrs classes; collections are tuples. Converters accept the loose forms
readers meet in the wild (a single author as a string, an ISO date string) and validators reject
what cannot be an article, with a ``ValueError``/``TypeError`` whose message readers wrap into an
:class:`~newsindex.errors.IngestError` naming file and line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Any, Literal

import attrs

__all__ = [
    "Article",
    "CopyReport",
    "Hit",
    "ImportSummary",
    "IndexCheck",
    "IndexStats",
    "Match",
    "RepairReport",
    "SearchResults",
    "Skipped",
    "Sort",
    "canonical_url",
    "make_article_id",
    "parse_datetime",
]

Sort = Literal["relevance", "newest", "oldest"]
"""The orders a page of hits can come in: by relevance, or by publication date."""

Match = Literal["auto", "all", "any"]
"""How the words of a query must match (see :meth:`newsindex.NewsIndex.search`)."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(value: object) -> dt.datetime | None:
    """Turn ``None``, a date, a datetime or an ISO 8601 string into a timezone-aware datetime.

    Naive values are taken to be UTC, since news feeds that omit the zone rarely mean local time
    of the reading machine. Empty strings mean "no date".
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if not isinstance(value, str):
        raise TypeError(f"a date must be a string, not {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = (
            dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
            if _ISO_DATE.match(text)
            else dt.datetime.fromisoformat(text)
        )
    except ValueError:
        raise ValueError(f"invalid date {value!r} (expected YYYY-MM-DD or ISO 8601)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _to_names(value: object) -> tuple[str, ...]:
    """A string or a list of strings, as a tuple of stripped, non-empty strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, (bytes, dict)):
        raise TypeError(f"expected a string or a list of strings, not {type(value).__name__}")
    names = []
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"expected a list of strings, found {type(item).__name__}")
        if item.strip():
            names.append(" ".join(item.split()))
    return tuple(dict.fromkeys(names))


def _to_text(value: object) -> str:
    """Text fields accept ``None`` as empty; anything else must already be a string."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    return value


def _to_optional_text(value: object) -> str | None:
    text = _to_text(value).strip()
    return text or None


def _to_language(value: object) -> str:
    """A language code; ``None`` or blank means English."""
    return _to_text(value).strip() or "en"


_TRACKING = frozenset({"fbclid", "gclid"})


def canonical_url(url: str) -> str:
    """``url`` without tracking parameters and fragment; unchanged (the same string) without them.

    A fragment that is a route (``#/...``, ``#!...``) names a page of its own and is kept.
    """
    base, hash_mark, fragment = url.partition("#")
    if hash_mark and fragment.startswith(("/", "!")):
        base, fragment = url, ""
    address, question, query = base.partition("?")
    if question:
        params = [p for p in query.split("&") if p and not _is_tracking(p.partition("=")[0])]
        base = address + ("?" + "&".join(params) if params else "")
    return base


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in _TRACKING


def make_article_id(url: str | None, title: str, body: str) -> str:
    """A stable 16-hex-digit id: from the URL when there is one (as :func:`canonical_url`
    gives it, so a story shared twice is one article), else from the text.

    Re-importing the same article therefore replaces it instead of adding a duplicate.
    """
    if url:
        url = canonical_url(url.strip())
    key = "url:" + url.strip() if url else "text:" + title.strip() + "\n" + body.strip()
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


@attrs.frozen(kw_only=True)
class Article:
    """One news article, as read from any source and as stored in the index."""

    title: str = attrs.field(default="", converter=_to_text)
    """The headline; may be empty when there is a body."""
    body: str = attrs.field(default="", converter=_to_text)
    """The article text, paragraphs separated by blank lines."""
    url: str | None = attrs.field(default=None, converter=_to_optional_text)
    """Where the article was published, if known."""
    id: str = attrs.field(converter=_to_text)
    """Unique key in the index; derived from the URL or the text when not given."""
    published: dt.datetime | None = attrs.field(default=None, converter=parse_datetime)
    """Publication time, timezone-aware (naive input is taken as UTC)."""
    authors: tuple[str, ...] = attrs.field(default=(), converter=_to_names)
    """Bylines, in order."""
    source: str | None = attrs.field(default=None, converter=_to_optional_text)
    """The publication, e.g. "Kyiv Independent"."""
    section: str | None = attrs.field(default=None, converter=_to_optional_text)
    """The desk or section, e.g. "Politics"."""
    tags: tuple[str, ...] = attrs.field(default=(), converter=_to_names)
    """Keywords or categories."""
    language: str = attrs.field(default="en", converter=_to_language)
    """ISO 639-1 language code."""

    @id.default
    def _derive_id(self) -> str:
        return make_article_id(self.url, self.title, self.body)

    @id.validator
    def _check_id(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if not value.strip():
            raise ValueError("an article id must not be empty")

    def __attrs_post_init__(self) -> None:
        if not self.title.strip() and not self.body.strip():
            raise ValueError("the article has neither a title nor a body")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an article from a mapping, accepting common aliases and ignoring other keys.

        ``date`` stands for ``published``, ``author`` for ``authors``, ``categories`` for ``tags``.
        """
        aliases = {"date": "published", "author": "authors", "categories": "tags"}
        known = {f.name for f in attrs.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = aliases.get(key, key)
            if name in known and (name not in kwargs or value is not None):
                kwargs[name] = value
        if kwargs.get("id") is None:
            kwargs.pop("id", None)
        elif isinstance(kwargs["id"], int) and not isinstance(kwargs["id"], bool):
            kwargs["id"] = str(kwargs["id"])  # numeric ids are common in JSON exports
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (dates as ISO 8601 strings) that ``from_dict`` reads back."""
        data = {k: list(v) if isinstance(v, tuple) else v for k, v in attrs.asdict(self).items()}
        data["published"] = self.published.isoformat() if self.published else None
        return data


@attrs.frozen(kw_only=True)
class Hit:
    """One search result."""

    id: str
    """The article's id (``NewsIndex.get`` takes it)."""
    title: str
    """The headline."""
    published: dt.datetime | None
    """Publication time, if known."""
    source: str | None
    """The publication."""
    url: str | None
    """The article's address, if known."""
    authors: tuple[str, ...]
    """Bylines."""
    score: float
    """Relevance score (BM25F); comparable only within one result list."""
    rank: int
    """1-based position in the whole result list (not just the page)."""
    snippet: str
    """A passage of the original text around the matches."""
    highlights: tuple[tuple[int, int], ...] = ()
    """``(start, end)`` character spans of the matched words within ``snippet``."""


@attrs.frozen(kw_only=True)
class SearchResults:
    """One page of results for a query."""

    hits: tuple[Hit, ...]
    """The hits on this page, best first (or in the requested date order)."""
    total: int
    """How many articles match in all."""
    page: int
    """The 1-based page number."""
    limit: int
    """Hits per page."""
    query: str
    """The query as newsindex understood it (after analysis), for display and debugging."""
    sort: Sort = "relevance"
    """The order of the hits: ``relevance``, ``newest`` or ``oldest``."""

    @property
    def pages(self) -> int:
        """The number of pages for ``total`` hits."""
        return max(1, -(-self.total // self.limit))


@attrs.frozen(kw_only=True)
class IndexStats:
    """What an index holds."""

    path: str
    """Where the index is: its folder, or its URL on OpenSearch (``NewsIndex.location``)."""
    articles: int
    """Number of articles."""
    first_published: dt.datetime | None
    """The earliest publication date, if any article has one."""
    last_published: dt.datetime | None
    """The latest publication date."""
    size_bytes: int
    """Bytes on disk."""
    schema_version: int
    """The newsindex schema version the index was written with."""


@attrs.frozen(kw_only=True)
class Skipped:
    """A bad record left out of an import run in skip mode."""

    path: str
    """The file it came from."""
    line: int
    """1-based line (0 when the whole file was unreadable)."""
    reason: str
    """What was wrong with it."""


@attrs.frozen(kw_only=True)
class ImportSummary:
    """What an import did."""

    added: int
    """Articles written (new or replacing an article with the same id)."""
    skipped: tuple[Skipped, ...] = ()
    """Bad records left out (only in skip mode; otherwise the import fails instead)."""
    ignored: tuple[str, ...] = ()
    """Files of other types found in folders and not read (hidden files are not listed)."""
    passed_over: tuple[str, ...] = ()
    """The content type of each web-archive response that is not a page, left unread."""


@attrs.frozen(kw_only=True)
class IndexCheck:
    """What reading a whole index folder found (``NewsIndex.check``)."""

    path: str
    """The index folder."""
    articles: int
    """Articles that could be read."""
    segments: int
    """Segments looked at."""
    problems: tuple[str, ...] = ()
    """What is wrong, each naming a file (empty for a sound index)."""
    notes: tuple[str, ...] = ()
    """What is harmless (files an unfinished write left, which the next write removes)."""

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems


@attrs.frozen(kw_only=True)
class RepairReport:
    """What ``NewsIndex.repair`` did."""

    path: str
    """The index folder."""
    recovered: int
    """Articles in the repaired index."""
    lost: tuple[str, ...] = ()
    """What could not be saved, each naming a file."""
    notes: tuple[str, ...] = ()
    """Caveats about what was saved."""
    moved_aside: tuple[str, ...] = ()
    """The damaged files, moved (never deleted) into :attr:`aside_folder`."""
    aside_folder: str | None = None
    """Where the damaged files went (None when nothing was damaged)."""


@attrs.frozen(kw_only=True)
class CopyReport:
    """What ``NewsIndex.copy_to`` did."""

    index: str
    """Where the articles went: the concrete index behind an alias, or the new folder."""
    alias: str | None = None
    """The alias now naming :attr:`index` (None for a copy into a folder)."""
    copied: int
    """Articles written by this run."""
    present: int = 0
    """Articles an earlier, interrupted run of the same copy had written already."""
    previous: tuple[str, ...] = ()
    """The indexes the alias named before, kept, not deleted."""
