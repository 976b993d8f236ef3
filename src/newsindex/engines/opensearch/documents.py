"""Articles as OpenSearch documents, and the server's marked passages as snippets."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from newsindex.engines.opensearch.compile import MARK_END, MARK_START
from newsindex.engines.snippet_window import SNIPPET_CHARS, best_window, word_end, word_start
from newsindex.models import Article

__all__ = ["make_snippet", "published_at", "to_article", "to_source"]


def to_source(article: Article) -> dict[str, Any]:
    """The document stored for an article, under the index's field names."""
    published = article.published
    if published is not None:
        published = published.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "url": article.url,
        "published": published.isoformat() if published else None,
        "author": list(article.authors),
        "source": article.source,
        "section": article.section,
        "tag": list(article.tags),
        "language": article.language,
    }


def published_at(value: str | None) -> dt.datetime | None:
    """A stored date (ISO 8601, naive meaning UTC) as an aware datetime in UTC."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def to_article(source: dict[str, Any]) -> Article:
    """The article a stored document holds."""
    return Article(
        id=source["id"],
        title=source.get("title") or "",
        body=source.get("body") or "",
        url=source.get("url"),
        published=published_at(source.get("published")),
        authors=tuple(source.get("author") or ()),
        source=source.get("source"),
        section=source.get("section"),
        tags=tuple(source.get("tag") or ()),
        language=source.get("language") or "en",
    )


_SPACE = re.compile(r"\s+")
_MARKED = re.compile(f"{MARK_START}([^{MARK_END}]*){MARK_END}")


def _unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text of a marked field and the spans of its marked words."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    length = cursor = 0
    for found in _MARKED.finditer(marked):
        pieces.append(marked[cursor : found.start()])
        length += found.start() - cursor
        word = found.group(1)
        spans.append((length, length + len(word)))
        pieces.append(word)
        length += len(word)
        cursor = found.end()
    pieces.append(marked[cursor:])
    return "".join(pieces).replace(MARK_START, "").replace(MARK_END, ""), spans


def make_snippet(
    body: str,
    marked: str | None,
    *,
    width: int = SNIPPET_CHARS,
    term: Callable[[str], str] = str.lower,
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The snippet and its highlight spans from the server's marked copy of ``body`` (the
    whole field, the matched words between :data:`MARK_START` and :data:`MARK_END`), sized
    and placed as the local engine places its own: about ``width`` characters around the
    passage with the most distinct matched words, from a little before it, cut at word
    boundaries, whitespace collapsed, ``…`` where the body was cut. Without marks, the head
    of the body. ``term`` gives the term a marked word stands for (``prices`` and ``price``
    are one term to a stemmer), as the window counts them."""
    text, spans = _unmark(marked) if marked else (body, [])
    start = 0
    if spans:
        # A little lead-in, so that the first match does not open the snippet cold.
        marks = [(a, b, term(text[a:b])) for a, b in spans]
        start = word_start(text, max(0, best_window(marks, width) - width // 5))
    while start < len(text) and text[start].isspace():
        start += 1
    end = min(len(text), word_end(text, min(len(text), start + width)))
    pieces: list[str] = ["… "] if text[:start].strip() else []
    length = len(pieces[0]) if pieces else 0
    highlights: list[tuple[int, int]] = []
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        gap = _SPACE.sub(" ", text[cursor:span_start])
        pieces.append(gap)
        length += len(gap)
        highlights.append((length, length + span_end - span_start))
        pieces.append(text[span_start:span_end])
        length += span_end - span_start
        cursor = span_end
    pieces.append(_SPACE.sub(" ", text[cursor:end]))
    snippet = "".join(pieces).rstrip()
    if not snippet:
        return "", ()
    if end < len(text) and text[end:].strip():
        snippet += " …"
    return snippet, tuple(highlights)
