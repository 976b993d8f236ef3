"""Articles as OpenSearch documents, and the server's marked passages as snippets."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from newsindex.engines.opensearch.compile import MARK_END, MARK_START
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


def make_snippet(body: str, fragment: str | None) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The snippet and its highlight spans from the server's marked ``fragment`` of ``body``,
    in the local engine's form: whitespace collapsed, ``…`` where the body was cut."""
    if not fragment:
        return "", ()
    text = _SPACE.sub(" ", fragment).strip()
    plain = text.replace(MARK_START, "").replace(MARK_END, "")
    flat = _SPACE.sub(" ", body).strip()
    where = flat.find(plain)
    before = "… " if where > 0 else ""
    after = " …" if where >= 0 and where + len(plain) < len(flat) else ""
    pieces: list[str] = [before]
    length = len(before)
    spans: list[tuple[int, int]] = []
    for part in re.split(f"({MARK_START}[^{MARK_END}]*{MARK_END})", text):
        if part.startswith(MARK_START):
            word = part[1:-1]
            spans.append((length, length + len(word)))
            part = word
        pieces.append(part)
        length += len(part)
    return "".join(pieces) + after, tuple(spans)
