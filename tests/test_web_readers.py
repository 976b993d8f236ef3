"""Tests for the web readers: feeds (newsindex.ingest.feeds), pages (ingest.pages), WARC
(ingest.warc), and the message given when the ``web`` extra is not installed."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pytest

from newsindex import NewsIndex
from newsindex.errors import IngestError
from newsindex.ingest import read_feed, read_path
from newsindex.ingest.feeds import looks_like_feed
from newsindex.ingest.pages import looks_like_page, read_page
from newsindex.ingest.warc import read_warc

UTC = dt.timezone.utc
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>The Kyiv Independent</title>
  <link>https://kyivindependent.com/</link>
  <language>en-us</language>
  <item>
    <title>Italy does not plan to send peacekeepers to Ukraine</title>
    <link>/italy-peacekeepers/?utm_source=rss</link>
    <guid isPermaLink="false">ki-1</guid>
    <pubDate>Sun, 16 Mar 2025 04:16:00 +0200</pubDate>
    <dc:creator>Volodymyr Ivanyshyn</dc:creator>
    <category>Politics</category>
    <category>Italy</category>
    <description>Meloni's office &lt;b&gt;rules out&lt;/b&gt; troops.</description>
    <content:encoded><![CDATA[<p>Italy does not plan to participate in a peacekeeping
      force, <a href="/meloni">Meloni's</a> office said.</p>
      <p>Starmer hosted an online summit.</p><script>track()</script>]]></content:encoded>
  </item>
  <item>
    <title>Undated note</title>
    <link>https://kyivindependent.com/note</link>
    <description>A summary only, plain text.</description>
    <author>desk@kyivindependent.com (News Desk)</author>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="uk">
  <title>Example Wire</title>
  <link href="https://wire.example.org/"/>
  <id>urn:wire</id>
  <updated>2025-03-16T10:00:00Z</updated>
  <entry>
    <title type="html">&lt;em&gt;Grain&lt;/em&gt; corridor reopens</title>
    <id>urn:wire:1</id>
    <link href="https://wire.example.org/grain"/>
    <published>2025-03-15T09:30:00-05:00</published>
    <updated>2025-03-16T10:00:00Z</updated>
    <author><name>Ana Author</name></author>
    <author><name>Bo Writer</name></author>
    <category term="economy" label="Economy"/>
    <summary>Short summary.</summary>
    <content type="html">&lt;p&gt;Ships left Odesa at dawn.&lt;/p&gt;
      &lt;p&gt;More to come.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Only updated</title>
    <id>urn:wire:2</id>
    <link href="https://wire.example.org/two"/>
    <updated>2025-03-16T10:00:00Z</updated>
    <content type="text">Plain &amp; simple.</content>
  </entry>
</feed>
"""

RSS_1 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://old.example.net/">
    <title>Old Site</title>
    <link>https://old.example.net/</link>
    <description>d</description>
  </channel>
  <item rdf:about="https://old.example.net/a">
    <title>RSS one item</title>
    <link>https://old.example.net/a</link>
    <description>Body of the RSS 1.0 item.</description>
    <dc:date>2025-03-14T08:00:00+01:00</dc:date>
  </item>
</rdf:RDF>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def raised(make) -> IngestError:
    """The IngestError raised while reading everything ``make()`` yields."""
    with pytest.raises(IngestError) as info:
        list(make())
    return info.value


# Feeds


def test_rss_items_become_articles(tmp_path):
    """An RSS 2.0 item gives title, resolved link, dated body from content:encoded, tags."""
    first, second = read_feed(write(tmp_path / "ki.rss", RSS))
    assert first.title == "Italy does not plan to send peacekeepers to Ukraine"
    assert first.url == "https://kyivindependent.com/italy-peacekeepers/"
    assert first.published == dt.datetime(2025, 3, 16, 4, 16, tzinfo=PLUS_TWO)
    assert first.published.utcoffset() == dt.timedelta(hours=2)
    assert first.authors == ("Volodymyr Ivanyshyn",)
    assert first.tags == ("Politics", "Italy")
    assert first.body == (
        "Italy does not plan to participate in a peacekeeping force, Meloni's office said."
        "\n\nStarmer hosted an online summit."
    )
    assert (first.source, first.language) == ("The Kyiv Independent", "en")
    assert second.body == "A summary only, plain text."
    assert second.authors == ("News Desk",)


def test_feed_item_without_date_has_none(tmp_path):
    """An item with no date of any kind is read, with ``published`` left empty."""
    articles = list(read_feed(write(tmp_path / "ki.rss", RSS)))
    assert articles[1].published is None


def test_atom_entries_become_articles(tmp_path):
    """Atom entries: HTML title as text, content over summary, every author, published first."""
    grain, plain = read_feed(write(tmp_path / "wire.atom", ATOM))
    assert grain.title == "Grain corridor reopens"
    assert grain.body == "Ships left Odesa at dawn.\n\nMore to come."
    assert grain.authors == ("Ana Author", "Bo Writer")
    assert grain.tags == ("Economy",)
    assert grain.published == dt.datetime(2025, 3, 15, 14, 30, tzinfo=UTC)
    assert grain.published.utcoffset() == dt.timedelta(hours=-5)
    assert plain.body == "Plain & simple."
    assert plain.published == dt.datetime(2025, 3, 16, 10, tzinfo=UTC)


def test_rss_1_is_read(tmp_path):
    """RSS 1.0 (RDF) items are read, with their dc:date."""
    (item,) = read_feed(write(tmp_path / "old.rss", RSS_1))
    assert (item.title, item.body) == ("RSS one item", "Body of the RSS 1.0 item.")
    assert item.published == dt.datetime(2025, 3, 14, 7, tzinfo=UTC)


def test_duplicate_guids_last_one_wins(tmp_path):
    """Two items with one guid are one story: only the later one is read."""
    items = "".join(
        f"<item><guid>same</guid><title>{title}</title><link>https://x.example/a</link></item>"
        for title in ("First version", "Corrected version")
    )
    feed = f"<rss version='2.0'><channel><title>X</title>{items}</channel></rss>"
    assert [a.title for a in read_feed(write(tmp_path / "x.rss", feed))] == ["Corrected version"]


def test_xml_file_is_read_as_a_feed(tmp_path):
    """A .xml file holding a feed is read by name; one holding something else is an error."""
    assert len(list(read_path(write(tmp_path / "feed.xml", ATOM)))) == 2
    other = write(tmp_path / "sitemap.xml", "<urlset><url><loc>https://x</loc></url></urlset>")
    err = raised(lambda: read_path(other))
    assert (err.path, err.line, err.reason) == (str(other), 0, "not an RSS or Atom feed")


def test_broken_feed_is_an_error_naming_the_file(tmp_path):
    """A file feedparser cannot read at all is one IngestError naming the file."""
    path = write(tmp_path / "broken.rss", "this is <not a feed")
    err = raised(lambda: read_feed(path))
    assert (err.path, err.line) == (str(path), 0)
    assert err.reason.startswith("not a readable feed (")


def test_bad_item_names_file_line_and_item(tmp_path):
    """An item with neither title nor body is reported with its line and number; others read."""
    feed = (
        "<rss version='2.0'><channel><title>X</title>\n"
        "<item><title>Good</title></item>\n"
        "<item><link>https://x.example/empty</link></item>\n"
        "</channel></rss>"
    )
    path = write(tmp_path / "x.rss", feed)
    errors: list[IngestError] = []
    assert [a.title for a in read_feed(path, on_error=errors.append)] == ["Good"]
    assert [(e.path, e.line, e.reason) for e in errors] == [
        (str(path), 3, "item 2: the article has neither a title nor a body")
    ]


def test_feed_content_is_sniffed():
    """The content predicate accepts RSS, RSS 1.0 and Atom, and not an HTML page."""
    assert all(looks_like_feed(text) for text in (RSS, ATOM, RSS_1))
    assert not looks_like_feed("<!DOCTYPE html><html><body>news</body></html>")


def test_missing_extra_is_a_one_line_error(tmp_path, monkeypatch):
    """Without feedparser installed, reading a feed names the extra to install."""
    monkeypatch.setitem(sys.modules, "feedparser", None)  # what a missing module imports as
    path = write(tmp_path / "ki.rss", RSS)
    err = raised(lambda: read_path(path))
    assert str(err) == (
        f"{path}: reading feeds needs the 'web' extra (feedparser is missing): "
        "pip install 'newsindex[web]'"
    )


# Pages

PAGE = Path(__file__).parent / "data" / "web" / "article.html"
ARTICLE_PARAGRAPHS = (
    "Italy does not plan to participate in a peacekeeping force on the ground in eastern Ukraine",
    'hosted an online summit of the "coalition of the willing"',
    "Finnish President Alexander Stubb said on March 15.",
)
FURNITURE = (
    "cookies",
    "News Feed",
    "Become a member",
    "first-ever magazine",
    "Share on Facebook",
    "Email this story",
    "Related articles",
    "Grain corridor",
    "greetings from Toronto",
    "All rights reserved",
    "trackingPixel",
)


def test_page_body_is_the_article_without_furniture():
    """A page's body holds the article's paragraphs and none of menus, banners, links, comments."""
    (article,) = read_page(PAGE)
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in article.body
    for furniture in FURNITURE:
        assert furniture not in article.body
    assert "\n\n" in article.body
    assert not article.body.startswith("Italy does not plan to send")  # the title is not repeated


def test_page_metadata_becomes_fields():
    """Title, canonical URL, date with its offset, author, site name and language are read."""
    (article,) = read_page(PAGE)
    assert article.title.startswith("Italy does not plan to send peacekeepers to Ukraine")
    assert article.url == "https://kyivindependent.com/italy-does-not-plan-to-send-peacekeepers/"
    assert article.published == dt.datetime(2025, 3, 16, 4, 16, tzinfo=PLUS_TWO)
    assert article.published.utcoffset() == dt.timedelta(hours=2)
    assert article.authors == ("Volodymyr Ivanyshyn",)
    assert (article.source, article.language) == ("The Kyiv Independent", "en")


def test_html_file_is_read_as_a_page(tmp_path):
    """An .htm file is read through read_path like any other file."""
    copy = tmp_path / "story.htm"
    copy.write_bytes(PAGE.read_bytes())
    assert [a.url for a in read_path(copy)] == [
        "https://kyivindependent.com/italy-does-not-plan-to-send-peacekeepers/"
    ]


def test_page_without_text_is_an_error(tmp_path):
    """A page with no article text is an IngestError naming the file."""
    path = write(tmp_path / "empty.html", "<html><body></body></html>")
    err = raised(lambda: read_page(path))
    assert (err.path, err.line, err.reason) == (str(path), 0, "no article text found in the page")


def test_page_content_is_sniffed():
    """The content predicate accepts an HTML page and not a feed."""
    assert looks_like_page(PAGE.read_text(encoding="utf-8"))
    assert not looks_like_page(RSS)


# WARC


def warc_file(path: Path, records: list[tuple[str, str, bytes]]) -> Path:
    """A gzipped WARC of HTTP responses ``(uri, content type, payload)``, written by warcio."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as output:
        writer = WARCWriter(output, gzip=path.name.endswith(".gz"))
        for uri, kind, payload in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(payload),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2025-03-17T08:00:00Z"},
            )
            writer.write_record(record)
            record.raw_stream.close()  # warcio spools the payload to a temporary file
    return path


BARE_PAGE = (
    b"<html><head><title>Drone strikes hit Odesa harbour</title></head><body><article>"
    b"<h1>Drone strikes hit Odesa harbour</h1>"
    b"<p>Russian drones struck port infrastructure in Odesa overnight, the regional governor "
    b"said on Monday morning, adding that two warehouses had caught fire.</p>"
    b"<p>Air defence units shot down most of the drones over the Black Sea coast, according "
    b"to the air force, which said the attack lasted for more than three hours.</p>"
    b"</article></body></html>"
)


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_html_responses_become_articles(tmp_path, name):
    """HTML responses become articles; other records are skipped and reported as such."""
    path = warc_file(
        tmp_path / name,
        [
            ("https://kyivindependent.com/story", "text/html; charset=utf-8", PAGE.read_bytes()),
            ("https://kyivindependent.com/logo.png", "image/png", b"\x89PNG\r\n"),
            ("https://news.example.com/odesa?utm_source=x", "text/html", BARE_PAGE),
        ],
    )
    skipped: list[tuple[str, str]] = []
    story, odesa = read_warc(path, on_skipped=lambda uri, kind: skipped.append((uri, kind)))
    assert skipped == [("https://kyivindependent.com/logo.png", "image/png")]
    assert story.url == "https://kyivindependent.com/italy-does-not-plan-to-send-peacekeepers/"
    assert story.published == dt.datetime(2025, 3, 16, 2, 16, tzinfo=UTC)
    assert odesa.title == "Drone strikes hit Odesa harbour"
    assert "two warehouses had caught fire" in odesa.body
    assert odesa.url == "https://news.example.com/odesa"
    assert odesa.published == dt.datetime(2025, 3, 17, 8, tzinfo=UTC)


def test_warc_is_read_by_name(tmp_path):
    """A .warc.gz file is read through read_path."""
    path = warc_file(tmp_path / "c.warc.gz", [("https://x.example/a", "text/html", BARE_PAGE)])
    assert [a.title for a in read_path(path)] == ["Drone strikes hit Odesa harbour"]


def test_warc_page_without_text_names_the_record(tmp_path):
    """A page with no article text is reported with the record's number and address."""
    empty = b"<html><body></body></html>"
    path = warc_file(
        tmp_path / "c.warc.gz",
        [
            ("https://x.example/empty", "text/html", empty),
            ("https://x.example/a", "text/html", BARE_PAGE),
        ],
    )
    errors: list[IngestError] = []
    assert len(list(read_warc(path, on_error=errors.append))) == 1
    assert [(e.path, e.reason) for e in errors] == [
        (str(path), "record 1 (https://x.example/empty): no article text found in the page")
    ]


def test_warc_records_that_are_not_pages_are_counted_in_the_summary(tmp_path):
    """An import of a WARC reports the responses it passed over, by content type."""
    from click.testing import CliRunner

    from newsindex.cli import main

    path = warc_file(
        tmp_path / "crawl.warc.gz",
        [
            ("https://x.example/a", "text/html", BARE_PAGE),
            ("https://x.example/logo.png", "image/png", b"\x89PNG\r\n"),
            ("https://x.example/b.png", "image/png", b"\x89PNG\r\n"),
            ("https://x.example/data", "application/json; charset=utf-8", b"{}"),
        ],
    )
    with NewsIndex.create(tmp_path / "index") as news:
        summary = news.add_files([path])
    assert (summary.added, summary.passed_over) == (
        1,
        ("image/png", "image/png", "application/json"),
    )
    result = CliRunner().invoke(main, ["index", str(path), "--index", str(tmp_path / "other")])
    assert result.exit_code == 0
    assert result.stderr == (
        "Passed over 3 web-archive records that are not pages: 2 image/png, 1 application/json.\n"
    )
