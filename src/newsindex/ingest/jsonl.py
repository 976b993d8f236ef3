"""Read articles from JSON: JSON Lines (``.jsonl``, ``.ndjson``, gzipped or not) and ``.json``.

Each record is a JSON object read by :func:`newsindex.ingest.records.article_from_record`, which
knows the field names of common news exports (``content``, ``headline``, ``pubDate``,
``publishedAt`` ...) and says which key wins when a record has several.
Every problem becomes an :class:`IngestError` naming file and line. With ``on_error=None`` the
first one is raised; otherwise ``on_error(err)`` is called and reading goes on with the next
record ("skip mode").
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from newsindex.errors import IngestError
from newsindex.ingest.common import (
    OnError,
    decode_text,
    open_binary,
    read_failure,
    report_error,
    utf8_reason,
)
from newsindex.ingest.dates import DateOrder
from newsindex.ingest.records import KNOWN_KEYS, article_from_record, json_type
from newsindex.models import Article

__all__ = ["article_from_record", "read_json", "read_jsonl"]

_ENVELOPE_KEYS = ("articles", "items", "data")
_END = object()  # marks the end of an array
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
# Not strict: a raw control character inside a string is accepted (clean_text strips it)
# rather than costing the whole record.
_DECODER = json.JSONDecoder(strict=False)


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = None,
    column_map: Mapping[str, str] | None = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    """Yield the articles of a JSON Lines file, one object per line; blank lines are skipped.

    ``column_map`` (article field to record key) reads a field from a key of the export's own
    naming, before the usual names; a record without that key is read as if there were no map.
    ``date_order`` reads a date such as ``03/04/2025`` day first or month first.

    Gzipped files are recognised by their content, whatever the name. Lines are decoded one by
    one, so a bad byte is reported on its own line and, in skip mode, costs only that line.
    """
    name = str(path)
    try:
        stream = open_binary(path)
    except OSError as exc:
        report_error(IngestError(name, 0, read_failure(exc)), on_error)
        return
    lineno = 0
    try:
        with stream:
            for lineno, raw in enumerate(stream, 1):
                if not raw.strip():
                    continue
                try:
                    article = _parse_line(raw, name, lineno, column_map, date_order)
                except IngestError as err:
                    report_error(err, on_error)
                    continue
                yield article
    except (OSError, EOFError, zlib.error) as exc:
        # A broken gzip stream or a failing disk: nothing after this point can be read.
        report_error(IngestError(name, lineno + 1 if lineno else 0, read_failure(exc)), on_error)


def read_json(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = None,
    column_map: Mapping[str, str] | None = None,
    date_order: DateOrder = None,
) -> Iterator[Article]:
    """Yield the articles of a ``.json`` file: one article object, an array of them, or an
    envelope around an array (NewsAPI's ``{"status": "ok", "articles": [...]}``).
    ``column_map`` and ``date_order`` are as for :func:`read_jsonl`.

    An envelope is an object with none of an article's keys and an ``articles``, ``items`` or
    ``data`` array (the first of these it has); errors in its articles name the key and index
    (``articles[3]: ...``). Gzipped files are recognised by their content, whatever the name.
    Errors name the line where the offending object starts. A syntax error ends the file (in
    skip mode: one error, then the next file); a bad object in an array skips only that object.
    """
    name = str(path)
    try:
        with open_binary(path) as stream:
            data = stream.read()
        text = decode_text(data, name)
    except (OSError, EOFError, zlib.error) as exc:
        report_error(IngestError(name, 0, read_failure(exc)), on_error)
        return
    except IngestError as err:
        report_error(err, on_error)
        return
    for line, value, label in _json_values(text, name):
        if isinstance(value, IngestError):  # a syntax error: the rest cannot be read
            report_error(value, on_error)
            return
        try:
            record = _mapped(value, column_map)
            article = article_from_record(record, name, line, date_order=date_order)
        except IngestError as err:
            if label:
                err = IngestError(err.path, err.line, f"{label}: {err.reason}")
            report_error(err, on_error)
            continue
        yield article


def _mapped(record: Any, column_map: Mapping[str, str] | None) -> Any:
    """``record`` with each mapped key's value under its article field's name."""
    if not column_map or not isinstance(record, dict):
        return record
    mapped = dict(record)
    for field, key in column_map.items():
        if key in mapped:
            mapped[field] = mapped.pop(key)
    return mapped


def _parse_line(
    raw: bytes,
    path: str,
    lineno: int,
    column_map: Mapping[str, str] | None = None,
    date_order: DateOrder = None,
) -> Article:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(path, lineno, utf8_reason(exc, exc.start)) from exc
    if lineno == 1:
        text = text.removeprefix("\ufeff")
    try:
        record = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:  # too many digits, too deeply nested
        raise IngestError(path, lineno, f"invalid JSON: {_limit_reason(exc)}") from exc
    return article_from_record(_mapped(record, column_map), path, lineno, date_order=date_order)


def _json_values(text: str, path: str) -> Iterator[tuple[int, Any, str | None]]:
    """The top-level object, each element of the top-level array, or each article of an
    envelope, with its starting line and, for an envelope's articles, ``key[index]``.

    A syntax error is yielded (as ``(line, IngestError, None)``) rather than raised, so the
    caller can tell it apart from an error raised by its own error handler.
    """
    counted_to, line = 0, 1

    def line_at(pos: int) -> int:
        nonlocal counted_to, line  # positions only grow, so count newlines incrementally
        line += text.count("\n", counted_to, pos)
        counted_to = pos
        return line

    def skip_space(pos: int) -> int:
        return _JSON_SPACE.match(text, pos).end()  # type: ignore[union-attr]  # always matches

    def array(pos: int) -> Iterator[tuple[int, Any, int]]:
        """Each element of the array opening at ``pos``, its line, and where it ends."""
        pos = skip_space(pos + 1)
        if text.startswith("]", pos):
            yield 0, _END, pos + 1
            return
        while True:
            start = line_at(pos)
            value, pos = _DECODER.raw_decode(text, pos)
            pos = skip_space(pos)
            if text.startswith(",", pos):
                yield start, value, pos
                pos = skip_space(pos + 1)
            elif text.startswith("]", pos):
                yield start, value, pos
                yield 0, _END, pos + 1
                return
            else:
                yield start, value, pos
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)

    def members(pos: int) -> tuple[dict[str, Any], dict[str, list[tuple[int, Any]]], int]:
        """The object opening at ``pos``: its members, the lines of its envelope arrays' elements,
        and where it ends."""
        found: dict[str, Any] = {}
        lines: dict[str, list[tuple[int, Any]]] = {}
        pos = skip_space(pos + 1)
        if text.startswith("}", pos):
            return found, lines, pos + 1
        while True:
            if not text.startswith('"', pos):
                raise json.JSONDecodeError(
                    "Expecting property name enclosed in double quotes", text, pos
                )
            key, pos = _DECODER.raw_decode(text, pos)
            pos = skip_space(pos)
            if not text.startswith(":", pos):
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            pos = skip_space(pos + 1)
            if key in _ENVELOPE_KEYS and text.startswith("[", pos):
                elements = []
                for at, value, end in array(pos):
                    if value is _END:
                        pos = end
                    else:
                        elements.append((at, value))
                lines[key] = elements
                found[key] = [value for _, value in elements]
            else:
                found[key], pos = _DECODER.raw_decode(text, pos)
            pos = skip_space(pos)
            if text.startswith(",", pos):
                pos = skip_space(pos + 1)
            elif text.startswith("}", pos):
                return found, lines, pos + 1
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)

    try:
        pos = skip_space(0)
        start = line_at(pos)
        if text.startswith("{", pos):
            found, lines, pos = members(pos)
            _check_end(text, skip_space(pos))
            key = _envelope_key(found)
            if key is None:
                yield start, found, None
            elif found.get("status") == "error":
                reason = f"an error response, not articles: {found.get('message', '')}"
                yield start, IngestError(path, start, reason.rstrip(": ")), None
            else:
                for index, (at, value) in enumerate(lines.get(key, [])):
                    yield at, value, f"{key}[{index}]"
            return
        if not text.startswith("[", pos):
            value, pos = _DECODER.raw_decode(text, pos)
            _check_end(text, skip_space(pos))
            found_type = json_type(value)
            reason = f"expected a JSON object or an array of objects, found {found_type}"
            yield start, IngestError(path, start, reason), None
            return
        for at, value, end in array(pos):
            if value is _END:
                _check_end(text, skip_space(end))
            else:
                yield at, value, None
    except json.JSONDecodeError as exc:
        yield (
            exc.lineno,
            IngestError(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})"),
            None,
        )
    except (ValueError, RecursionError) as exc:
        yield 0, IngestError(path, 0, f"invalid JSON: {_limit_reason(exc)}"), None


def _envelope_key(found: dict[str, Any]) -> str | None:
    """The key of the articles when ``found`` is an envelope around them, else ``None``.

    A NewsAPI error response (``"status": "error"``) counts as an envelope, so it is reported
    as one rather than as an article without text.
    """
    if any(key in KNOWN_KEYS for key in found):
        return None
    if found.get("status") == "error" and "message" in found:
        return "articles"
    return next((k for k in _ENVELOPE_KEYS if isinstance(found.get(k), list)), None)


def _check_end(text: str, pos: int) -> None:
    if pos != len(text):
        raise json.JSONDecodeError("Extra data", text, pos)


def _limit_reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "a number has too many digits"
