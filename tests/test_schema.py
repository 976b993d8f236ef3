"""Tests for newsindex.engines.whoosh.codec.schema: the fields, and Article ↔ stored document."""

from __future__ import annotations

import datetime as dt

from newsindex.engines.whoosh.codec.schema import build_schema, from_stored, to_document
from newsindex.fields import FIELD_ALIASES
from newsindex.models import Article

UTC = dt.timezone.utc


def stored_fields(document: dict) -> dict:
    """What Whoosh hands back as stored fields for ``document`` (``_stored_x`` wins over ``x``)."""
    stored = {k: v for k, v in document.items() if not k.startswith("_stored_")}
    stored.update({k.removeprefix("_stored_"): v for k, v in document.items() if k[0] == "_"})
    return stored


def test_schema_fields():
    """The schema has exactly the fields the query syntax and stored articles need."""
    names = set(build_schema().names())
    assert names == {
        "id",
        "title",
        "body",
        "author",
        "source",
        "section",
        "tag",
        "url",
        "published",
        "language",
        "title_only",
        "title_pairs",
        "body_pairs",
        "title_exact",
        "body_exact",
    }


def test_title_only_terms():
    """The title_only field indexes the title's terms that the body does not hold, once each."""
    field = build_schema()["title_only"]
    value = to_document(Article(id="x", title="Floods close the floods road", body="Road closed"))
    indexed = list(field.index(value["title_only"]))
    assert indexed == [(b"flood", 1, 1.0, b""), (b"the", 1, 1.0, b"")]


def test_pairs_fields_hold_neighbouring_terms_with_their_places():
    """A pairs field indexes each two neighbouring terms of its text field at the place of the
    first, weighted by how often they occur, but no pair of two common words ("of the")."""
    from whoosh.formats import Positions

    article = Article(id="x", title="Floods", body="Ferry strike: the end of the ferry strike")
    value = to_document(article)["body_pairs"]
    indexed = list(build_schema()["body_pairs"].index(value))
    places = Positions()
    assert [(term, freq, weight) for term, freq, weight, _value in indexed] == [
        (b"end of", 1, 1.0),
        (b"ferri strike", 2, 2.0),
        (b"strike the", 1, 1.0),
        (b"the end", 1, 1.0),
        (b"the ferri", 1, 1.0),
    ]
    assert [places.decode_positions(v) for _t, _f, _w, v in indexed] == [[3], [0, 6], [1], [2], [5]]


def test_exact_fields_hold_unstemmed_words_with_their_count():
    """An exact field indexes each word of its text field folded but unstemmed, weighted by how
    often it occurs: ``willing`` and ``will`` stay apart where the stemmed field has ``will``."""
    article = Article(id="x", title="Willing", body="Those willing will go; Willing's U.K. café")
    document = to_document(article)
    indexed = list(build_schema()["body_exact"].index(document["body_exact"]))
    assert indexed == [
        (b"those", 1, 1.0, b""),
        (b"willing", 2, 2.0, b""),
        (b"will", 1, 1.0, b""),
        (b"go", 1, 1.0, b""),
        (b"uk", 1, 1.0, b""),
        (b"cafe", 1, 1.0, b""),
    ]
    assert list(build_schema()["title_exact"].index(document["title_exact"])) == [
        (b"willing", 1, 1.0, b"")
    ]


def test_aliases_point_at_fields():
    """Every field name a user may type maps to a real schema field."""
    assert set(FIELD_ALIASES.values()) <= set(build_schema().names())


def test_to_document(full_article):
    """Dates are indexed as naive UTC; names are indexed joined and stored as tuples."""
    doc = to_document(full_article)
    assert doc["published"] == dt.datetime(2025, 4, 2, 9, 0)
    assert doc["author"] == "Anna Berg\nJon Moe"
    assert doc["_stored_author"] == ("Anna Berg", "Jon Moe")
    assert doc["_stored_tag"] == ("climate", "glaciers")
    assert doc["id"] == "full-1"


def test_to_document_leaves_out_missing():
    """Missing source, section, url and date are left out of the document."""
    doc = to_document(Article(id="x", title="t"))
    assert not {"source", "section", "url", "published"} & doc.keys()


def test_round_trip(full_article):
    """`from_stored(stored(to_document(a)))` is the same article, its date now in UTC."""
    article = full_article
    back = from_stored(stored_fields(to_document(article)))
    assert back == article
    assert back.published == dt.datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
    assert back.published.utcoffset() == dt.timedelta(0)
    assert back.authors == ("Anna Berg", "Jon Moe")
    assert isinstance(back.tags, tuple)


def test_round_trip_through_index(empty_news, full_article):
    """An article stored in a real index reads back equal, with tuples and a UTC date."""
    article = full_article
    empty_news.add([article])
    back = empty_news.get("full-1")
    assert back == article
    assert back.published.tzinfo == UTC
    assert back.published == dt.datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
    assert back.authors == ("Anna Berg", "Jon Moe")
    assert back.tags == ("climate", "glaciers")
    assert back.language == "de"


def test_round_trip_minimal_through_index(empty_news):
    """An article with only a title reads back with empty tuples and no date."""
    article = Article(id="min", title="Only a title")
    empty_news.add([article])
    back = empty_news.get("min")
    assert back == article
    assert (back.authors, back.tags, back.published, back.url) == ((), (), None, None)
