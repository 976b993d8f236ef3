"""Publication dates as news exports write them, read into timezone-aware datetimes.

Accepted: ISO 8601 (``2025-03-16``, ``2025-03-16T04:16:00Z``, with an offset, a fraction or a
space for the ``T``), RFC 822/1123 as RSS writes it (``Sun, 16 Mar 2025 04:16:00 +0000``,
``... GMT``), a written month (``16 March 2025``, ``March 16, 2025``, ``16 Mar. 2025``), a
numeric day and month with the year last (``16/03/2025``, ``16.03.2025``) when only one
reading is possible, and numbers of seconds or, from 10^11 up, milliseconds since 1970 (UTC).
A time without a zone is taken as UTC, as :func:`newsindex.models.parse_datetime` does.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re
from typing import Literal

__all__ = ["parse_date"]

_MONTH_TABLE = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_TABLE, 1) for name in names}
_MONTH_NAMES = [names[0].title() for names in _MONTH_TABLE]
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = r"(?:[A-Za-z]{3,9},?\s+)?"
_WRITTEN = (
    re.compile(rf"{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}"),
    re.compile(rf"{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}"),
)
_NUMERIC = re.compile(r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})")
_RFC_822 = re.compile(r"(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")
_MILLISECONDS_FROM = 10**11  # as seconds, the year 5138; as milliseconds, 1973
_EXPECTED = "expected ISO 8601, RFC 822, '16 March 2025' or seconds since 1970"


DateOrder = Literal["dayfirst", "monthfirst"] | None
"""How to read a numeric date both ways valid (``03/04/2025``); None: it is an error."""


def parse_date(value: object, *, order: DateOrder = None) -> dt.datetime | None:
    """``value`` as a UTC-aware datetime; ``None`` and blank strings mean "no date".

    Raises ``ValueError`` naming the value (and, for ``03/04/2025``, both readings, unless
    ``order`` says which) when it is not a date, and ``TypeError`` when it is neither a string
    nor a number.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"a date must be a string or a number, not {type(value).__name__}")
    if not isinstance(value, str):
        return _from_epoch(value)
    text = " ".join(value.split())
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):  # seconds or milliseconds, written as text
        return _from_epoch(float(text))
    parsed = _parse_text(text, order)
    if parsed is None:
        raise ValueError(f"invalid date {value!r} ({_EXPECTED})")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _parse_text(text: str, order: DateOrder = None) -> dt.datetime | None:
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", iso):
            return dt.datetime.combine(dt.date.fromisoformat(iso), dt.time())
        if re.match(r"\d{4}-\d{2}-\d{2}[Tt ]\d", iso):
            return dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    if _RFC_822.match(text):
        try:
            return email.utils.parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError, OverflowError):
            return None
    for pattern in _WRITTEN:
        match = pattern.fullmatch(text)
        if match and match["month"].lower() in _MONTHS:
            return _from_parts(int(match["year"]), _MONTHS[match["month"].lower()], match["day"])
    match = _NUMERIC.fullmatch(text)
    if match:
        return _from_numeric(text, int(match["a"]), int(match["b"]), int(match["year"]), order)
    return None


def _from_parts(year: int, month: int, day: str | int) -> dt.datetime | None:
    try:
        return dt.datetime(year, month, int(day))
    except ValueError:
        return None


def _from_numeric(
    text: str, first: int, second: int, year: int, order: DateOrder = None
) -> dt.datetime | None:
    """``first``/``second``/``year``, read day first or month first, whichever is a date (or
    the one ``order`` names when both are)."""
    day_first = _from_parts(year, second, first)
    month_first = _from_parts(year, first, second)
    if day_first and month_first and day_first != month_first:
        if order is not None:
            return day_first if order == "dayfirst" else month_first
        readings = f"{_spoken(day_first)} or {_spoken(month_first)}"
        raise ValueError(
            f"ambiguous date {text!r}: {readings}; write it as YYYY-MM-DD "
            f"({day_first:%Y-%m-%d} or {month_first:%Y-%m-%d})"
        )
    return day_first or month_first


def _spoken(date: dt.datetime) -> str:
    return f"{date.day} {_MONTH_NAMES[date.month - 1]} {date.year}"


def _from_epoch(number: float) -> dt.datetime:
    if not math.isfinite(number):
        raise ValueError(f"invalid date {number!r} (not a number of seconds)")
    seconds = number / 1000 if abs(number) >= _MILLISECONDS_FROM else number
    try:
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"invalid date {number!r} (out of range as seconds since 1970)") from None
