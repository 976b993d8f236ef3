"""Tests for newsindex.ingest: the seed format, JSON Lines, .json, folders and the sample."""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import io
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsindex.errors import IngestError, InvalidArgumentError
from newsindex.ingest import (
    input_formats,
    parse_seed,
    read_json,
    read_jsonl,
    read_path,
    read_paths,
    read_seed,
    read_stream,
    sample_paths,
)
from newsindex.models import Article, make_article_id

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_cf3f115601c28b53.txt"
UTC = dt.timezone.utc
TITLE = "Italy does not plan to send peacekeepers to Ukraine"
BANNER = " date 2025-03-16 The Power Within: The Kyiv Independent’s first-ever magazine."


def seed_text(*header: str, body: str = "Italy does not plan to participate.\n\nMore text.") -> str:
    """A seed file: the banner line, a blank line, then ``header`` lines, a blank and the body."""
    return "\n".join([BANNER, "", TITLE, "", *header, "", body, ""])


def write_jsonl(path: Path, *records: object) -> Path:
    """Write each record as one JSON line (strings are written as they are)."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def raised(call) -> IngestError:
    """The IngestError that consuming ``call()`` raises."""
    with pytest.raises(IngestError) as info:
        list(call())
    return info.value


# --- the seed format -----------------------------------------------------------------------


def test_seed_file_parses_to_the_expected_article():
    """The real seed gives its title, author, byline time, id, source and a clean body."""
    (article,) = read_seed(SEED)
    assert article.title == (
        "Italy does not plan to send peacekeepers to Ukraine, "
        "remains committed to 'effective security guarantees'"
    )
    assert article.authors == ("Volodymyr Ivanyshyn",)
    assert article.published == dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)
    assert article.id == "cf3f115601c28b53"
    assert article.source == "Kyiv Independent"
    assert article.body.startswith("Italy does not plan to participate in a peacekeeping force")
    for junk in ("This audio", "Power Within", "Getty Images"):
        assert junk not in article.body
    assert "\n\nU.K. Prime Minister Keir Starmer hosted" in article.body
    assert "\n\n\n" not in article.body
    assert article.body.endswith(
        'extending the coverage that NATO countries have also to Ukraine," she added.'
    )


def test_seed_explicit_source_wins_over_the_banner():
    """A source passed by the caller replaces the one detected from the banner."""
    (article,) = read_seed(SEED, source="KI")
    assert article.source == "KI"


def test_seed_without_byline_uses_the_date_line():
    """No byline: no authors, and the date line gives the publication date."""
    article = parse_seed(seed_text("Italy does not plan to participate.", body="Second."))
    assert article.authors == ()
    assert article.published == dt.datetime(2025, 3, 16, tzinfo=UTC)
    assert article.title == TITLE
    assert article.body == "Italy does not plan to participate.\n\nSecond."


def test_seed_with_several_authors_and_pm_time():
    """'by A, B and C' gives three authors; a PM time is converted to 24 hours."""
    article = parse_seed(
        seed_text("by Anna Myroniuk, Oleksiy Sorokin and Kateryna Denisova March 16, 2025 4:16 PM")
    )
    assert article.authors == ("Anna Myroniuk", "Oleksiy Sorokin", "Kateryna Denisova")
    assert article.published == dt.datetime(2025, 3, 16, 16, 16, tzinfo=UTC)


def test_seed_byline_with_abbreviated_month_and_no_time_wins_over_date_line():
    """'Sept. 2, 2024' with no time gives midnight of that day, not the date line's date."""
    article = parse_seed(seed_text("by Martin Fornusek and Dmytro Basmat Sept. 2, 2024 3 min read"))
    assert article.authors == ("Martin Fornusek", "Dmytro Basmat")
    assert article.published == dt.datetime(2024, 9, 2, tzinfo=UTC)


def test_seed_without_caption_or_audio_notice_keeps_the_first_paragraph():
    """A first line without a photo credit after the byline is body, not caption."""
    article = parse_seed(seed_text("by Volodymyr Ivanyshyn March 16, 2025 4:16 AM 2 min read"))
    assert article.body == "Italy does not plan to participate.\n\nMore text."


def test_seed_caption_without_audio_notice_is_dropped():
    """A line ending in a photo credit right after the byline is a caption and is dropped."""
    article = parse_seed(
        seed_text(
            "by Volodymyr Ivanyshyn March 16, 2025 4:16 AM",
            "Giorgia Meloni in Brussels. (Photo: Thierry Monasse/Getty Images)",
        )
    )
    assert article.body == "Italy does not plan to participate.\n\nMore text."


def test_seed_audio_notice_without_caption_is_dropped():
    """The audio notice alone under the byline is dropped, the body kept whole."""
    article = parse_seed(
        seed_text(
            "by Volodymyr Ivanyshyn March 16, 2025", "This audio is created with AI assistance"
        )
    )
    assert article.body == "Italy does not plan to participate.\n\nMore text."


def test_seed_without_date_line_or_source_match():
    """A file starting with its title has no date and no source; the id is derived."""
    article = parse_seed("A title\n\nA body &amp; more.\n", path="x.txt")
    assert (article.title, article.body, article.published, article.source) == (
        "A title",
        "A body & more.",
        None,
        None,
    )
    assert len(article.id) == 16


def test_seed_impossible_date_line_names_line_one():
    """'date 2025-13-45' is an IngestError on line 1 quoting the date."""
    text = seed_text().replace("2025-03-16", "2025-13-45")
    err = raised(lambda: [parse_seed(text, path="bad.txt")])
    assert (err.path, err.line) == ("bad.txt", 1)
    assert err.reason == "invalid date '2025-13-45' (expected YYYY-MM-DD or ISO 8601)"
    assert str(err).startswith("bad.txt, line 1: invalid date")


def test_seed_impossible_byline_date_names_its_line():
    """A byline dated February 30 is an IngestError naming the byline's line."""
    text = seed_text("by Volodymyr Ivanyshyn February 30, 2025 4:16 AM")
    err = raised(lambda: [parse_seed(text, path="bad.txt")])
    assert (err.line, err.reason) == (5, "invalid date 'February 30, 2025' in the byline")


def test_seed_impossible_byline_time_names_its_line():
    """'13:05 PM' is not a time."""
    text = seed_text("by Volodymyr Ivanyshyn March 16, 2025 13:05 PM")
    err = raised(lambda: [parse_seed(text)])
    assert (err.line, err.reason) == (5, "invalid time '13:05 PM' in the byline")


def test_seed_with_only_a_date_line_is_a_validation_error():
    """A date line and nothing else fails the article's own validation (whole file)."""
    err = raised(lambda: [parse_seed(BANNER + "\n\n", path="empty.txt")])
    assert (err.line, err.reason) == (0, "the article has neither a title nor a body")


def test_seed_sentence_starting_with_by_is_not_a_byline():
    """'By Monday, ...' under the title is body text, not authors."""
    article = parse_seed(seed_text("By Monday, the troops had left the city."))
    assert article.authors == ()
    assert article.body.startswith("By Monday, the troops had left the city.")


def test_seed_strips_control_characters_and_crlf():
    """NUL and other C0 controls vanish, CRLF line ends work, tabs survive."""
    text = seed_text("by Volodymyr Ivanyshyn March 16, 2025").replace("\n", "\r\n")
    article = parse_seed(text.replace("More text.", "More\x00 te\x1bxt\tend."))
    assert article.authors == ("Volodymyr Ivanyshyn",)
    assert article.body == "Italy does not plan to participate.\n\nMore text\tend."


def test_seed_file_not_utf8_names_the_line(tmp_path):
    """A seed with a Latin-1 byte on line 3 is an IngestError on line 3."""
    path = tmp_path / "001_0123456789abcdef.txt"
    path.write_bytes(b" date 2025-03-16 x\n\nCaf\xe9 news\n\nBody.\n")
    err = raised(lambda: read_seed(path))
    assert (err.line, err.reason) == (3, "not valid UTF-8 (byte 0xe9 at column 4)")


def test_seed_file_name_without_hex_id_derives_the_id(tmp_path):
    """Only NNN_<16 hex>.txt names give the id; others let the model derive it."""
    path = tmp_path / "story.txt"
    path.write_text("Title\n\nBody\n", encoding="utf-8")
    (article,) = read_seed(path)
    assert article.id == Article(title="Title", body="Body").id


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([BANNER, "", TITLE, "by Jane Doe March 1, 2025 4:16 AM", "(A/B)"])
        | st.text(max_size=30),
        max_size=8,
    )
)
def test_seed_arbitrary_text_gives_an_article_or_an_ingest_error(lines):
    """Whatever the lines, parse_seed returns an Article or raises IngestError, nothing else."""
    try:
        article = parse_seed("\n".join(lines))
    except IngestError as err:
        assert err.path == "<text>"
    else:
        assert article.title.strip() or article.body.strip()


# --- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_aliases_entities_and_blank_lines(tmp_path):
    """date/author/categories map onto the model; entities are decoded; blank lines skipped."""
    path = tmp_path / "news.jsonl"
    record = {
        "id": "a1",
        "title": "Rates rise &ndash; again",
        "body": "Q&amp;A with &quot;the bank&quot;",
        "date": "2024-05-01",
        "author": "Jane Doe",
        "categories": ["Economy"],
        "subset": "ignored",
    }
    path.write_text("\n  \n" + json.dumps(record) + "\n\n" + json.dumps({"title": "Two"}) + "\n")
    first, second = read_jsonl(path)
    assert first.title == "Rates rise – again"
    assert first.body == 'Q&A with "the bank"'
    assert first.published == dt.datetime(2024, 5, 1, tzinfo=UTC)
    assert (first.authors, first.tags, first.id) == (("Jane Doe",), ("Economy",), "a1")
    assert second.title == "Two"
    assert second.source is None


def test_jsonl_broken_json_names_line_and_column(tmp_path):
    """A missing comma on line 3 is reported with line 3 and the decoder's message."""
    path = write_jsonl(
        tmp_path / "news.jsonl", {"title": "a"}, {"title": "b"}, '{"title": "c" "x": 1}'
    )
    err = raised(lambda: read_jsonl(path))
    assert (err.path, err.line) == (str(path), 3)
    assert err.reason == "invalid JSON: Expecting ',' delimiter (column 15)"


def test_jsonl_bad_bytes_are_reported_on_their_line(tmp_path):
    """A Latin-1 byte on line 2 of 3 is a UTF-8 error on line 2."""
    path = tmp_path / "news.jsonl"
    path.write_bytes(b'{"title": "a"}\n{"title": "caf\xe9"}\n{"title": "c"}\n')
    err = raised(lambda: read_jsonl(path))
    assert (err.line, err.reason) == (2, "not valid UTF-8 (byte 0xe9 at column 15)")


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"title": 5}, "field 'title': expected text, not int"),
        (
            {"title": "t", "date": [2024]},
            "field 'date': a date must be a string or a number, not list",
        ),
        (
            {"title": "t", "date": "2025-13-45"},
            "field 'date': invalid date '2025-13-45' "
            "(expected ISO 8601, RFC 822, '16 March 2025' or seconds since 1970)",
        ),
        (
            {"title": "t", "pubDate": "03/04/2025"},
            "field 'pubDate': ambiguous date '03/04/2025': 3 April 2025 or 4 March 2025; "
            "write it as YYYY-MM-DD (2025-04-03 or 2025-03-04)",
        ),
        (
            {"title": "t", "source": {"id": None}},
            "field 'source': a source given as an object needs a 'name' string",
        ),
        (
            {"title": "t", "author": {"n": 1}},
            "field 'author': an author given as an object needs a 'name' string",
        ),
        ({"title": "", "body": "  "}, "the article has neither a title nor a body"),
        ([{"title": "t"}], "expected a JSON object, found a list"),
        ("just text", "expected a JSON object, found a string"),
        (None, "expected a JSON object, found null"),
    ],
)
def test_jsonl_bad_records_name_the_problem(tmp_path, record, reason):
    """Wrong types name the field (as written in the file); non-objects name what was found."""
    path = tmp_path / "news.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    err = raised(lambda: read_jsonl(path))
    assert (err.line, err.reason) == (1, reason)


def test_jsonl_skip_mode_collects_errors_and_yields_good_records(tmp_path):
    """With on_error, every bad line is reported once and the good ones still come through."""
    path = tmp_path / "news.jsonl"
    path.write_bytes(
        b'{"title": "one"}\n{oops\n\xff\xfe\n[1]\n{"title": 2}\n'
        b'{"title": "two", "body": "\x00b\\u0000c"}\n'
    )
    errors: list[IngestError] = []
    articles = list(read_jsonl(path, on_error=errors.append))
    assert [a.title for a in articles] == ["one", "two"]
    assert articles[1].body == "bc"
    assert [e.line for e in errors] == [2, 3, 4, 5]
    assert errors[0].reason.startswith("invalid JSON: ")


def test_jsonl_gz_and_ndjson_are_read(tmp_path):
    """Gzipped JSON Lines (by content) and .ndjson read like plain .jsonl."""
    gz = tmp_path / "news.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as out:
        out.write('{"title": "zipped"}\n\n{"title": "again"}\n')
    nd = write_jsonl(tmp_path / "news.ndjson", {"title": "nd"})
    assert [a.title for a in read_paths([gz, nd])] == ["zipped", "again", "nd"]


def test_jsonl_truncated_gzip_is_one_error(tmp_path):
    """A cut-off gzip stream is reported once, at the line it broke on, after the good lines."""
    lines = "".join(json.dumps({"title": f"t{i}", "body": "x" * 2000}) + "\n" for i in range(50))
    gz = tmp_path / "news.jsonl.gz"
    gz.write_bytes(gzip.compress(lines.encode(), mtime=0)[:-30])
    errors: list[IngestError] = []
    articles = list(read_jsonl(gz, on_error=errors.append))
    assert len(errors) == 1
    assert errors[0].reason == "the gzip file is truncated"
    assert errors[0].line == len(articles) + 1


def test_jsonl_bom_is_ignored(tmp_path):
    """A UTF-8 byte-order mark before the first record is not a JSON error."""
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"title": "bom"}\n')
    assert [a.title for a in read_jsonl(path)] == ["bom"]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=300)
    | st.lists(st.text(max_size=40)).map(lambda xs: "\n".join(xs).encode())
)
def test_jsonl_arbitrary_bytes_yield_articles_or_ingest_errors(tmp_path, data):
    """Whatever the bytes, read_jsonl yields Articles or raises IngestError, nothing else."""
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    try:
        assert all(isinstance(a, Article) for a in read_jsonl(path))
    except IngestError as err:
        assert err.line >= 0


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    record=st.dictionaries(
        st.sampled_from(["id", "title", "body", "date", "author", "categories", "url", "source"]),
        st.none()
        | st.integers()
        | st.text(max_size=20)
        | st.lists(st.text(max_size=5), max_size=3),
    )
)
def test_jsonl_arbitrary_records_yield_articles_or_ingest_errors(tmp_path, record):
    """Objects with arbitrary field values become Articles or IngestErrors on line 1."""
    path = write_jsonl(tmp_path / "fuzz.jsonl", record)
    try:
        (article,) = read_jsonl(path)
    except IngestError as err:
        assert err.line == 1
    else:
        assert article.title.strip() or article.body.strip()


# --- the field names of news exports ---------------------------------------------------------


def read_record(tmp_path: Path, record: dict[str, object]) -> Article:
    """The one article a JSON Lines file holding ``record`` gives."""
    (article,) = read_jsonl(write_jsonl(tmp_path / "news.jsonl", record))
    return article


def test_content_and_pub_date_are_read(tmp_path):
    """An RSS-style record's content is the body and its pubDate (RFC 822) the date."""
    article = read_record(
        tmp_path,
        {
            "title": "Italy stays out",
            "content": "Italy does not plan to send troops.",
            "pubDate": "Sun, 16 Mar 2025 04:16:00 +0000",
        },
    )
    assert article.body == "Italy does not plan to send troops."
    assert article.published == dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)


def test_headline_and_text_are_read(tmp_path):
    """headline is the title and text the body."""
    article = read_record(tmp_path, {"headline": "Rates rise", "text": "The bank raised rates."})
    assert (article.title, article.body) == ("Rates rise", "The bank raised rates.")


def test_newsapi_article_fields(tmp_path):
    """A NewsAPI article: source object, author, publishedAt, url; content wins over description."""
    article = read_record(
        tmp_path,
        {
            "source": {"id": "bbc-news", "name": "BBC News"},
            "author": "Jane Doe",
            "title": "Summit ends",
            "description": "A short summary.",
            "url": "https://example.com/summit",
            "publishedAt": "2025-03-16T04:16:00Z",
            "content": "The summit ended late.",
        },
    )
    assert article.source == "BBC News"
    assert article.authors == ("Jane Doe",)
    assert article.body == "The summit ended late."
    assert article.url == "https://example.com/summit"
    assert article.published == dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "field", "expected"),
    [
        ({"title": "t", "body": "b", "content": "c", "text": "x"}, "body", "b"),
        ({"title": "t", "body": " ", "articleBody": "a", "summary": "s"}, "body", "a"),
        ({"title": "t", "summary": "s"}, "body", "s"),
        ({"title": "t", "description": "d", "summary": "s"}, "body", "d"),
        ({"headline": "h", "title": "t"}, "title", "t"),
        ({"title": "t", "link": "https://a.example/x"}, "url", "https://a.example/x"),
        ({"title": "t", "byline": "Ann Lee"}, "authors", ("Ann Lee",)),
        ({"title": "t", "creator": ["Ann Lee", "Bo Li"]}, "authors", ("Ann Lee", "Bo Li")),
        ({"title": "t", "authors": ["A B"], "author": "C D"}, "authors", ("A B",)),
        ({"title": "t", "source": "Reuters"}, "source", "Reuters"),
        (
            {"title": "t", "datePublished": "2025-03-16", "date": "2024-01-01"},
            "published",
            dt.datetime(2024, 1, 1, tzinfo=UTC),
        ),
        (
            {"title": "t", "published_at": "2025-03-16 04:16:00"},
            "published",
            dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC),
        ),
    ],
)
def test_field_names_and_their_precedence(tmp_path, record, field, expected):
    """Each field comes from the first of its keys that holds a value."""
    assert getattr(read_record(tmp_path, record), field) == expected


# --- HTML in titles and bodies ---------------------------------------------------------------


def test_html_body_becomes_paragraphs_of_text(tmp_path):
    """Tags go, block elements become paragraph breaks, entities decode, scripts are dropped."""
    body = (
        '<p>The <a href="https://example.com/m">minister</a> said &ldquo;no&rdquo;.</p>\n'
        "<script>var x = 1;</script><style>p {color: red}</style>"
        "<div>Second\n   paragraph<br>next line</div><ul><li>one</li><li>two</li></ul>"
    )
    article = read_record(tmp_path, {"title": "<b>Minister</b> &amp; aides", "body": body})
    assert article.title == "Minister & aides"
    assert article.body == (
        "The minister said \u201cno\u201d.\n\nSecond paragraph\nnext line\n\none\n\ntwo"
    )


def test_plain_text_with_angle_brackets_is_left_alone(tmp_path):
    """Text without HTML tags keeps its line breaks and its < and >."""
    body = "Inflation <3% is the goal.\n\nIf x < y and y > z, then  x < z."
    assert read_record(tmp_path, {"title": "t", "body": body}).body == body


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Sun, 16 Mar 2025 04:16:00 +0000", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        ("Sun, 16 Mar 2025 04:16:00 GMT", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        ("16 Mar 2025 06:16:00 +0200", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        ("2025-03-16T04:16:00Z", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        ("2025-03-16T06:16:00+02:00", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        ("2025-03-16T04:16:00.123456Z", dt.datetime(2025, 3, 16, 4, 16, 0, 123456, tzinfo=UTC)),
        ("2025-03-16 04:16:00", dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        ("2025-03-16", dt.datetime(2025, 3, 16, tzinfo=UTC)),
        ("16 March 2025", dt.datetime(2025, 3, 16, tzinfo=UTC)),
        ("March 16, 2025", dt.datetime(2025, 3, 16, tzinfo=UTC)),
        ("Sunday, March 16th, 2025", dt.datetime(2025, 3, 16, tzinfo=UTC)),
        ("16 Sept. 2025", dt.datetime(2025, 9, 16, tzinfo=UTC)),
        ("16/03/2025", dt.datetime(2025, 3, 16, tzinfo=UTC)),
        ("03/16/2025", dt.datetime(2025, 3, 16, tzinfo=UTC)),
        ("04.04.2025", dt.datetime(2025, 4, 4, tzinfo=UTC)),
        (1742098560, dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        (1742098560000, dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)),
        (1742098560.5, dt.datetime(2025, 3, 16, 4, 16, 0, 500000, tzinfo=UTC)),
    ],
)
def test_dates_news_exports_write(tmp_path, written, expected):
    """RFC 822, ISO 8601 variants, written months, unambiguous d/m/y and epoch numbers parse."""
    published = read_record(tmp_path, {"title": "t", "date": written}).published
    assert published == expected


@pytest.mark.parametrize(
    "written",
    ["yesterday", "2025-02-30", "31 June 2025", "Smarch 3, 2025", "Sun, 32 Mar 2025 04:16:00 GMT"],
)
def test_impossible_dates_are_still_errors(tmp_path, written):
    """What is not a date stays a bad record naming the key and the value."""
    path = write_jsonl(tmp_path / "news.jsonl", {"title": "t", "pubDate": written})
    err = raised(lambda: read_jsonl(path))
    assert (err.line, err.reason) == (
        1,
        f"field 'pubDate': invalid date {written!r} "
        "(expected ISO 8601, RFC 822, '16 March 2025' or seconds since 1970)",
    )


# --- keys that are not read ----------------------------------------------------------------

STORY = "The minister said the talks would go on for another week. " * 3


def test_unknown_key_holding_the_body_is_an_error(tmp_path):
    """A record with no body and a long text under another key names that key."""
    path = write_jsonl(tmp_path / "news.jsonl", {"title": "t", "story": STORY, "note": "short"})
    err = raised(lambda: read_jsonl(path))
    assert (err.line, err.reason) == (
        1,
        "the article has no body, and key 'story' holding a text of 33 words is not read: "
        "rename it to 'body'",
    )


def test_unknown_key_holding_the_date_is_an_error(tmp_path):
    """A record with no date and a date under a key named like one names that key."""
    record = {"title": "t", "body": "b", "reading_time": 4, "created_time": "2025-03-16"}
    path = write_jsonl(tmp_path / "news.jsonl", record)
    err = raised(lambda: read_jsonl(path))
    assert (err.line, err.reason) == (
        1,
        "the article has no date, and key 'created_time' holding one is not read: "
        "rename it to 'published'",
    )


def test_unknown_keys_beside_a_body_and_date_are_ignored(tmp_path):
    """With a body and a date, other long texts and dates are ignored as before."""
    record = {"title": "t", "body": "b", "date": "2025-03-16", "story": STORY, "dateModified": 1}
    article = read_record(tmp_path, {**record, "updated_time": "2025-03-17"})
    assert (article.body, article.published) == ("b", dt.datetime(2025, 3, 16, tzinfo=UTC))


def test_skip_mode_lists_a_record_with_an_ignored_key(tmp_path):
    """In skip mode the record with an ignored body is reported and the next one still read."""
    path = write_jsonl(tmp_path / "news.jsonl", {"title": "t", "story": STORY}, {"title": "ok"})
    errors: list[IngestError] = []
    assert [a.title for a in read_jsonl(path, on_error=errors.append)] == ["ok"]
    assert [(e.line, "'story'" in e.reason) for e in errors] == [(1, True)]


# --- URLs and ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://a.example/story?utm_source=x&utm_medium=y", "https://a.example/story"),
        ("https://a.example/story?id=7&fbclid=abc&UTM_Campaign=z", "https://a.example/story?id=7"),
        ("https://a.example/story?gclid=1#comments", "https://a.example/story"),
        ("https://a.example/story?id=7&x=%20y", "https://a.example/story?id=7&x=%20y"),
        ("https://a.example/#/news/7", "https://a.example/#/news/7"),
        ("https://a.example/#!news/7", "https://a.example/#!news/7"),
    ],
)
def test_urls_lose_tracking_parameters_and_fragments(tmp_path, url, kept):
    """Tracking parameters and plain fragments go; other parameters and routes stay as written."""
    article = read_record(tmp_path, {"title": "t", "url": url})
    assert article.url == kept
    assert article.id == make_article_id(kept, "t", "")


def test_the_same_story_shared_twice_is_one_article(tmp_path):
    """Two shares of one URL give one id, the id the bare URL always had."""
    path = write_jsonl(
        tmp_path / "news.jsonl",
        {"title": "a", "url": "https://a.example/s?utm_source=tw"},
        {"title": "b", "url": "https://a.example/s?fbclid=9#top"},
    )
    first, second = read_jsonl(path)
    assert first.id == second.id == make_article_id("https://a.example/s", "", "")


# --- .json ---------------------------------------------------------------------------------


def test_json_array_and_single_object(tmp_path):
    """A .json array yields each object; a .json object yields one article."""
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"title": "a"}, {"title": "b"}], indent=2), encoding="utf-8")
    one = tmp_path / "one.json"
    one.write_text('{"title": "c"}', encoding="utf-8")
    assert [a.title for a in read_paths([many, one])] == ["a", "b", "c"]


def test_json_array_errors_name_the_line_of_the_object(tmp_path):
    """In skip mode a bad array element is reported at its own line and the rest still read."""
    path = tmp_path / "many.json"
    path.write_text('[\n  {"title": "a"},\n  {"title": 7},\n  "x",\n  {"title": "b"}\n]\n')
    errors: list[IngestError] = []
    articles = list(read_json(path, on_error=errors.append))
    assert [a.title for a in articles] == ["a", "b"]
    assert [(e.line, e.reason) for e in errors] == [
        (3, "field 'title': expected text, not int"),
        (4, "expected a JSON object, found a string"),
    ]


def test_json_syntax_error_names_its_line(tmp_path):
    """A missing comma inside a .json array is reported at its line; nothing after it is read."""
    path = tmp_path / "many.json"
    path.write_text('[\n  {"title": "a"}\n  {"title": "b"}\n]\n')
    errors: list[IngestError] = []
    assert [a.title for a in read_json(path, on_error=errors.append)] == ["a"]
    assert [(e.line, e.reason) for e in errors] == [
        (3, "invalid JSON: Expecting ',' delimiter (column 3)")
    ]


def test_json_top_level_scalar_is_an_error(tmp_path):
    """A .json file holding a number is neither an article nor a list of them."""
    path = tmp_path / "n.json"
    path.write_text("\n42\n")
    err = raised(lambda: read_json(path))
    assert (err.line, err.reason) == (
        2,
        "expected a JSON object or an array of objects, found a number",
    )


NEWSAPI = """{
  "status": "ok",
  "totalResults": 3,
  "articles": [
    {"source": {"id": null, "name": "BBC News"}, "title": "One", "content": "First."},
    {"source": {"id": null, "name": "BBC News"}, "title": "Two",
     "publishedAt": "yesterday"},
    {"title": "Three", "description": "Third."}
  ]
}
"""


def test_json_newsapi_envelope_is_read_as_its_articles(tmp_path):
    """A NewsAPI response yields its articles; a bad one is named by line and index."""
    path = tmp_path / "top.json"
    path.write_text(NEWSAPI, encoding="utf-8")
    errors: list[IngestError] = []
    articles = list(read_json(path, on_error=errors.append))
    assert [(a.title, a.body, a.source) for a in articles] == [
        ("One", "First.", "BBC News"),
        ("Three", "Third.", None),
    ]
    assert [(e.path, e.line, e.reason) for e in errors] == [
        (
            str(path),
            6,
            "articles[1]: field 'publishedAt': invalid date 'yesterday' "
            "(expected ISO 8601, RFC 822, '16 March 2025' or seconds since 1970)",
        )
    ]


@pytest.mark.parametrize("key", ["items", "data"])
def test_json_items_or_data_envelope(tmp_path, key):
    """An object with no article keys around an items or data array is an envelope."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"count": 2, key: [{"title": "a"}, {"headline": "b"}]}))
    assert [a.title for a in read_json(path)] == ["a", "b"]


def test_json_article_with_a_data_list_is_not_an_envelope(tmp_path):
    """An object with a title is one article, whatever lists it also holds."""
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"title": "t", "data": [{"title": "x"}]}))
    assert [a.title for a in read_json(path)] == ["t"]


def test_json_newsapi_error_response_is_one_error(tmp_path):
    """A saved NewsAPI error response is reported with its message, not as an empty article."""
    path = tmp_path / "top.json"
    path.write_text(
        json.dumps({"status": "error", "code": "apiKeyInvalid", "message": "Your key is invalid."})
    )
    err = raised(lambda: read_json(path))
    assert (err.line, err.reason) == (1, "an error response, not articles: Your key is invalid.")


def test_json_envelope_syntax_error_names_its_line(tmp_path):
    """A missing comma inside an envelope's array is a syntax error at its line."""
    path = tmp_path / "top.json"
    path.write_text('{"articles": [\n  {"title": "a"}\n  {"title": "b"}\n]}\n')
    err = raised(lambda: read_json(path))
    assert (err.line, err.reason) == (3, "invalid JSON: Expecting ',' delimiter (column 3)")


def test_json_gz_and_ndjson_gz_are_read(tmp_path):
    """.json.gz and .ndjson.gz files are found in folders and read like their plain forms."""
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(NEWSAPI.encode(), mtime=0))
    (tmp_path / "b.ndjson.gz").write_bytes(gzip.compress(b'{"title": "nd"}\n', mtime=0))
    errors: list[IngestError] = []
    titles = [a.title for a in read_paths(tmp_path, on_error=errors.append)]
    assert titles == ["One", "Three", "nd"]
    assert [e.line for e in errors] == [6]


def test_json_gz_truncated_is_one_error(tmp_path):
    """A cut-off gzipped .json is one error for the whole file."""
    path = tmp_path / "a.json.gz"
    path.write_bytes(gzip.compress(NEWSAPI.encode(), mtime=0)[:-10])
    err = raised(lambda: read_json(path))
    assert (err.line, err.reason) == (0, "the gzip file is truncated")


# --- files and folders ---------------------------------------------------------------------


def test_folder_is_read_recursively_sorted_and_dispatched(tmp_path):
    """Nested files of every type are read in name order; other and hidden files are skipped."""
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    write_jsonl(tmp_path / "c.jsonl", {"title": "c"})
    write_jsonl(tmp_path / "b" / "z.ndjson", {"title": "bz"})
    (tmp_path / "b" / "a.TXT").write_text("ba\n\nbody\n", encoding="utf-8")
    (tmp_path / "a.json").write_text('[{"title": "a"}]', encoding="utf-8")
    write_jsonl(tmp_path / ".secret.jsonl", {"title": "hidden"})
    write_jsonl(tmp_path / ".hidden" / "x.jsonl", {"title": "hidden dir"})
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "README").write_text("not an article")
    assert [a.title for a in read_path(tmp_path)] == ["a", "ba", "bz", "c"]


def test_folder_reports_files_of_other_types(tmp_path):
    """A folder's files of other types go to on_ignored in walk order; hidden files do not."""
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    write_jsonl(tmp_path / "a.jsonl", {"title": "a"})
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "sub" / "scan.PDF").write_bytes(b"%PDF")
    (tmp_path / "sub" / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / "README").write_text("not an article", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / ".hidden" / "x.pdf").write_bytes(b"%PDF")
    ignored: list[Path] = []
    assert [a.title for a in read_path(tmp_path, on_ignored=ignored.append)] == ["a"]
    assert ignored == [
        tmp_path / "README",
        tmp_path / "notes.pdf",
        tmp_path / "sub" / "photo.png",
        tmp_path / "sub" / "scan.PDF",
    ]


def test_read_paths_reports_ignored_files_of_every_folder(tmp_path):
    """read_paths passes on_ignored to each folder it reads; a named file is never ignored."""
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cover.jpg").write_bytes(b"")
    good = write_jsonl(tmp_path / "good.jsonl", {"title": "g"})
    ignored: list[Path] = []
    folders = [tmp_path / "one", good, tmp_path / "two"]
    assert [a.title for a in read_paths(folders, on_ignored=ignored.append)] == ["g"]
    assert ignored == [tmp_path / "one" / "cover.jpg", tmp_path / "two" / "cover.jpg"]


def test_folder_skip_mode_goes_on_after_a_bad_seed(tmp_path):
    """A bad seed file in a folder is reported and the next file is still read."""
    (tmp_path / "1.txt").write_text(" date 2025-02-30 x\n\nTitle\n", encoding="utf-8")
    write_jsonl(tmp_path / "2.jsonl", {"title": "ok"})
    errors: list[IngestError] = []
    assert [a.title for a in read_path(tmp_path, on_error=errors.append)] == ["ok"]
    assert [(Path(e.path).name, e.line) for e in errors] == [("1.txt", 1)]


def test_unsupported_explicit_file_is_an_error(tmp_path):
    """Naming a .pdf explicitly is an error listing the supported types."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(b"%PDF")
    err = raised(lambda: read_path(path))
    assert (err.path, err.line) == (str(path), 0)
    assert err.reason == (
        "unsupported file type '.pdf' "
        "(expected .txt, .jsonl, .ndjson, .jsonl.gz, .ndjson.gz, .json, .json.gz, .csv, .csv.gz, "
        ".tsv, .tsv.gz, .rss, .atom, .xml, .html, .htm, .warc or .warc.gz)"
    )


def test_missing_path_is_an_error_or_reported(tmp_path):
    """A missing path raises, or in skip mode is reported and the other paths are read."""
    missing = tmp_path / "nope.jsonl"
    err = raised(lambda: read_path(missing))
    assert (err.line, err.reason, str(err)) == (
        0,
        "no such file or folder",
        f"{missing}: no such file or folder",
    )
    good = write_jsonl(tmp_path / "good.jsonl", {"title": "g"})
    errors: list[IngestError] = []
    assert [a.title for a in read_paths([missing, good], on_error=errors.append)] == ["g"]
    assert [e.path for e in errors] == [str(missing)]


def test_read_paths_accepts_a_single_path(tmp_path):
    """A lone string path is one path, not a sequence of one-letter paths."""
    write_jsonl(tmp_path / "a.jsonl", {"title": "a"})
    assert [a.title for a in read_paths(str(tmp_path))] == ["a"]


def test_folder_named_like_a_file_type_is_one_error(tmp_path):
    """read_jsonl on a folder cannot read it: one error on line 0."""
    folder = tmp_path / "news.jsonl"
    folder.mkdir()
    err = raised(lambda: read_jsonl(folder))
    assert err.line == 0
    assert err.reason.startswith("cannot read it: ")  # "is a directory" on POSIX


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unreadable_file_is_one_error(tmp_path):
    """A file without read permission is one error on line 0."""
    path = write_jsonl(tmp_path / "locked.jsonl", {"title": "a"})
    path.chmod(0)
    try:
        if _can_read(path):
            pytest.skip("running with permissions that ignore the mode (root)")
        err = raised(lambda: read_path(path))
        assert (err.line, err.reason) == (0, "cannot read it: permission denied")
    finally:
        path.chmod(0o644)


def _can_read(path: Path) -> bool:
    try:
        path.read_bytes()
    except PermissionError:
        return False
    return True


# --- the bundled sample and the module boundary --------------------------------------------


def test_sample_paths_exist_and_read_into_many_unique_articles():
    """The sample is the seed plus over 1,000 Wikinews articles, all with unique ids."""
    paths = sample_paths()
    assert [p.name for p in paths] == ["000_cf3f115601c28b53.txt", "wikinews-sample.jsonl.gz"]
    assert all(p.is_file() for p in paths)
    articles = list(read_paths(paths))
    assert articles[0].id == "cf3f115601c28b53"
    assert articles[0].source == "Kyiv Independent"
    assert len(articles) >= 1000
    assert len({a.id for a in articles}) == len(articles)
    wikinews = articles[1:]
    assert {a.source for a in wikinews} == {"Wikinews"}
    assert all(a.url and a.url.startswith("https://en.wikinews.org/") for a in wikinews)
    assert {a.published.year for a in wikinews if a.published} >= {2005, 2010, 2019, 2020}


def test_bundled_seed_is_a_copy_of_the_repository_seed():
    """The seed inside the package matches seeds/ byte for byte."""
    assert sample_paths()[0].read_bytes() == SEED.read_bytes()


def test_ingest_imports_only_models_errors_and_itself():
    """The ingest stage depends on no later pipeline stage."""
    package = REPO / "src" / "newsindex" / "ingest"
    allowed = {"newsindex.models", "newsindex.errors"}
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("newsindex"):
                assert node.module in allowed or node.module.startswith("newsindex.ingest"), (
                    module.name,
                    node.module,
                )


# --- CSV and TSV ---------------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_quoted_newlines(tmp_path):
    """A BOM, `;` delimiters and a quoted body spanning lines give one exact article."""
    path = tmp_path / "a.csv"
    text = '\ufeffheadline;content;pubDate\n"Harbour; reopens";"Line one\nline two";2025-03-01\n'
    path.write_bytes(text.encode("utf-8"))
    (article,) = read_path(path)
    assert (article.title, article.body) == ("Harbour; reopens", "Line one\nline two")
    assert article.published == dt.datetime(2025, 3, 1, tzinfo=UTC)


def test_csv_bad_row_names_the_line_where_it_starts(tmp_path):
    """A bad date in the row after a two-line quoted field is reported at its physical line."""
    path = tmp_path / "a.csv"
    path.write_text('title,body,date\nA,"one\ntwo",2025-01-01\nB,text,not a date\n', "utf-8")
    err = raised(lambda: read_path(path))
    assert (err.path, err.line) == (str(path), 4)
    assert err.reason.startswith("field 'date': invalid date 'not a date'")
    errors: list[IngestError] = []
    assert [a.title for a in read_path(path, on_error=errors.append)] == ["A"]
    assert [e.line for e in errors] == [4]


def test_csv_column_map_and_missing_column(tmp_path):
    """A column map reads other column names; a mapped column the file lacks is named."""
    path = tmp_path / "a.csv"
    path.write_text("Headline Text,Story,When\nTitle here,Body here,2025-02-03\n", "utf-8")
    columns = {"title": "Headline Text", "body": "Story", "published": "When"}
    (article,) = read_path(path, column_map=columns)
    assert (article.title, article.body) == ("Title here", "Body here")
    assert article.published == dt.datetime(2025, 2, 3, tzinfo=UTC)
    err = raised(lambda: read_path(path, column_map={"title": "Heading"}))
    assert (err.line, err.reason) == (
        1,
        "no column 'Heading' (mapped to title); the header has 'Headline Text', 'Story', 'When'",
    )


def test_tsv_gzipped_without_gz_extension(tmp_path):
    """A gzipped TSV named .tsv is read; authors split on `;`."""
    path = tmp_path / "a.tsv"
    path.write_bytes(gzip.compress(b"Title\tBody\tAuthor\nT\tB, with comma\tAnn Lee; Bo Chan\n"))
    (article,) = read_path(path)
    assert (article.title, article.body, article.authors) == (
        "T",
        "B, with comma",
        ("Ann Lee", "Bo Chan"),
    )


def test_row_with_wrong_field_count(tmp_path):
    """A row with more fields than the header is an error naming its line."""
    path = tmp_path / "a.csv"
    path.write_text("title,body\nA,B\nC,D,E\n", "utf-8")
    err = raised(lambda: read_path(path))
    assert (err.line, err.reason) == (3, "the row has 3 fields and the header 2")


# --- detection by content and streams ------------------------------------------------------


def test_gzip_without_extension_is_detected(tmp_path):
    """A gzipped JSON Lines file with no extension is read by its content."""
    path = tmp_path / "export"
    path.write_bytes(gzip.compress(b'{"title": "A", "body": "B"}\n{"title": "C", "body": "D"}\n'))
    assert [a.title for a in read_path(path)] == ["A", "C"]


def test_xml_holding_json_is_read_as_json(tmp_path):
    """An .xml file that holds a JSON array is read as JSON."""
    path = tmp_path / "odd.xml"
    path.write_text('[{"title": "A", "body": "B"}]', "utf-8")
    assert [a.title for a in read_path(path)] == ["A"]


def test_folder_mixing_formats_names_what_it_cannot_read(tmp_path):
    """A folder's CSV, JSON, JSONL and unnamed files are read; unreadable ones are ignored."""
    (tmp_path / "a.csv").write_text("title,body\nA,x\n", "utf-8")
    write_jsonl(tmp_path / "b.jsonl", {"title": "B", "body": "x"})
    (tmp_path / "c.json").write_text('{"title": "C", "body": "x"}', "utf-8")
    (tmp_path / "d").write_text("title\tbody\nD\tx\n", "utf-8")
    (tmp_path / "README").write_text("Just some notes about this folder.\n", "utf-8")
    (tmp_path / "e.pdf").write_bytes(b"%PDF")
    ignored: list[Path] = []
    titles = [a.title for a in read_path(tmp_path, on_ignored=ignored.append)]
    assert titles == ["A", "B", "C", "D"]
    assert sorted(p.name for p in ignored) == ["README", "e.pdf"]


def test_stream_errors_name_stdin(tmp_path):
    """A stream is read by content and its errors name `<stdin>` and the line."""
    good = b'{"title": "A", "body": "B"}\n'
    assert [a.title for a in read_stream(io.BytesIO(good))] == ["A"]
    err = raised(lambda: read_stream(io.BytesIO(good + b'{"title": \n')))
    assert (err.path, err.line) == ("<stdin>", 2)
    csv_text = b"title,body\nA,B\n"
    assert [a.body for a in read_stream(io.BytesIO(csv_text), format="csv")] == ["B"]


def test_unknown_format_is_an_invalid_argument():
    """An unknown format name raises InvalidArgumentError listing the formats."""
    with pytest.raises(InvalidArgumentError, match=r"Unknown format 'xls': use one of .*csv"):
        list(read_stream(io.BytesIO(b""), format="xls"))
    assert {"csv", "json", "jsonl", "tsv", "txt"} <= set(input_formats())


@pytest.mark.parametrize(
    "authors",
    [
        {"@type": "Person", "name": "Ana Lima"},
        [{"@type": "Person", "name": "Ana Lima"}, "Bo Ek"],
    ],
)
def test_author_objects_give_their_names(tmp_path, authors):
    """Authors written as objects with a name (schema.org's Person) give their names."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"title": "t", "body": "b", "author": authors}) + "\n", "utf-8")
    (article,) = read_jsonl(path)
    assert article.authors == (
        ("Ana Lima",) if isinstance(authors, dict) else ("Ana Lima", "Bo Ek")
    )


@pytest.mark.parametrize(
    ("record", "body", "published"),
    [
        (
            {"content": "The minister spoke on Monday. The talks go on… [+1234 chars]"},
            "The minister spoke on Monday. The talks go on",
            None,
        ),
        (
            {"content": "&lt;p&gt;The &lt;b&gt;minister&lt;/b&gt; spoke.&lt;/p&gt;"},
            "The minister spoke.",
            None,
        ),
        ({"content": "Text", "pubDate": "1742098560"}, "Text", "2025-03-16T04:16:00+00:00"),
    ],
)
def test_export_quirks(tmp_path, record, body, published):
    """NewsAPI's cut-off marker goes, HTML escaped twice is read as HTML, epoch text is a date."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"title": "t", **record}) + "\n", "utf-8")
    (article,) = read_jsonl(path)
    assert article.body == body
    assert (article.published.isoformat() if article.published else None) == published


def test_a_column_map_names_a_json_export_s_own_keys(tmp_path):
    """`column_map` reads fields from a JSON export's own keys, before the usual names."""
    path = tmp_path / "a.jsonl"
    record = {
        "head": "Ferry strike ends",
        "title": "ignored",
        "story": "The strike is over.",
        "when": "2025-03-20",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    mapping = {"title": "head", "body": "story", "published": "when"}
    (article,) = read_path(path, column_map=mapping)
    assert (article.title, article.body) == ("Ferry strike ends", "The strike is over.")
    assert article.published.isoformat() == "2025-03-20T00:00:00+00:00"
