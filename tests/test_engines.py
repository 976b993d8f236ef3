"""Tests for the engine seam: the same front-door behaviour on every engine (``engine_index``),
and the Whoosh engine as an implementation of ``engines.base.Engine``."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
import urllib.parse
import uuid

import pytest
from click.testing import CliRunner
from conftest import ENGINES, HAND_ARTICLES

from newsindex import Article, ArticleNotFoundError, NewsIndex, UnsupportedError
from newsindex.cli import main
from newsindex.engines.base import Engine
from newsindex.engines.whoosh.engine import WhooshEngine

UTC = dt.timezone.utc

FERRIES = tuple(
    Article(
        id=f"ferry-{n:02d}",
        title=f"Ferry timetable {n}",
        body=f"The harbour ferry leaves the quay at {n} minutes past the hour.",
        published=dt.datetime(2025, 5, 1, tzinfo=UTC) + dt.timedelta(days=n),
        source="Harbour Daily",
    )
    for n in range(25)
)
"""Twenty-five articles that all match "ferry", one day apart."""


def ids(results) -> list[str]:
    """The ids of a page of hits, in order."""
    return [hit.id for hit in results.hits]


def run(*args: object, env: dict[str, str] | None = None):
    """Invoke the command group with ``args``; stdout and stderr stay apart."""
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture
def hand_index(engine_index: NewsIndex) -> NewsIndex:
    """The engine's index holding the hand-written articles."""
    engine_index.add(HAND_ARTICLES)
    return engine_index


class TestSameBehaviour:
    def test_engine_named(self, engine_index):
        """The index says which engine it is on, and repr names its location."""
        assert engine_index.engine in ENGINES
        assert repr(engine_index) == f"NewsIndex({engine_index.location!r})"

    def test_add_then_search_finds_the_article(self, hand_index):
        """A word only one article has finds exactly that article, first and alone."""
        results = hand_index.search("zermatt")
        assert ids(results) == ["h-glacier-title"]
        assert results.total == 1
        assert results.hits[0].rank == 1

    def test_search_words_in_title_or_body(self, hand_index):
        """A word in one article's title and another's body finds both, and only them."""
        assert set(ids(hand_index.search("glacier"))) == {"h-glacier-title", "h-glacier-body"}

    def test_get_returns_the_article_added(self, hand_index):
        """get returns the article as it was added, every field the same."""
        for article in HAND_ARTICLES:
            assert hand_index.get(article.id) == article

    def test_get_unknown(self, hand_index):
        """get of an id the index lacks raises ArticleNotFoundError naming it."""
        with pytest.raises(ArticleNotFoundError) as info:
            hand_index.get("nope")
        assert str(info.value) == (
            "No article with id 'nope' in the index: "
            "'newsindex search' shows the ids of matching articles."
        )

    def test_delete(self, hand_index):
        """delete removes the article from get, search, len and `in`."""
        assert hand_index.delete(["h-newyear"]) == 1
        assert "h-newyear" not in hand_index
        assert len(hand_index) == 4
        assert hand_index.search("fireworks").total == 0

    def test_delete_unknown_deletes_nothing(self, hand_index):
        """An unknown id among the ids raises and leaves every article in place."""
        with pytest.raises(ArticleNotFoundError) as info:
            hand_index.delete(["h-newyear", "nope"])
        assert info.value.article_id == "nope"
        assert len(hand_index) == 5
        assert "h-newyear" in hand_index

    def test_stats(self, hand_index):
        """stats counts the articles, spans their dates (in UTC) and names the location."""
        stats = hand_index.stats()
        assert stats.articles == 5
        assert stats.first_published == dt.datetime(2025, 1, 1, 1, 30, tzinfo=UTC)
        assert stats.last_published == dt.datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
        assert stats.path == hand_index.location

    def test_a_described_word_is_a_stop_word_by_its_form_not_its_stem(self, engine_index):
        """`willing` stems as the stop word `will` does, yet a description keeps it, where
        `of` and `the` are left out."""
        engine_index.add(
            [
                Article(id="c-1", title="Coalition talks", body="The coalition met in Paris."),
                Article(id="c-2", title="Volunteers", body="They were willing to help."),
                Article(id="c-3", title="Weather", body="Rain of the kind seen often."),
            ]
        )
        results = engine_index.search("coalition of the willing", match="any")
        assert results.query == "(coalit OR will)"
        assert sorted(ids(results)) == ["c-1", "c-2"]

    def test_total_is_exact_beyond_the_page(self, hand_index):
        """total counts every match, not only those on the page."""
        results = hand_index.search("researchers", limit=1)
        assert results.total == 2
        assert len(results.hits) == 1

    def test_snippet_marks_the_word(self, hand_index):
        """Each highlight of the snippet spans the word searched for."""
        (hit,) = hand_index.search("zermatt").hits
        assert hit.highlights
        assert {hit.snippet[start:end].lower() for start, end in hit.highlights} == {"zermatt"}

    def test_no_snippets(self, hand_index):
        """snippets=False leaves the snippet and its highlights empty."""
        (hit,) = hand_index.search("zermatt", snippets=False).hits
        assert (hit.snippet, hit.highlights) == ("", ())

    def test_pages(self, engine_index):
        """Pages of 10 hold the 25 matches once each, ranked 1 to 25 in order."""
        engine_index.add(FERRIES)
        pages = [engine_index.search("ferry", limit=10, page=page) for page in (1, 2, 3)]
        assert [len(page.hits) for page in pages] == [10, 10, 5]
        assert {page.total for page in pages} == {25}
        found = [hit.id for page in pages for hit in page.hits]
        assert sorted(found) == sorted(a.id for a in FERRIES)
        assert [hit.rank for page in pages for hit in page.hits] == list(range(1, 26))

    def test_sort_newest(self, engine_index):
        """sort='newest' gives the matches newest first."""
        engine_index.add(FERRIES)
        results = engine_index.search("ferry", sort="newest", limit=5)
        assert ids(results) == ["ferry-24", "ferry-23", "ferry-22", "ferry-21", "ferry-20"]

    def test_since_and_until(self, engine_index):
        """since and until keep the matches published in the range, both days included."""
        engine_index.add(FERRIES)
        results = engine_index.search(
            "ferry", since="2025-05-03", until="2025-05-05", sort="oldest"
        )
        assert ids(results) == ["ferry-02", "ferry-03", "ferry-04"]

    def test_a_date_alone_ranks_the_newest_first(self, engine_index):
        """A query of dates alone finds every article alike: the newest come first."""
        engine_index.add(FERRIES)
        found = engine_index.search("date:2025-05", limit=3, snippets=False)
        assert found.total == 25
        assert ids(found) == ["ferry-24", "ferry-23", "ferry-22"]
        excluded = engine_index.search("date:2025-05 -quay", limit=3, snippets=False)
        assert excluded.total == 0

    def test_a_word_in_the_form_typed_ranks_above_its_stem_alone(self, engine_index):
        """``willing`` typed ranks an article holding "willing" above those holding only "will"
        (the same stem, all else equal) and matches them all; ``will`` typed leaves them tied."""
        engine_index.add(
            [
                *(
                    Article(id=f"will-{n}", title="Talks", body="Ministers will want to join.")
                    for n in range(3)
                ),
                Article(id="willing", title="Talks", body="Ministers are willing to join."),
            ]
        )
        found = engine_index.search("willing")
        assert ids(found)[0] == "willing"
        assert found.total == 4
        assert found.hits[0].score > found.hits[1].score
        tied = engine_index.search("will")
        assert tied.total == 4
        assert len({round(hit.score, 9) for hit in tied.hits}) == 1

    def test_replace_by_id(self, hand_index):
        """Adding an article with an id the index holds replaces it."""
        changed = Article(id="h-undated", title="Undated note", body="Now about lighthouses.")
        assert hand_index.add([changed]) == 1
        assert hand_index.get("h-undated") == changed
        assert ids(hand_index.search("lighthouses")) == ["h-undated"]
        assert len(hand_index) == 5


class TestWhooshEngine:
    def test_implements_the_interface(self):
        """WhooshEngine has every method of the Engine interface, with the same parameters."""
        for name, member in inspect.getmembers(Engine, inspect.isfunction):
            if name.startswith("_"):
                continue
            ours = getattr(WhooshEngine, name)
            assert list(inspect.signature(ours).parameters) == list(
                inspect.signature(member).parameters
            ), name

    def test_name_and_location(self, empty_news):
        """A folder's index is on the whoosh engine, located at its path."""
        assert empty_news.engine == "whoosh"
        assert empty_news.location == str(empty_news.path)

    def test_folder_features_on_a_folder(self, empty_news):
        """What only a folder has works on a folder's index."""
        assert empty_news.lock_timeout == 10.0
        assert NewsIndex.check(empty_news.path).ok


def test_unsupported_error_names_feature_and_engine():
    """UnsupportedError's message names the feature and the engine, then the way out."""
    error = UnsupportedError("repair", "opensearch", "the cluster restores its data itself")
    assert str(error) == (
        "'repair' is not available on the opensearch engine: the cluster restores its data itself."
    )
    assert str(UnsupportedError("path", "opensearch")) == (
        "'path' is not available on the opensearch engine: "
        "use it on an index in a local folder instead."
    )


class TestSecureNode:
    """Over https with the security plugin: the login works, and its password never shows."""

    @pytest.fixture
    def index_url(self, opensearch_secure):
        """``(URL with the admin's login and a new index's name, the same without the login)``."""
        node = opensearch_secure
        name = f"test-{uuid.uuid4().hex[:12]}"
        login = f"{node.user}:{urllib.parse.quote(node.password, safe='')}"
        host = node.url.removeprefix("https://")
        return f"https://{login}@{host}/{name}", f"{node.url}/{name}"

    def test_cli_with_login_in_url(self, opensearch_secure, index_url, tmp_path, caplog):
        """index, search and stats --json over https: the output names the index without the
        password, and no output or log line holds it."""
        caplog.set_level(logging.DEBUG)
        url, shown = index_url
        ca = opensearch_secure.ca_file
        jsonl = tmp_path / "a.jsonl"
        jsonl.write_text(
            json.dumps({"id": "j1", "title": "Harbour reopens", "date": "2025-02-01"}) + "\n",
            encoding="utf-8",
        )
        results = [
            run("index", jsonl, "--index", url, "--ca-certs", ca),
            run("search", "harbour", "--json", "--index", url, "--ca-certs", ca),
            run("stats", "--json", "--index", url, "--ca-certs", ca),
        ]
        assert [r.exit_code for r in results] == [0, 0, 0]
        assert results[0].stdout == f"Indexed 1 article into {shown}.\n"
        assert json.loads(results[1].stdout)["id"] == "j1"
        assert json.loads(results[2].stdout)["path"] == shown
        everything = "".join(r.stdout + r.stderr for r in results) + caplog.text
        assert opensearch_secure.password not in everything
        assert urllib.parse.quote(opensearch_secure.password, safe="") not in everything

    def test_connect_with_auth(self, opensearch_secure, index_url):
        """connect with auth= and ca_certs=: the front door works, and repr, location and
        stats hold no password."""
        node = opensearch_secure
        _url, shown = index_url
        with NewsIndex.connect(
            node.url,
            index=shown.rsplit("/", 1)[1],
            auth=(node.user, node.password),
            ca_certs=node.ca_file,
            create=True,
        ) as news:
            news.add(HAND_ARTICLES)
            assert ids(news.search("zermatt")) == ["h-glacier-title"]
            shown_texts = [repr(news), news.location, str(news.stats())]
        assert shown_texts[1] == shown
        assert all(node.password not in text for text in shown_texts)

    def test_wrong_password(self, opensearch_secure, caplog):
        """A wrong password is one error line, exit 1, that shows neither password."""
        caplog.set_level(logging.DEBUG)
        node = opensearch_secure
        host = node.url.removeprefix("https://")
        wrong = f"wrong-{uuid.uuid4().hex}"
        result = run(
            "stats",
            "--index",
            f"https://{node.user}:{wrong}@{host}/news",
            "--ca-certs",
            node.ca_file,
        )
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: OpenSearch at '{node.url}'")
        assert result.stderr.count("\n") == 1
        for secret in (wrong, node.password):
            assert secret not in result.stderr + result.stdout + caplog.text
