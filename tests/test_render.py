"""Tests for newsindex.render: terminal text and JSON for results, articles, stats and imports."""

from __future__ import annotations

import datetime as dt
import json

from newsindex import Article, Hit, ImportSummary, IndexStats, SearchResults, Skipped
from newsindex.render import (
    article_json,
    format_article,
    format_import,
    format_results,
    format_stats,
    format_terms,
    hit_json,
    results_summary_json,
    stats_json,
)

UTC = dt.timezone.utc
BOLD, RESET = "\x1b[1m", "\x1b[0m"

HIT = Hit(
    id="cf3f115601c28b53",
    title="Italy does not plan to send peacekeepers to Ukraine",
    published=dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC),
    source="Kyiv Independent",
    url=None,
    authors=("Volodymyr Ivanyshyn",),
    score=12.5,
    rank=1,
    snippet="Italy does not plan to participate in a peacekeeping force …",
    highlights=((40, 52),),
)
UNDATED = Hit(
    id="h-undated",
    title="",
    published=None,
    source=None,
    url=None,
    authors=(),
    score=1.0,
    rank=2,
    snippet="",
)


def results(*hits: Hit, total: int | None = None, page: int = 1, limit: int = 10) -> SearchResults:
    """A page of results holding ``hits``."""
    count = len(hits) if total is None else total
    return SearchResults(hits=hits, total=count, page=page, limit=limit, query="peacekeep")


class TestResults:
    def test_text(self):
        """Each hit shows rank, title, date, source, id and the snippet; a footer counts them."""
        assert format_results(results(HIT)).splitlines() == [
            "  1. Italy does not plan to send peacekeepers to Ukraine",
            "     2025-03-16 · Kyiv Independent · id cf3f115601c28b53",
            "     Italy does not plan to participate in a peacekeeping force …",
            "",
            "1 article matches peacekeep",
        ]

    def test_no_color_without_tty(self):
        """Without color there are no escape codes."""
        assert "\x1b" not in format_results(results(HIT), color=False)

    def test_color_marks_matches(self):
        """With color the matched words and the title are bold."""
        text = format_results(results(HIT), color=True)
        assert f"{BOLD}peacekeeping{RESET}" in text
        assert f"{BOLD}Italy does not plan to send peacekeepers to Ukraine{RESET}" in text

    def test_missing_fields(self):
        """A hit without title, date or source says so instead of leaving gaps."""
        lines = format_results(results(UNDATED)).splitlines()
        assert lines[0] == "  2. (untitled)"
        assert lines[1] == "     no date · id h-undated"

    def test_pages_in_footer(self):
        """With more than one page the footer names the page."""
        text = format_results(results(HIT, total=25, page=1))
        assert text.splitlines()[-1] == "25 articles match peacekeep · page 1 of 3"

    def test_no_hits(self):
        """Zero hits says no article matches the query as understood."""
        assert format_results(results()) == "No articles match peacekeep."

    def test_beyond_last_page(self):
        """A page past the end says how many pages there are."""
        text = format_results(results(total=5, page=3))
        assert text == "No results on page 3: the last page is 1."


class TestJson:
    def test_hit_json(self):
        """A hit is one line of JSON with an ISO date and lists for tuples."""
        line = hit_json(HIT)
        assert "\n" not in line
        data = json.loads(line)
        assert data["id"] == "cf3f115601c28b53"
        assert data["published"] == "2025-03-16T04:16:00+00:00"
        assert data["authors"] == ["Volodymyr Ivanyshyn"]
        assert data["highlights"] == [[40, 52]]
        assert data["rank"] == 1
        assert data["score"] == 12.5
        assert dt.datetime.fromisoformat(data["published"]) == HIT.published

    def test_hit_json_undated(self):
        """A hit without a date has `published: null`."""
        assert json.loads(hit_json(UNDATED))["published"] is None

    def test_hit_json_keeps_unicode(self):
        """Non-ASCII text is written as is, not escaped."""
        hit = Hit(
            id="x",
            title="Zürich",
            published=None,
            source=None,
            url=None,
            authors=(),
            score=1.0,
            rank=1,
            snippet="",
        )
        assert '"Zürich"' in hit_json(hit)

    def test_results_summary_json(self):
        """The summary line gives the query, total, page, pages and limit, marked as a summary."""
        page = results(HIT, total=23, page=2, limit=10)
        assert results_summary_json(page) == (
            '{"summary": true, "query": "peacekeep", "total": 23, "page": 2, "pages": 3, '
            '"limit": 10}'
        )

    def test_results_summary_json_no_hits(self):
        """With no hits the summary says total 0 on page 1 of 1."""
        assert json.loads(results_summary_json(results())) == {
            "summary": True,
            "query": "peacekeep",
            "total": 0,
            "page": 1,
            "pages": 1,
            "limit": 10,
        }

    def test_article_json_round_trip(self):
        """`article_json` gives JSON that `Article.from_dict` reads back equal."""
        article = Article(
            id="a", title="T", body="B", published="2025-03-16T04:16:00Z", tags=["x", "y"]
        )
        assert Article.from_dict(json.loads(article_json(article))) == article

    def test_stats_json(self):
        """Stats as JSON have ISO dates and numbers, and the index's location under both
        ``location`` and ``path``."""
        data = json.loads(stats_json(STATS))
        assert data == {
            "path": "news",
            "location": "news",
            "articles": 1234,
            "first_published": "2004-11-13T00:00:00+00:00",
            "last_published": "2025-03-16T04:16:00+00:00",
            "size_bytes": 3_145_728,
            "schema_version": 1,
        }


STATS = IndexStats(
    path="news",
    articles=1234,
    first_published=dt.datetime(2004, 11, 13, tzinfo=UTC),
    last_published=dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC),
    size_bytes=3_145_728,
    schema_version=1,
)


class TestText:
    def test_stats(self):
        """Stats are aligned lines with a thousands separator and size in MB."""
        assert format_stats(STATS).splitlines() == [
            "index:    news",
            "articles: 1,234",
            "dates:    2004-11-13 to 2025-03-16",
            "size:     3.0 MB",
            "schema:   1",
        ]

    def test_stats_no_dates(self):
        """An index without dates says 'none'."""
        stats = IndexStats(
            path="p",
            articles=0,
            first_published=None,
            last_published=None,
            size_bytes=0,
            schema_version=1,
        )
        assert "dates:    none" in format_stats(stats).splitlines()

    def test_article(self):
        """An article shows its title, the fields it has, then the body."""
        article = Article(
            id="a",
            title="Budget talks run late",
            body="Ministers argued.",
            published="2025-03-31T23:59:00Z",
            authors=["Ola Nordmann", "Kari Nordmann"],
            source="Harbour Daily",
        )
        assert format_article(article).splitlines() == [
            "Budget talks run late",
            "",
            "id:        a",
            "published: 2025-03-31T23:59:00+00:00",
            "by:        Ola Nordmann, Kari Nordmann",
            "source:    Harbour Daily",
            "",
            "Ministers argued.",
        ]

    def test_terms(self):
        """Terms are space-separated, or a JSON list."""
        assert format_terms(("peacekeep", "talk")) == "peacekeep talk"
        assert json.loads(format_terms(("peacekeep", "talk"), as_json=True)) == [
            "peacekeep",
            "talk",
        ]

    def test_import(self):
        """An import reports the count, then each skipped record with file and line."""
        summary = ImportSummary(
            added=1200,
            skipped=(
                Skipped(path="a.jsonl", line=2, reason="invalid JSON"),
                Skipped(path="b.json", line=0, reason="not a valid gzip file"),
            ),
        )
        assert list(format_import(summary, "news")) == [
            "Indexed 1,200 articles into news.",
            "Skipped 2 bad records:",
            "  a.jsonl, line 2: invalid JSON",
            "  b.json: not a valid gzip file",
        ]

    def test_import_ignored(self):
        """Files of other types are counted in one line, by extension, most common first."""
        summary = ImportSummary(
            added=2,
            ignored=("news/a.pdf", "news/README", "news/old/B.PDF", "news/c.png", "news/x.png"),
            skipped=(Skipped(path="news/d.jsonl", line=3, reason="invalid JSON"),),
        )
        assert list(format_import(summary, "ix")) == [
            "Indexed 2 articles into ix.",
            "Ignored 5 files of other types: 2 .pdf, 2 .png, 1 (no extension).",
            "Skipped 1 bad record:",
            "  news/d.jsonl, line 3: invalid JSON",
        ]

    def test_import_one_ignored(self):
        """A single ignored file is counted in the singular."""
        summary = ImportSummary(added=1, ignored=("news/notes",))
        assert list(format_import(summary, "ix"))[1:] == [
            "Ignored 1 file of another type: 1 (no extension)."
        ]
