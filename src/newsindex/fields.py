"""The fields an article has in an index, and the names a query may use for them.

Engine-free: the query parser, every engine and the ranking read these names.
"""

from __future__ import annotations

__all__ = ["DATE_FIELD", "FIELD_ALIASES", "NAME_FIELDS", "TEXT_FIELDS"]

TEXT_FIELDS = ("title", "body")
"""Fields searched by bare words, analysed with stemming."""

NAME_FIELDS = ("author", "source", "section", "tag", "url")
"""Fields of names and addresses: same tokenization, no stemming."""

DATE_FIELD = "published"
"""The publication date, in UTC."""

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
