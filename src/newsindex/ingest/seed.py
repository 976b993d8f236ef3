"""Parse the seed text format: one scraped news article per ``.txt`` file.

The format, as scraped from the Kyiv Independent (``seeds/README.md`` has a full example)::

     date 2025-03-16 <site banner, not part of the article>

    <title>

    by <Name> [and <Name>] <Month D, YYYY> [<H:MM AM>] [<N min read>]
    <photo caption>
    This audio is created with AI assistance

    <body paragraph>

    <body paragraph>

Scraped articles vary, so the parser is tolerant where a part is missing (no date line, no
byline, no time, no caption, no audio notice) and strict where a part is there but wrong: an
impossible date raises an :class:`IngestError` naming its line. The byline's date and time
(taken as UTC) win over the date line. NUL and the other C0 control characters except ``\\n`` and
``\\t`` are stripped; HTML entities in the title and body are decoded.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

from newsindex.errors import IngestError
from newsindex.ingest.common import clean_text, decode_text, read_failure
from newsindex.models import Article, parse_datetime

__all__ = ["BANNER_SOURCES", "parse_seed", "read_seed", "seed_article_id"]

BANNER_SOURCES: tuple[tuple[str, str], ...] = (("Kyiv Independent", "Kyiv Independent"),)
"""``(text, source)`` pairs: a date-line banner containing ``text`` names the publication."""

_MONTH_NAMES = (
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
)
_MONTHS = {
    **{name: number for number, name in enumerate(_MONTH_NAMES, 1)},
    **{name[:3]: number for number, name in enumerate(_MONTH_NAMES, 1)},
    "sept": 9,
}

_DATE_LINE = re.compile(r"date\s+(?P<date>\d\S*)(?:\s+(?P<banner>.*))?")
_BYLINE = re.compile(
    r"[Bb]y\s+(?P<names>.+?)"
    r"(?:\s+(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"(?:,?\s+(?P<time>(?P<hour>\d{1,2}):(?P<minute>\d{2}))"
    r"(?:\s*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?)?)?"
    r"(?:\s+\d+\s+min(?:ute)?s?\.?\s+read)?"
)
_NAME_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
# A name: a capitalised word and up to four more words ("Ursula von der Leyen", "J.R. Smith Jr."),
# so that a sentence starting with "By" is not taken for a byline.
_NAME = re.compile(r"[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){0,4}")
_AUDIO_NOTICE = re.compile(
    r"this audio is (?:created|generated) with (?:the )?ai assistance\.?", re.I
)
# A photo credit closing the line: "(Name/Agency)", "(Photo: ...)", "(Courtesy of ...)".
_CAPTION = re.compile(
    r"\((?:[^()]*\w/\w[^()]*|(?:photos?|photograph|credit|courtesy|illustration)\b[^()]*)\)$",
    re.I,
)
# The audio notice sits right under the byline; looking further would risk eating the body.
_NOTICE_WINDOW = 3
_SEED_FILE_NAME = re.compile(r"\d+_(?P<id>[0-9a-fA-F]{16})\.txt")


def parse_seed(
    text: str,
    *,
    path: str = "<text>",
    article_id: str | None = None,
    source: str | None = None,
) -> Article:
    """Parse one article in the seed text format; ``path`` is only used in error messages.

    Without ``article_id`` the model derives the id from the text. Without ``source`` it is
    looked up from the date-line banner in :data:`BANNER_SOURCES` (and stays ``None`` if no
    entry matches).
    """
    lines = [line.strip() for line in clean_text(text).split("\n")]
    pos, published, banner = 0, None, ""

    first = _next_content(lines, 0)
    date_line = _DATE_LINE.fullmatch(lines[first]) if first is not None else None
    if first is not None and date_line:
        published = _parse_date_line(date_line["date"], path, first + 1)
        banner = date_line["banner"] or ""
        pos = first + 1

    title = ""
    at = _next_content(lines, pos)
    if at is not None and not _match_byline(lines[at]):
        title, pos = lines[at], at + 1

    authors: tuple[str, ...] = ()
    at = _next_content(lines, pos)
    byline = _match_byline(lines[at]) if at is not None else None
    if at is not None and byline:
        authors = tuple(_NAME_SEPARATOR.split(byline["names"]))
        published = _parse_byline_time(byline, path, at + 1) or published
        pos = at + 1

    pos = _skip_caption(lines, pos)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines[pos:]).strip("\n"))

    fields: dict[str, object] = {
        "title": clean_text(title, unescape=True),
        "body": clean_text(body, unescape=True),
        "published": published,
        "authors": authors,
        "source": source or _source_from_banner(banner),
    }
    if article_id:
        fields["id"] = article_id
    try:
        return Article(**fields)
    except (ValueError, TypeError) as exc:
        raise IngestError(path, 0, str(exc)) from exc


def read_seed(path: str | os.PathLike[str], *, source: str | None = None) -> Iterator[Article]:
    """Yield the one article of a seed ``.txt`` file.

    A file named like ``000_cf3f115601c28b53.txt`` gives its hex part as the article id.
    """
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise IngestError(name, 0, read_failure(exc)) from exc
    text = decode_text(data, name)
    yield parse_seed(text, path=name, article_id=seed_article_id(path), source=source)


def seed_article_id(path: str | os.PathLike[str]) -> str | None:
    """The id encoded in a seed file name (``NNN_<16 hex digits>.txt``), or ``None``."""
    match = _SEED_FILE_NAME.fullmatch(Path(path).name)
    return match["id"].lower() if match else None


def _next_content(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i]), None)


def _match_byline(line: str) -> re.Match[str] | None:
    """A byline match, if every name in it looks like a person's name."""
    match = _BYLINE.fullmatch(line)
    if not match:
        return None
    names = _NAME_SEPARATOR.split(match["names"])
    if all(_NAME.fullmatch(name) and name[0].isupper() for name in names):
        return match
    return None


def _parse_date_line(value: str, path: str, line: int) -> dt.datetime | None:
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise IngestError(path, line, str(exc)) from exc


def _parse_byline_time(match: re.Match[str], path: str, line: int) -> dt.datetime | None:
    """The byline's date and time as a UTC datetime; ``None`` when the byline has no date."""
    if not match["year"]:
        return None
    written = f"{match['month']} {match['day']}, {match['year']}"
    try:
        date = dt.date(int(match["year"]), _MONTHS[match["month"].lower()], int(match["day"]))
    except (KeyError, ValueError):
        raise IngestError(path, line, f"invalid date {written!r} in the byline") from None
    hour, minute = 0, 0
    if match["time"]:
        hour, minute = int(match["hour"]), int(match["minute"])
        ampm = (match["ampm"] or "").lower()
        if (ampm and not 1 <= hour <= 12) or hour > 23 or minute > 59:
            shown = f"{match['time']} {ampm.upper()}M" if ampm else match["time"]
            raise IngestError(path, line, f"invalid time {shown!r} in the byline")
        if ampm:
            hour = hour % 12 + (12 if ampm == "p" else 0)
    return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=dt.timezone.utc)


def _skip_caption(lines: list[str], pos: int) -> int:
    """Where the body starts: after the photo caption and the audio notice, if there are any.

    Everything up to an audio notice close under the byline is caption. Without a notice, the
    first line is a caption only if it ends with a photo credit.
    """
    ahead = list(itertools.islice((i for i in range(pos, len(lines)) if lines[i]), _NOTICE_WINDOW))
    for i in ahead:
        if _AUDIO_NOTICE.fullmatch(lines[i]):
            return i + 1
    if ahead and _CAPTION.search(lines[ahead[0]]):
        return ahead[0] + 1
    return pos


def _source_from_banner(banner: str) -> str | None:
    return next((source for text, source in BANNER_SOURCES if text in banner), None)
