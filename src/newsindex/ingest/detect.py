"""Tell a file's type by its content, for names that do not say it (no extension, ``.gz``,
``.xml``, ``.htm``, ``.html``) and for standard input.

A gzipped stream is recognised by its magic bytes and looked into. The start of the text (a BOM
and leading white space dropped) is then offered to each ``(predicate, file type)`` pair of
:data:`CONTENT_TYPES` in order; the first predicate that accepts it names the
:data:`~newsindex.ingest.files.FILE_TYPES` key whose reader reads the file.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable

from newsindex.ingest.common import GZIP_MAGIC
from newsindex.ingest.csvfile import looks_like_csv
from newsindex.ingest.feeds import looks_like_feed
from newsindex.ingest.pages import looks_like_page

__all__ = ["CONTENT_TYPES", "GZIP_MAGIC", "HEAD_BYTES", "detect_type", "head_text"]

HEAD_BYTES = 64 * 1024
"""How much of the start of a file (after decompression) the predicates see."""

_DECODER = json.JSONDecoder(strict=False)


def _looks_like_json_lines(head: str) -> bool:
    """A first line that is a JSON object on its own."""
    first = head.split("\n", 1)[0].strip()
    if not first.startswith("{"):
        return False
    try:
        return isinstance(_DECODER.decode(first), dict)
    except ValueError:
        return False


def _looks_like_json(head: str) -> bool:
    return head.startswith(("{", "["))


CONTENT_TYPES: list[tuple[Callable[[str], bool], str]] = [
    (_looks_like_json_lines, ".jsonl"),
    (_looks_like_json, ".json"),
    # Markup before the CSV sniffer: a feed first, since an XHTML page is XML too.
    (looks_like_feed, ".rss"),
    (looks_like_page, ".html"),
    (looks_like_csv, ".csv"),
]
"""``(predicate, file type)`` pairs, tried in order on the start of the text."""


def head_text(data: bytes) -> str:
    """The start of a file as the predicates see it: gunzipped, decoded, trimmed at the front."""
    if data.startswith(GZIP_MAGIC):
        try:
            data = zlib.decompressobj(wbits=31).decompress(data, HEAD_BYTES)
        except zlib.error:
            return ""
    text = data[:HEAD_BYTES].decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff").lstrip()


def detect_type(path: str | os.PathLike[str]) -> str | None:
    """The :data:`CONTENT_TYPES` file type of a file's content, or ``None`` if none claims it.

    Raises ``OSError`` when the file cannot be read.
    """
    with open(path, "rb") as file:
        head = head_text(file.read(HEAD_BYTES))
    return next((kind for predicate, kind in CONTENT_TYPES if head and predicate(head)), None)
