"""Tests for newsindex.models: article validation, ids, date parsing and the result models."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import attrs
import pytest

from newsindex.models import Article, IndexStats, SearchResults, make_article_id, parse_datetime

UTC = dt.timezone.utc


class TestValidation:
    def test_no_title_and_no_body(self):
        """An article with neither title nor body is a ValueError."""
        with pytest.raises(ValueError, match=r"^the article has neither a title nor a body$"):
            Article(url="https://example.com/a")

    def test_blank_title_and_body(self):
        """Whitespace-only title and body count as missing."""
        with pytest.raises(ValueError, match="neither a title nor a body"):
            Article(title="  \n", body="\t ")

    def test_title_only_and_body_only(self):
        """A title alone or a body alone is enough."""
        assert Article(title="Headline").body == ""
        assert Article(body="Just text.").title == ""

    def test_title_must_be_text(self):
        """A non-string title is a TypeError naming the type."""
        with pytest.raises(TypeError, match=r"^expected text, not int$"):
            Article(title=5)

    def test_authors_must_be_strings(self):
        """A list of authors holding a number is a TypeError."""
        with pytest.raises(TypeError, match=r"^expected a list of strings, found int$"):
            Article(title="t", authors=["Anna", 1])

    def test_authors_not_a_mapping(self):
        """A dict is not a list of authors."""
        with pytest.raises(TypeError, match="expected a string or a list of strings, not dict"):
            Article(title="t", authors={"name": "Anna"})

    def test_date_wrong_type(self):
        """A number as a date is a TypeError."""
        with pytest.raises(TypeError, match=r"^a date must be a string, not int$"):
            Article(title="t", published=20250316)

    def test_date_not_a_date(self):
        """A date string that is not ISO is a ValueError naming the value."""
        with pytest.raises(ValueError, match=r"^invalid date 'yesterday' \(expected YYYY-MM-DD"):
            Article(title="t", published="yesterday")

    def test_empty_id(self):
        """An explicitly empty id is rejected."""
        with pytest.raises(ValueError, match=r"^an article id must not be empty$"):
            Article(id="  ", title="t")

    def test_names_become_clean_tuples(self):
        """Names are stripped, inner whitespace collapsed, blanks and duplicates dropped."""
        article = Article(title="t", authors=[" Anna  Berg ", "Anna Berg", "", "Jon"], tags="x")
        assert article.authors == ("Anna Berg", "Jon")
        assert article.tags == ("x",)

    def test_optional_text_blank_is_none(self):
        """Blank url, source and section become None; blank language becomes 'en'."""
        article = Article(title="t", url=" ", source="", section="\n", language=" ")
        assert (article.url, article.source, article.section) == (None, None, None)
        assert article.language == "en"

    def test_frozen(self):
        """Articles cannot be changed after creation."""
        article = Article(title="t")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            article.title = "u"


class TestIds:
    def test_id_from_url(self):
        """With a URL the id is the 8-byte BLAKE2b of 'url:' + URL, in hex."""
        expected = hashlib.blake2b(b"url:https://example.com/a", digest_size=8).hexdigest()
        assert Article(title="t", url="https://example.com/a").id == expected

    def test_url_wins_over_text(self):
        """Two versions of the article at one URL share an id (an edit replaces the old one)."""
        first = Article(title="Old headline", body="old", url="https://example.com/a")
        second = Article(title="New headline", body="new", url=" https://example.com/a ")
        assert first.id == second.id

    def test_id_from_text(self):
        """Without a URL the id comes from title and body."""
        expected = hashlib.blake2b(b"text:Headline\nBody.", digest_size=8).hexdigest()
        assert Article(title="Headline", body="Body.").id == expected
        assert Article(title="Headline", body="Other.").id != expected

    def test_id_is_16_hex_digits(self):
        """Derived ids are 16 lowercase hex digits."""
        article_id = make_article_id(None, "t", "b")
        assert len(article_id) == 16
        assert int(article_id, 16) >= 0
        assert article_id == article_id.lower()

    def test_reimport_same_id(self):
        """The same record read twice gives the same id both times."""
        record = {"title": "Headline", "body": "Text", "date": "2025-03-16"}
        assert Article.from_dict(record).id == Article.from_dict(dict(record)).id

    def test_given_id_kept(self):
        """An explicit id is kept as given."""
        assert Article(id="abc", title="t", url="https://example.com").id == "abc"


class TestFromDict:
    def test_aliases(self):
        """`date`, `author` and `categories` stand for published, authors and tags."""
        article = Article.from_dict(
            {"title": "t", "date": "2025-03-16", "author": "Anna Berg", "categories": ["a", "b"]}
        )
        assert article.published == dt.datetime(2025, 3, 16, tzinfo=UTC)
        assert article.authors == ("Anna Berg",)
        assert article.tags == ("a", "b")

    def test_unknown_keys_ignored(self):
        """Keys that are not article fields are ignored."""
        article = Article.from_dict({"title": "t", "subset": "x", "wordcount": 3})
        assert article.title == "t"

    def test_alias_none_does_not_override(self):
        """A null alias does not wipe out the real field given beside it."""
        article = Article.from_dict({"title": "t", "published": "2025-01-02", "date": None})
        assert article.published == dt.datetime(2025, 1, 2, tzinfo=UTC)

    def test_numeric_id(self):
        """A numeric id becomes a string."""
        assert Article.from_dict({"id": 42, "title": "t"}).id == "42"

    def test_null_id_derived(self):
        """A null id is derived like a missing one."""
        article = Article.from_dict({"id": None, "title": "t", "url": "https://example.com/a"})
        assert article.id == make_article_id("https://example.com/a", "t", "")

    def test_round_trip(self, full_article):
        """`from_dict(to_dict())` gives back an equal article, through JSON too."""
        article = full_article
        assert Article.from_dict(article.to_dict()) == article
        assert Article.from_dict(json.loads(json.dumps(article.to_dict()))) == article

    def test_to_dict_shape(self, full_article):
        """`to_dict` has lists for collections and an ISO date string."""
        data = full_article.to_dict()
        assert data["published"] == "2025-04-02T11:00:00+02:00"
        assert data["authors"] == ["Anna Berg", "Jon Moe"]
        assert data["tags"] == ["climate", "glaciers"]
        assert data["id"] == "full-1"


class TestParseDatetime:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2025-03-16", dt.datetime(2025, 3, 16, tzinfo=UTC)),
            ("2025-03-16T04:16:00", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
            ("2025-03-16T04:16:00Z", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
            ("2025-03-16 04:16", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
            ("2025-03-16T06:16:00+02:00", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
            (" 2025-03-16 ", dt.datetime(2025, 3, 16, tzinfo=UTC)),
            (dt.date(2025, 3, 16), dt.datetime(2025, 3, 16, tzinfo=UTC)),
            (dt.datetime(2025, 3, 16, 4, 16), dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        ],
    )
    def test_forms(self, value, expected):
        """Dates, datetimes and ISO strings all become the same aware moment."""
        parsed = parse_datetime(value)
        assert parsed == expected
        assert parsed.tzinfo is not None

    @pytest.mark.parametrize("value", ["2025-03-16", "2025-03-16T04:16:00"])
    def test_naive_is_utc(self, value):
        """A value without a zone is taken as UTC."""
        assert parse_datetime(value).tzinfo is UTC

    def test_aware_kept(self):
        """An aware datetime keeps its zone."""
        zone = dt.timezone(dt.timedelta(hours=2))
        value = dt.datetime(2025, 3, 16, 6, 16, tzinfo=zone)
        assert parse_datetime(value).utcoffset() == dt.timedelta(hours=2)

    @pytest.mark.parametrize("value", [None, "", "   "])
    def test_no_date(self, value):
        """None and blank strings mean no date."""
        assert parse_datetime(value) is None

    @pytest.mark.parametrize("value", ["2025-13-01", "2025-02-30", "16 March 2025", "2025/03/16"])
    def test_invalid(self, value):
        """Impossible or non-ISO dates are a ValueError quoting the value."""
        with pytest.raises(ValueError, match=f"^invalid date '{value}'"):
            parse_datetime(value)


class TestResultModels:
    @pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (10, 1), (11, 2), (25, 3)])
    def test_pages(self, total, pages):
        """`SearchResults.pages` rounds up, with at least one page."""
        results = SearchResults(hits=(), total=total, page=1, limit=10, query="q")
        assert results.pages == pages

    def test_stats_frozen(self):
        """IndexStats is frozen."""
        stats = IndexStats(
            path="p",
            articles=0,
            first_published=None,
            last_published=None,
            size_bytes=0,
            schema_version=1,
        )
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            stats.articles = 1
