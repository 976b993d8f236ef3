"""The Whoosh schema, and the mapping between an :class:`Article` and a stored index document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from whoosh import fields

from newsindex.analysis import NewsAnalyzer, plain_analyzer, stemming_analyzer
from newsindex.models import Article

__all__ = [
    "DATE_FIELD",
    "FIELD_ALIASES",
    "NAME_FIELDS",
    "SCHEMA_VERSION",
    "TEXT_FIELDS",
    "UNDATED",
    "build_schema",
    "from_stored",
    "to_document",
]

SCHEMA_VERSION = 1
"""Bumped whenever the fields or the analysis change in a way old indexes cannot serve."""

TEXT_FIELDS = ("title", "body")
"""Fields searched by bare words, analysed with stemming."""

NAME_FIELDS = ("author", "source", "section", "tag", "url")
"""Fields of names and addresses: same tokenization, no stemming."""

DATE_FIELD = "published"

UNDATED = 2**63
"""Date-column values at or above this mean "no date": Whoosh fills the column of an undated
article with 2**64 - 1 (its largest date)."""

FIELD_ALIASES = {
    "title": "title",
    "body": "body",
    "text": "body",
    "author": "author",
    "authors": "author",
    "by": "author",
    "source": "source",
    "section": "section",
    "tag": "tag",
    "tags": "tag",
    "url": "url",
    "id": "id",
    "date": DATE_FIELD,
    "published": DATE_FIELD,
}
"""Field names a user may type before ``:``, mapped to index fields."""


def build_schema(
    text_analyzer: NewsAnalyzer | None = None, name_analyzer: NewsAnalyzer | None = None
) -> fields.Schema:
    """The schema of a newsindex index; analyzers are injectable for tests and other languages."""
    text = text_analyzer or stemming_analyzer()
    names = name_analyzer or plain_analyzer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        title=fields.TEXT(analyzer=text, stored=True, phrase=True),
        body=fields.TEXT(analyzer=text, stored=True, phrase=True),
        author=fields.TEXT(analyzer=names, stored=True, phrase=True),
        source=fields.TEXT(analyzer=names, stored=True, phrase=True),
        section=fields.TEXT(analyzer=names, stored=True, phrase=True),
        tag=fields.TEXT(analyzer=names, stored=True, phrase=True),
        url=fields.TEXT(analyzer=names, stored=True, phrase=True),
        published=fields.DATETIME(stored=True, sortable=True),
        language=fields.ID(stored=True),
    )


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def to_document(article: Article) -> dict[str, Any]:
    """Keyword arguments for ``writer.add_document``.

    Multi-valued fields are indexed as newline-joined text and stored as tuples; the date is
    indexed and stored as naive UTC (Whoosh's DATETIME has no zones), so it reads back in UTC.
    """
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "language": article.language,
        "author": "\n".join(article.authors),
        "_stored_author": article.authors,
        "tag": "\n".join(article.tags),
        "_stored_tag": article.tags,
    }
    for name in ("source", "section", "url"):
        value = getattr(article, name)
        if value:
            doc[name] = value
    if article.published is not None:
        doc[DATE_FIELD] = _naive_utc(article.published)
    return doc


def from_stored(stored: dict[str, Any]) -> Article:
    """Rebuild the :class:`Article` from a document's stored fields."""
    return Article(
        id=stored["id"],
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        url=stored.get("url"),
        published=stored.get(DATE_FIELD),
        authors=stored.get("author", ()),
        source=stored.get("source"),
        section=stored.get("section"),
        tags=stored.get("tag", ()),
        language=stored.get("language", "en"),
    )
