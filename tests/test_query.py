"""Tests for the query syntax and searching: each query form, dates, sorting, pages, odd input."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from conftest import build_index
from hypothesis import given, settings
from hypothesis import strategies as st

from newsindex import Article, NewsIndex, QuerySyntaxError, SearchResults

SEED_ID = "cf3f115601c28b53"
UTC = dt.timezone.utc
DATED_2025 = ["h-glacier-title", "h-march-end", SEED_ID, "h-glacier-body", "h-newyear"]
"""Every 2025 article of the session index, newest first."""


def ids(results: SearchResults) -> list[str]:
    """The ids of a page of hits, in order."""
    return [hit.id for hit in results.hits]


def found(news: NewsIndex, query: str, **options) -> set[str]:
    """The ids of every article matching ``query``."""
    return set(ids(news.search(query, limit=1000, **options)))


class TestWords:
    def test_bare_words_all_required(self, news):
        """Words side by side must all occur."""
        assert found(news, "meloni starmer") == {SEED_ID}
        assert found(news, "meloni glacier") == set()

    @pytest.mark.parametrize("word", ["peacekeeper", "peacekeeping", "Peacekeepers", "PEACEKEEP"])
    def test_stemming(self, news, word):
        """Forms of a word find each other through the stemmer."""
        assert found(news, word) == {SEED_ID}

    def test_case_and_possessive(self, news):
        """`Ukraine's` and `ukraine` are the same term."""
        assert found(news, "Ukraine's meloni") == found(news, "ukraine meloni") == {SEED_ID}

    def test_hit_fields(self, news):
        """A hit carries the article's metadata, a 1-based rank and a positive score."""
        hit = news.search("meloni").hits[0]
        assert hit.id == SEED_ID
        assert hit.title.startswith("Italy does not plan to send peacekeepers")
        assert hit.published == dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)
        assert hit.source == "Kyiv Independent"
        assert hit.authors == ("Volodymyr Ivanyshyn",)
        assert hit.rank == 1
        assert hit.score > 0


class TestPhrases:
    def test_phrase(self, news):
        """An exact phrase matches."""
        assert found(news, '"coalition of the willing"') == {SEED_ID}

    @pytest.mark.parametrize("query", ['"coalition of willing"', '"willing coalition"'])
    def test_phrase_is_exact(self, news, query):
        """A phrase with a word missing or out of order does not match."""
        assert found(news, query) == set()

    def test_slop(self, news):
        """`~N` lets N other words in between."""
        assert found(news, '"coalition willing"~2') == {SEED_ID}

    def test_slop_too_small(self, news):
        """A slop smaller than the gap does not match."""
        assert found(news, '"coalition willing"~1') == set()

    def test_phrase_in_title(self, news):
        """A phrase matches in the title too."""
        assert found(news, 'title:"glacier melt"') == {"h-glacier-title"}


class TestBoolean:
    def test_or(self, news):
        """`OR` matches either side."""
        assert found(news, "meloni OR zermatt") == {SEED_ID, "h-glacier-title"}

    def test_not(self, news):
        """`NOT` excludes."""
        assert found(news, "section:science NOT zermatt") == {"h-glacier-body"}

    def test_minus(self, news):
        """`-word` excludes."""
        assert found(news, "section:science -zermatt") == {"h-glacier-body"}
        assert found(news, "meloni -macron") == set()

    @pytest.mark.parametrize(
        ("query", "match"), [("iraq -war", "all"), ("iraq NOT war", "all"), ("iraq -war", "any")]
    )
    def test_exclusion_when_an_excluded_article_comes_first(self, make_index, query, match):
        """An excluded word's article before the first match still excludes every match."""
        # Whoosh's own AndNot matcher kept the first match in that case.
        news = make_index(
            [
                Article(id="other-war", title="A war", body="A war elsewhere."),
                Article(id="iraq-war", title="Iraq", body="The Iraq war: peace talks."),
                Article(id="iraq-peace", title="Iraq", body="Iraq peace talks."),
            ]
        )
        assert ids(news.search(query, match=match)) == ["iraq-peace"]

    def test_parentheses(self, news):
        """Parentheses group an OR inside an AND."""
        assert found(news, "researchers (zermatt OR monday)") == {
            "h-glacier-title",
            "h-glacier-body",
        }
        assert found(news, "(meloni OR zermatt) -alps") == {SEED_ID}

    def test_and_keyword(self, news):
        """`AND` is accepted and means the same as a space."""
        assert found(news, "meloni AND starmer") == found(news, "meloni starmer") == {SEED_ID}

    def test_minus_phrase(self, news):
        """A phrase can be excluded."""
        assert found(news, 'section:science -"ice sheets"') == {"h-glacier-body"}


class TestFields:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("title:peacekeepers", {SEED_ID}),
            ("title:meloni", set()),
            ("body:meloni", {SEED_ID}),
            ("text:meloni", {SEED_ID}),
            ("author:ivanyshyn", {SEED_ID}),
            ('author:"volodymyr ivanyshyn"', {SEED_ID}),
            ("by:nordmann", {"h-march-end"}),
            ('source:"kyiv independent"', {SEED_ID}),
            ("source:kyiv", {SEED_ID}),
            ('source:"harbour daily"', {"h-newyear", "h-march-end"}),
            (f"id:{SEED_ID}", {SEED_ID}),
            ("id:h-march-end", {"h-march-end"}),
            ("tag:glaciers", {"h-glacier-title"}),
            ("tags:roundup", {"h-glacier-body"}),
            ("section:science", {"h-glacier-title", "h-glacier-body"}),
            ("section:politics", {"h-march-end"}),
            ("url:alpine", {"h-glacier-title"}),
            ("url:alpine.example", {"h-glacier-title"}),
            ("TITLE:glacier", {"h-glacier-title"}),
            ("title:(glacier OR budget)", {"h-glacier-title", "h-march-end"}),
        ],
    )
    def test_field(self, news, query, expected):
        """`field:value` searches only that field."""
        assert found(news, query) == expected

    def test_names_not_stemmed(self, news):
        """Name fields are not stemmed: `source:harbours` does not find 'Harbour Daily'."""
        assert found(news, "source:harbours") == set()

    def test_field_with_words(self, news):
        """A field prefix binds to one word; the next word is searched everywhere."""
        assert found(news, "author:ivanyshyn starmer") == {SEED_ID}
        assert found(news, "author:ivanyshyn zermatt") == set()

    def test_excluded_field(self, news):
        """`-field:value` excludes by field."""
        assert found(news, "section:science -tag:climate") == {"h-glacier-body"}


class TestDates:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("date:2025-03-16", {SEED_ID}),
            ("date:2025-03", {SEED_ID, "h-march-end"}),
            ("date:2025", set(DATED_2025)),
            ("date:[2025-03-01 TO 2025-03-31]", {SEED_ID, "h-march-end"}),
            ("date:[2025-03-16 TO 2025-03-16]", {SEED_ID}),
            ("date:[2025-04-01 TO *]", {"h-glacier-title"}),
            ("date:[2025-03-17 TO 2025-04]", {"h-march-end", "h-glacier-title"}),
            ("published:2025-01-20", {"h-glacier-body"}),
        ],
    )
    def test_date_query(self, news, query, expected):
        """Days, months, years and ranges (inclusive at both ends) select by publication date."""
        assert found(news, query) == expected

    def test_date_in_utc(self, news):
        """A time given at UTC-2 on 31 December is 1 January in UTC, and filed there."""
        assert found(news, "date:2025-01-01") == {"h-newyear"}
        assert "h-newyear" not in found(news, "date:2024-12-31")

    def test_open_start(self, news, sample_articles):
        """`[* TO 2024]` holds everything dated up to the end of 2024, nothing from 2025."""
        result = found(news, "date:[* TO 2024]")
        assert result == {a.id for a in sample_articles}
        assert not result & set(DATED_2025)

    def test_undated_never_in_date_query(self, news):
        """Undated articles match no date query, not even an open range."""
        assert "h-undated" not in found(news, "date:[* TO *]")

    def test_date_with_words(self, news):
        """A date narrows a word query."""
        assert found(news, "researchers date:2025-04") == {"h-glacier-title"}

    @pytest.mark.parametrize(
        ("since", "until", "expected"),
        [
            ("2025-03-16", "2025-03-31", {SEED_ID, "h-march-end"}),
            (dt.date(2025, 3, 16), dt.date(2025, 3, 31), {SEED_ID, "h-march-end"}),
            ("2025-03", "2025-03", {SEED_ID, "h-march-end"}),
            (None, "2025-01-01", {"h-newyear"}),
            ("2025-04-02", None, {"h-glacier-title"}),
            (
                dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC),
                dt.datetime(2025, 3, 16, 6, 16, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                {SEED_ID},
            ),
            (dt.datetime(2025, 3, 16, 4, 17, tzinfo=UTC), "2025-03-20", set()),
        ],
    )
    def test_since_until(self, news, since, until, expected):
        """`since`/`until` are inclusive; a date as `until` covers that whole day."""
        assert found(news, "date:2025", since=since, until=until) == expected

    def test_since_until_shown_in_query(self, news):
        """The understood query shows the date filter."""
        results = news.search("meloni", since="2025-03-16", until="2025-03-31")
        assert results.query == "meloni AND date:[2025-03-16 TO 2025-03-31]"
        assert ids(results) == [SEED_ID]


class TestPrefix:
    def test_prefix(self, news):
        """`peace*` finds words starting with 'peace'."""
        result = found(news, "peace*")
        assert {SEED_ID, "h-undated"} <= result

    def test_prefix_narrower_than_stem(self, news):
        """`peacek*` finds the seed but not 'peace talks'."""
        result = found(news, "peacek*")
        assert SEED_ID in result
        assert "h-undated" not in result

    def test_field_prefix(self, news):
        """A prefix works inside a field."""
        assert found(news, "title:glac*") == {"h-glacier-title"}


class TestSorting:
    def test_newest(self, news):
        """`newest` orders dated articles latest first."""
        assert ids(news.search("date:2025", sort="newest")) == DATED_2025

    def test_oldest(self, news):
        """`oldest` orders dated articles earliest first."""
        assert ids(news.search("date:2025", sort="oldest")) == DATED_2025[::-1]

    @pytest.mark.parametrize("sort", ["newest", "oldest"])
    def test_undated_last(self, small_news, sort):
        """Undated articles come after the dated ones in either date order."""
        assert ids(small_news.search("talks", sort=sort)) == ["h-march-end", "h-undated"]

    @pytest.mark.parametrize("sort", ["newest", "oldest"])
    def test_date_order_with_a_segment_of_undated_articles(self, make_index, sort):
        """A segment with no dated article (so no date column) sorts last, without an error."""
        news = make_index(
            [Article(id="undated", title="Ferry", body="A ferry boat.")],  # one segment
            [Article(id="dated", title="Ferry", body="A ferry.", published="2020-01-01")],
        )
        assert ids(news.search("ferry", sort=sort)) == ["dated", "undated"]

    @pytest.mark.parametrize("sort", ["newest", "oldest"])
    def test_date_order_ties_go_to_the_earlier_article_on_every_page(self, make_index, sort):
        """Articles sharing dates, and undated ones, come in date order, ties in the order
        they were added, undated last, across pages and segments."""
        days = ["2021-03-01", None, "2019-07-04", "2021-03-01", None, "2020-01-01"]
        added = [
            Article(id=f"a{n:02}", title="Ferry", body="A ferry.", published=days[n % 6])
            for n in range(36)
        ]
        news = make_index(added[:20], added[20:])  # two segments
        dated = [a for a in added if a.published]
        dated.sort(key=lambda a: a.published, reverse=sort == "newest")  # stable: ties in order
        expected = [a.id for a in dated] + [a.id for a in added if not a.published]
        pages = [ids(news.search("ferry", sort=sort, limit=7, page=n)) for n in range(1, 7)]
        assert [i for page in pages for i in page] == expected

    @pytest.mark.parametrize("sort", ["newest", "oldest"])
    def test_date_order_keeps_relevance_scores(self, news, sort):
        """Hits in date order carry the same relevance scores as in relevance order."""
        by_date = news.search("researchers OR meloni OR zermatt", sort=sort, limit=100)
        by_relevance = news.search("researchers OR meloni OR zermatt", limit=100)
        assert len(by_date.hits) >= 3
        assert {h.id: h.score for h in by_date.hits} == {h.id: h.score for h in by_relevance.hits}
        assert all(h.score > 0 for h in by_date.hits)

    def test_sort_recorded(self, news):
        """The results say how they were sorted."""
        assert news.search("date:2025", sort="oldest").sort == "oldest"


class TestPages:
    def test_page_two(self, news, sample_articles):
        """Page 2 holds ranks 11-20 of the whole list, and the total is unchanged."""
        if not sample_articles:
            pytest.skip("needs the bundled sample for more than 20 dated articles")
        query = "date:[* TO *]"
        everything = news.search(query, sort="oldest", limit=100)
        page_two = news.search(query, sort="oldest", limit=10, page=2)
        assert everything.total > 20
        assert page_two.total == everything.total
        assert [h.rank for h in page_two.hits] == list(range(11, 21))
        assert ids(page_two) == ids(everything)[10:20]
        assert page_two.page == 2

    def test_last_partial_page(self, news):
        """The last page holds the remainder."""
        first = news.search("date:2025", limit=2, sort="newest")
        last = news.search("date:2025", limit=2, page=3, sort="newest")
        assert first.pages == 3
        assert ids(last) == ["h-newyear"]
        assert last.hits[0].rank == 5

    def test_beyond_last_page(self, news):
        """A page past the end has no hits but still the total."""
        results = news.search("date:2025", limit=10, page=5)
        assert results.hits == ()
        assert results.total == 5


class TestRanking:
    def test_title_above_body(self, empty_news):
        """An article with the word in its title ranks above one with it only in its body."""
        day = "2025-03-01"
        empty_news.add(
            [
                Article(
                    id="body-only",
                    title="Weekly roundup of the news",
                    body="Scientists visited the glacier and measured the ice loss.",
                    published=day,
                ),
                Article(
                    id="in-title",
                    title="Glacier roundup of the news",
                    body="Scientists visited the valley and measured the ice loss.",
                    published=day,
                ),
            ]
        )
        assert ids(empty_news.search("glacier")) == ["in-title", "body-only"]

    def test_seed_first_for_peacekeepers(self, news):
        """The seed article is the best match for 'peacekeepers' in the session index."""
        assert ids(news.search("peacekeepers"))[0] == SEED_ID


class TestUnderstoodQuery:
    @pytest.mark.parametrize(
        ("query", "understood"),
        [
            ("Peacekeepers", "peacekeep"),
            ('meloni "coalition of the willing"', 'meloni AND "coalit of the will"'),
            ('"coalition willing"~2', '"coalit will"~2'),
            ("meloni OR starmer", "(meloni OR starmer)"),
            ("meloni -macron", "meloni AND -macron"),
            ("author:ivanyshyn", "author:ivanyshyn"),
            ("date:2025-03", "date:2025-03"),
            ("date:[2025-04-01 TO *]", "date:[2025-04-01 TO *]"),
            ("foo:bar", '"foo bar"'),
        ],
    )
    def test_query_shown(self, news, query, understood):
        """`SearchResults.query` shows the query as newsindex understood it."""
        assert news.search(query).query == understood


class TestOddQueries:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('"coalition of the willing', {SEED_ID}),
            ('meloni"', {SEED_ID}),
            ('"meloni" "', {SEED_ID}),
            ("U.N.-backed", {"h-march-end"}),
            ("italian:prime", {SEED_ID}),
            ("- meloni", {SEED_ID}),
            ("meloni -", {SEED_ID}),
            ("+meloni", {SEED_ID}),
        ],
    )
    def test_forgiving(self, news, query, expected):
        """Stray quotes, dots, hyphens and unknown `name:` prefixes are read as text."""
        assert found(news, query) == expected

    @pytest.mark.parametrize(
        ("query", "position", "message"),
        [
            ("", 0, "the query has no words to search for"),
            ("   ", 0, "the query has no words to search for"),
            (":", 0, "the query has no words to search for"),
            ('""', 0, "the query has no words to search for"),
            ("title:", 0, "'title:' has nothing after it"),
            ("meloni title:", 7, "'title:' has nothing after it"),
            ("title: meloni", 0, "'title:' has nothing after it"),
            ("((", 1, "'(' is never closed"),
            ("))", 0, "')' has no matching '('"),
            ("()", 0, "the parentheses hold nothing to search for"),
            ("a OR", 2, "'OR' needs a word on each side"),
            ("OR a", 0, "'OR' needs a word on each side"),
            ("NOT", 0, "'NOT' needs a word after it"),
            ("-meloni", 0, "the query only excludes words; add a word to search for"),
            ("p*", 0, "a prefix needs at least 2 letters before '*'"),
            (
                "date:2025-13",
                5,
                "date: takes 2025, 2025-03, 2025-03-16 or [2025-03-01 TO 2025-03-31]",
            ),
            ("date:[2025 TO 2024]", 6, "the range starts after it ends"),
            ("date:[2025", 5, "the range opened here has no closing ']'"),
            ("title:[2025 TO 2026]", 6, "'title:' does not take a range; only date: does"),
            ("title:-meloni", 6, "put '-' before 'title:', not after it"),
        ],
    )
    def test_syntax_error(self, news, query, position, message):
        """Queries that cannot be understood raise QuerySyntaxError with the 1-based position."""
        with pytest.raises(QuerySyntaxError) as info:
            news.search(query)
        assert info.value.position == position
        assert str(info.value) == f"Query error at position {position + 1}: {message}."
        assert info.value.query == query

    @pytest.mark.parametrize("query", ['id:"x y"', 'id:"cf3f115601c28b53"', "id:(a OR b)"])
    def test_id_forms(self, news, query):
        """Quoted and grouped ids give results or a QuerySyntaxError, never a crash."""
        with contextlib.suppress(QuerySyntaxError):
            news.search(query)

    def test_quoted_id(self, news):
        """A quoted id finds the article like a bare one."""
        assert found(news, f'id:"{SEED_ID}"') == {SEED_ID}

    def test_no_hits(self, news):
        """A word nobody used gives zero hits, not an error."""
        results = news.search("zzyzx")
        assert (results.total, results.hits) == (0, ())


# --- properties --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_news(tmp_path_factory, seed_article, hand_articles):
    """A small index for the property tests."""
    index = build_index(tmp_path_factory.mktemp("tiny") / "index", [seed_article, *hand_articles])
    yield index
    index.close()


_PREFIXES = st.sampled_from(
    [
        "",
        "",
        "-",
        "+",
        "title:",
        "body:",
        "id:",
        "author:",
        "tag:",
        "url:",
        "date:",
        "foo:",
        "-date:",
    ]
)
_VALUES = st.sampled_from(
    [
        "meloni",
        "Ukraine's",
        "U.N.-backed",
        "1,000",
        "é",
        "peace*",
        "p*",
        "*",
        '"coalition of the willing"',
        '"coalition willing"~2',
        '"x y"~',
        '"meloni',
        '"',
        '""',
        "(meloni OR peace)",
        "(",
        ")",
        "2025",
        "2025-03",
        "2025-13",
        "[2025 TO *]",
        "[* TO 2024-03-16]",
        "[2025 TO 2024]",
        "{2025 TO 2026}",
        "[2025",
        "]",
        ":",
    ]
)
_OPERATORS = st.sampled_from(["OR", "AND", "NOT", "TO", "(", ")", "~2"])
_PIECES = st.one_of(st.builds(str.__add__, _PREFIXES, _VALUES), _OPERATORS)
NEAR_QUERIES = st.lists(st.tuples(_PIECES, st.sampled_from(["", " ", " "])), max_size=6).map(
    lambda parts: "".join(piece + space for piece, space in parts)
)
"""Queries stitched from the syntax's pieces, sometimes glued together without spaces."""


def results_or_syntax_error(news: NewsIndex, query: str) -> None:
    """Search, accepting results or a QuerySyntaxError and nothing else."""
    try:
        results = news.search(query)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(query)
        return
    assert isinstance(results, SearchResults)
    assert results.total >= len(results.hits)


@settings(max_examples=200, deadline=None)
@given(query=st.text())
def test_any_text(tiny_news, query):
    """Any text searches or raises QuerySyntaxError, never anything else."""
    results_or_syntax_error(tiny_news, query)


@settings(max_examples=200, deadline=None)
@given(query=NEAR_QUERIES)
def test_near_valid(tiny_news, query):
    """Near-valid queries search or raise QuerySyntaxError, never anything else."""
    results_or_syntax_error(tiny_news, query)


@pytest.mark.parametrize("query", ["the", "said", "government", "minister OR president", "peace*"])
def test_total_counts_every_match(news, query):
    """`total` is the number of matches, however few hits a page reads."""
    everything = news.search(query, limit=1000)
    assert len(everything.hits) == everything.total
    assert news.search(query, limit=1).total == everything.total
