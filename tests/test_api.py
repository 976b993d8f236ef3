"""Tests for NewsIndex: adding, replacing, deleting, getting, importing files and fresh reads;
connecting to a cluster (through a stand-in engine) and what only a folder has."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from _engine import segments

from newsindex import (
    Article,
    ArticleNotFoundError,
    IndexNotFoundError,
    IngestError,
    InvalidArgumentError,
    NewsIndex,
    NewsIndexError,
    Skipped,
    UnsupportedError,
    default_index_path,
)
from newsindex.engines.whoosh.codec.schema import META_FILE, SCHEMA_VERSION

SEED_ID = "cf3f115601c28b53"
UTC = dt.timezone.utc


def ids(results) -> list[str]:
    """The ids of a page of hits, in order."""
    return [hit.id for hit in results.hits]


def all_ids(news: NewsIndex) -> set[str]:
    """Every id in the index."""
    return {hit.id for hit in news.search("date:[* TO *] OR a OR the", limit=1000).hits}


def write_jsonl(path, *lines: str):
    """A JSON Lines file with the given raw lines."""
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD_1 = json.dumps({"id": "j1", "title": "Harbour reopens", "date": "2025-02-01"})
GOOD_2 = json.dumps({"id": "j2", "title": "Ferry strike ends", "date": "2025-02-02"})
BAD = '{"id": "j-bad", "title": '


class TestAdd:
    def test_add_returns_count(self, empty_news, hand_articles):
        """`add` returns how many articles it wrote, and they are all there."""
        assert empty_news.add(hand_articles) == 5
        assert len(empty_news) == 5
        assert all(a.id in empty_news for a in hand_articles)

    def test_memory_bound_makes_runs_not_a_different_index(
        self, make_index, sample_articles, hand_articles, spills
    ):
        """A small `memory_mb` writes postings out in runs: the same articles and hits."""
        if len(sample_articles) < 20:
            pytest.skip("needs the bundled sample for enough text to fill 1 MB")
        articles = (*hand_articles, *sample_articles)
        default = make_index(articles, name="default")
        assert spills == []  # the default memory holds them all
        bounded = make_index(articles, memory_mb=1, name="bounded")
        assert len(spills) > 1
        assert len(segments(bounded)) == len(segments(default)) == 1
        assert len(bounded) == len(default) == len(articles)
        for query in ("harbour", "government", '"prime minister"', "police -said"):
            assert ids(bounded.search(query, limit=50)) == ids(default.search(query, limit=50))

    def test_memory_bound_must_be_positive(self, empty_news, hand_articles):
        """`memory_mb` below 1 is refused before anything is written."""
        with pytest.raises(NewsIndexError, match=r"memory_mb must be at least 1 \(MB\), not 0\."):
            empty_news.add(hand_articles, memory_mb=0)
        assert len(empty_news) == 0

    def test_readd_replaces(self, empty_news):
        """Adding an article with a known id replaces it: count 1, new text searchable."""
        empty_news.add([Article(id="a", title="Ferry", body="old alpha text")])
        empty_news.add([Article(id="a", title="Ferry", body="new omega text")])
        assert len(empty_news) == 1
        assert empty_news.get("a").body == "new omega text"
        assert empty_news.search("alpha").total == 0
        assert ids(empty_news.search("omega")) == ["a"]

    def test_same_id_twice_in_one_call(self, empty_news):
        """An id twice in one `add` keeps only the last version."""
        written = empty_news.add(
            [
                Article(id="a", title="Ferry", body="first alpha"),
                Article(id="b", title="Other"),
                Article(id="a", title="Ferry", body="last omega"),
            ]
        )
        assert written == 2
        assert len(empty_news) == 2
        assert empty_news.get("a").body == "last omega"
        assert empty_news.search("alpha").total == 0
        assert ids(empty_news.search("ferry")) == ["a"]

    def test_same_id_three_times_replacing_stored(self, small_news):
        """Three versions of a stored id in one call leave one article, the last version."""
        versions = [Article(id="h-undated", title=f"Version {n}", body=f"v{n}") for n in (1, 2, 3)]
        small_news.add(versions)
        assert len(small_news) == 5
        assert small_news.get("h-undated").title == "Version 3"
        assert ids(small_news.search("version")) == ["h-undated"]

    def test_failing_iterator_changes_nothing(self, small_news):
        """An import whose iterator raises midway leaves the index exactly as it was."""
        before = all_ids(small_news)

        def articles():
            yield Article(id="new-1", title="New article")
            yield Article(id="h-undated", title="Replaced note")
            raise RuntimeError("interrupted")

        with pytest.raises(RuntimeError, match="interrupted"):
            small_news.add(articles())
        assert len(small_news) == 5
        assert all_ids(small_news) == before
        assert "new-1" not in small_news
        assert small_news.get("h-undated").title == "Undated note about peace talks"

    def test_progress_final_count(self, empty_news):
        """The progress callback ends with the number of articles written."""
        calls = []
        empty_news.add([Article(id=str(n), title=f"t{n}") for n in range(3)], progress=calls.append)
        assert calls == [3]

    def test_progress_running_count(self, empty_news):
        """Long imports report every 500 articles, then the total."""
        calls = []
        articles = (Article(id=str(n), title="t") for n in range(1_050))
        empty_news.add(articles, progress=calls.append)
        assert calls == [500, 1_000, 1_050]

    def test_open_searcher_sees_add(self, small_news):
        """A searcher opened before an add sees the new article on the next search."""
        assert small_news.search("ferry").total == 0
        small_news.add([Article(id="f", title="Ferry strike ends")])
        assert ids(small_news.search("ferry")) == ["f"]

    def test_other_instance_sees_add(self, small_news):
        """Another NewsIndex on the same folder sees an add on its next search."""
        with NewsIndex.open(small_news.path) as reader:
            assert reader.search("ferry").total == 0
            small_news.add([Article(id="f", title="Ferry strike ends")])
            assert ids(reader.search("ferry")) == ["f"]
            assert len(reader) == 6

    def test_add_after_reading_empty_index(self, empty_news):
        """Reading an empty index, then adding, works and the reader sees the article."""
        assert len(empty_news) == 0
        assert empty_news.add([Article(id="a", title="Alpha")]) == 1
        assert len(empty_news) == 1
        assert ids(empty_news.search("alpha")) == ["a"]


class TestAddFiles:
    def test_import(self, empty_news, tmp_path, seed_path):
        """Files of several formats go in in one call; the summary counts them."""
        jsonl = write_jsonl(tmp_path / "a.jsonl", GOOD_1, GOOD_2)
        summary = empty_news.add_files([seed_path, jsonl])
        assert summary.added == 3
        assert summary.skipped == ()
        assert {SEED_ID, "j1", "j2"} == all_ids(empty_news)

    def test_bad_line_changes_nothing(self, small_news, tmp_path):
        """A bad JSONL line among good ones raises IngestError and imports nothing."""
        before = all_ids(small_news)
        path = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD, GOOD_2)
        with pytest.raises(IngestError) as info:
            small_news.add_files([path])
        assert (info.value.path, info.value.line) == (str(path), 2)
        assert str(info.value).startswith(f"{path}, line 2: invalid JSON")
        assert len(small_news) == 5
        assert all_ids(small_news) == before

    def test_skip_errors(self, empty_news, tmp_path):
        """With skip_errors the good records go in and the bad ones are listed with path/line."""
        path = write_jsonl(tmp_path / "a.jsonl", GOOD_1, BAD, "[1, 2]", GOOD_2)
        summary = empty_news.add_files([path], skip_errors=True)
        assert summary.added == 2
        assert [(s.path, s.line) for s in summary.skipped] == [(str(path), 2), (str(path), 3)]
        assert summary.skipped[1].reason.startswith("expected a JSON object")
        assert all(isinstance(s, Skipped) for s in summary.skipped)
        assert all_ids(empty_news) == {"j1", "j2"}

    def test_ignored_files(self, empty_news, tmp_path):
        """Files of other types in a folder are listed in the summary; hidden files are not."""
        folder = tmp_path / "mixed"
        folder.mkdir()
        write_jsonl(folder / "a.jsonl", GOOD_1)
        (folder / "scan.pdf").write_bytes(b"%PDF")
        (folder / ".DS_Store").write_bytes(b"")
        summary = empty_news.add_files([folder])
        assert (summary.added, summary.ignored) == (1, (str(folder / "scan.pdf"),))

    def test_reimport_same_file(self, empty_news, tmp_path):
        """Importing the same file twice keeps one copy of each article."""
        path = write_jsonl(
            tmp_path / "a.jsonl", json.dumps({"title": "No id here", "url": "https://x.example/1"})
        )
        empty_news.add_files([path])
        empty_news.add_files([path])
        assert len(empty_news) == 1

    def test_progress(self, empty_news, tmp_path):
        """`add_files` passes the progress callback on: it ends with the count."""
        calls = []
        path = write_jsonl(tmp_path / "a.jsonl", GOOD_1, GOOD_2)
        empty_news.add_files([path], progress=calls.append)
        assert calls[-1] == 2


class TestDeleteAndGet:
    def test_delete(self, small_news):
        """`delete` removes the articles and returns the count."""
        assert small_news.delete(["h-undated", "h-newyear"]) == 2
        assert len(small_news) == 3
        assert "h-undated" not in small_news
        assert small_news.search("fireworks").total == 0

    def test_delete_one_id_as_string(self, small_news):
        """A single id may be passed as a plain string."""
        assert small_news.delete("h-undated") == 1
        assert "h-undated" not in small_news

    def test_delete_unknown_deletes_nothing(self, small_news):
        """An unknown id among known ones raises ArticleNotFoundError and deletes nothing."""
        with pytest.raises(ArticleNotFoundError) as info:
            small_news.delete(["h-undated", "nope"])
        assert str(info.value) == (
            "No article with id 'nope' in the index: "
            "'newsindex search' shows the ids of matching articles."
        )
        assert info.value.article_id == "nope"
        assert len(small_news) == 5
        assert "h-undated" in small_news

    def test_get(self, news, seed_article):
        """`get` returns the stored article, equal to the one imported."""
        article = news.get(SEED_ID)
        assert article == seed_article
        assert article.title.startswith("Italy does not plan to send peacekeepers to Ukraine")
        assert article.authors == ("Volodymyr Ivanyshyn",)
        assert article.published == dt.datetime(2025, 3, 16, 4, 16, tzinfo=UTC)

    def test_get_unknown(self, news):
        """`get` with an unknown id raises ArticleNotFoundError."""
        with pytest.raises(ArticleNotFoundError, match=r"^No article with id 'nope' in the index"):
            news.get("nope")

    def test_len_and_contains(self, news, all_articles):
        """`len` counts the articles; `in` checks ids."""
        assert len(news) == len(all_articles)
        assert SEED_ID in news
        assert "h-glacier-title" in news
        assert "nope" not in news


class TestSearchArguments:
    def test_unknown_sort(self, news):
        """An unknown sort is a NewsIndexError listing the choices."""
        with pytest.raises(NewsIndexError, match=r"^Unknown sort 'best': use one of relevance, "):
            news.search("meloni", sort="best")

    @pytest.mark.parametrize("options", [{"limit": 0}, {"page": 0}])
    def test_bad_page(self, news, options):
        """A limit or page below 1 is a NewsIndexError."""
        with pytest.raises(NewsIndexError, match=r"^limit and page must be at least 1\.$"):
            news.search("meloni", **options)

    def test_bad_since(self, news):
        """A `since` that is not a date is a NewsIndexError showing the forms."""
        with pytest.raises(NewsIndexError) as info:
            news.search("meloni", since="last week")
        assert str(info.value) == (
            "'last week' is not a date: use a form like 2025, 2025-03 or 2025-03-16."
        )


class TestDefaultPath:
    def test_env_var(self, tmp_path):
        """$NEWSINDEX_DIR wins."""
        assert default_index_path({"NEWSINDEX_DIR": str(tmp_path)}) == tmp_path

    @pytest.mark.skipif(sys.platform != "linux", reason="XDG folders are a Linux convention")
    def test_xdg(self, tmp_path):
        """On Linux the default is under $XDG_DATA_HOME."""
        expected = tmp_path / "newsindex" / "index"
        assert default_index_path({"XDG_DATA_HOME": str(tmp_path)}) == expected

    @pytest.mark.skipif(sys.platform != "linux", reason="XDG folders are a Linux convention")
    def test_home(self, monkeypatch, tmp_path):
        """Without either variable it is ~/.local/share/newsindex/index."""
        monkeypatch.setenv("HOME", str(tmp_path))
        expected = tmp_path / ".local" / "share" / "newsindex" / "index"
        assert default_index_path({}) == expected
        assert os.environ["HOME"] == str(tmp_path)


class TestOpenSample:
    def test_builds_once(self, tmp_path, monkeypatch, seed_path):
        """`open_sample` builds the index from the sample files once, announcing it."""
        monkeypatch.setattr("newsindex.api.sample_paths", lambda: (seed_path,))
        builds = []
        with NewsIndex.open_sample(tmp_path / "ix", on_build=lambda: builds.append(1)) as news:
            assert SEED_ID in news
        with NewsIndex.open_sample(tmp_path / "ix", on_build=lambda: builds.append(1)) as news:
            assert len(news) == 1
        assert builds == [1]

    def test_sample_of_another_version_is_rebuilt(self, tmp_path, monkeypatch, seed_path):
        """A sample index an older newsindex wrote is rebuilt with this schema, announced."""
        monkeypatch.setattr("newsindex.api.sample_paths", lambda: (seed_path,))
        NewsIndex.open_sample(tmp_path / "ix").close()
        (tmp_path / "ix" / META_FILE).write_text(json.dumps({"schema_version": 1}), "utf-8")
        builds = []
        with NewsIndex.open_sample(tmp_path / "ix", on_build=lambda: builds.append(1)) as news:
            assert [hit.id for hit in news.search("peacekeepers").hits] == [SEED_ID]
        assert builds == [1]
        meta = json.loads((tmp_path / "ix" / META_FILE).read_text("utf-8"))
        assert meta["schema_version"] == SCHEMA_VERSION

    def test_failed_build_is_retried(self, tmp_path, monkeypatch, seed_path):
        """A sample build that failed part way is built again next time, not left empty."""
        bad = write_jsonl(tmp_path / "bad.jsonl", BAD)
        monkeypatch.setattr("newsindex.api.sample_paths", lambda: (bad,))
        with pytest.raises(IngestError):
            NewsIndex.open_sample(tmp_path / "ix")
        monkeypatch.setattr("newsindex.api.sample_paths", lambda: (seed_path,))
        with NewsIndex.open_sample(tmp_path / "ix") as news:
            assert SEED_ID in news


PASSWORD = "s3cret-Pa55"


class TestConnect:
    def test_arguments_reach_the_engine(self, fake_cluster, tmp_path):
        """connect hands the engine node URLs without credentials, the index, the login, the
        CA file and the timeout."""
        ca = tmp_path / "ca.pem"
        ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
        with NewsIndex.connect(
            [f"https://ana:{PASSWORD}@a:9200", "https://b:9200/wires"],
            ca_certs=ca,
            timeout=2.5,
            create=True,
        ) as news:
            assert news.engine == "opensearch"
        assert fake_cluster.calls == [
            (
                "connect",
                (["https://a:9200", "https://b:9200"], "wires"),
                {"auth": ("ana", PASSWORD), "ca_certs": str(ca), "timeout": 2.5, "create": True},
            )
        ]

    def test_defaults(self, fake_cluster):
        """Without options: the index 'news', no login, no CA file, 10 s, no creating."""
        fake_cluster.indexes["news"] = {}
        NewsIndex.connect("http://127.0.0.1:9200").close()
        assert fake_cluster.calls == [
            (
                "connect",
                (["http://127.0.0.1:9200"], "news"),
                {"auth": None, "ca_certs": None, "timeout": 10.0, "create": False},
            )
        ]

    def test_missing_index(self, fake_cluster):
        """Opening an index the cluster lacks raises the engine's IndexNotFoundError."""
        with pytest.raises(IndexNotFoundError) as info:
            NewsIndex.connect("http://h:9200/wires")
        assert str(info.value) == (
            "No index at 'http://h:9200/wires': "
            "run 'newsindex index FILES --index http://h:9200/wires' first."
        )

    def test_url_where_a_folder_is_named(self, fake_cluster):
        """open, open_or_create and create take a URL as they take a folder."""
        NewsIndex.open_or_create(f"http://ana:{PASSWORD}@h:9200/wires").close()
        NewsIndex.open("http://h:9200/wires").close()
        NewsIndex.create("http://h:9200/other").close()
        assert [
            (method, args[1], options.get("create"))
            for method, args, options in (fake_cluster.calls)
        ] == [("connect", "wires", True), ("connect", "wires", False), ("create", "other", None)]
        assert fake_cluster.calls[0][2]["auth"] == ("ana", PASSWORD)

    def test_front_door_over_the_engine(self, fake_cluster, hand_articles):
        """add, search, get, delete, len and stats go to the engine and return its models."""
        with NewsIndex.connect("http://h:9200", create=True) as news:
            assert news.add(hand_articles) == 5
            assert [hit.id for hit in news.search("zermatt").hits] == ["h-glacier-title"]
            assert news.get("h-newyear") == hand_articles[2]
            assert news.delete("h-newyear") == 1
            assert len(news) == 4
            assert news.stats().path == "http://h:9200/news"

    def test_add_files_fetches_in_full(self, fake_cluster, tmp_path):
        """add_files works on a cluster's index, with no fetch state kept anywhere."""
        path = write_jsonl(tmp_path / "a.jsonl", GOOD_1, GOOD_2)
        with NewsIndex.connect("http://h:9200", create=True) as news:
            assert news.add_files([path]).added == 2
        assert sorted(fake_cluster.indexes["news"]) == ["j1", "j2"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]

    def test_bad_timeout(self, fake_cluster):
        """A timeout of 0 is an InvalidArgumentError."""
        with pytest.raises(InvalidArgumentError) as info:
            NewsIndex.connect("http://h:9200", timeout=0)
        assert str(info.value) == "timeout must be above 0 seconds, not 0."

    def test_missing_ca_file(self, fake_cluster, tmp_path):
        """A CA file that is not there is an error naming it, before any request."""
        missing = tmp_path / "ca.pem"
        with pytest.raises(InvalidArgumentError) as info:
            NewsIndex.connect("https://h:9200", ca_certs=missing)
        assert str(info.value) == (
            f"No CA certificate file at '{missing}': give the PEM file that signed the "
            "cluster's certificate."
        )
        assert fake_cluster.calls == []

    def test_without_the_extra(self):
        """Without opensearch-py, connect says which extra to install (in a process of its
        own, where the client cannot be imported)."""
        code = (
            "import sys\n"
            "sys.modules['opensearchpy'] = None  # as if it were not installed\n"
            "from newsindex import NewsIndex, NewsIndexError\n"
            "try:\n"
            "    NewsIndex.connect('http://127.0.0.1:9200')\n"
            "except NewsIndexError as error:\n"
            "    print(error)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert done.stdout == (
            "An OpenSearch index needs the 'opensearch' extra (opensearch-py is missing): "
            "pip install 'newsindex[opensearch]'.\n"
        )


class TestPasswordNeverShown:
    URL = f"http://ana:{PASSWORD}@h:9200/news"

    def test_repr_location_and_stats(self, fake_cluster):
        """repr, location and stats of an index opened with a password hold no password."""
        with NewsIndex.connect(self.URL, create=True) as news:
            shown = [repr(news), news.location, repr(news.stats()), str(news.stats())]
        assert all(PASSWORD not in text for text in shown)
        assert shown[0] == "NewsIndex('http://h:9200/news')"

    def test_auth_argument(self, fake_cluster):
        """A password given as auth= is not shown either."""
        with NewsIndex.connect("http://h:9200", auth=("ana", PASSWORD), create=True) as news:
            assert PASSWORD not in repr(news) + news.location + str(news.stats())

    def test_errors(self, fake_cluster):
        """Errors about a URL with a password (bad URL, missing index, default path) hold none."""
        messages = []
        for call in (
            lambda: NewsIndex.connect(self.URL.replace("/news", "/a/b")),
            lambda: NewsIndex.connect(self.URL),
            lambda: default_index_path({"NEWSINDEX_DIR": self.URL}),
            lambda: NewsIndex.check(self.URL),
        ):
            with pytest.raises(NewsIndexError) as info:
                call()
            messages.append(str(info.value) + repr(info.value.args) + repr(vars(info.value)))
        assert all(PASSWORD not in message for message in messages)


class TestOnlyOnFolders:
    @pytest.mark.parametrize(
        ("feature", "way_out"),
        [
            (
                "check",
                "the cluster's own health and shard APIs report on its data",
            ),
            (
                "repair",
                "the cluster restores its data from its replicas and snapshots",
            ),
            (
                "reindex",
                "import the articles again into a new index",
            ),
            (
                "discard",
                "delete the index with OpenSearch's own API",
            ),
        ],
    )
    def test_folder_operations_on_a_url(self, fake_cluster, feature, way_out):
        """check, repair, reindex and discard of a URL raise UnsupportedError and touch
        nothing."""
        with pytest.raises(UnsupportedError) as info:
            getattr(NewsIndex, feature)("http://h:9200/news")
        assert str(info.value) == (
            f"'{feature}' is not available on the opensearch engine: {way_out}."
        )
        assert fake_cluster.calls == []

    @pytest.mark.parametrize("attribute", ["path", "lock_timeout"])
    def test_folder_attributes(self, fake_cluster, attribute):
        """path and lock_timeout of an index on a cluster raise UnsupportedError."""
        with (
            NewsIndex.connect("http://h:9200", create=True) as news,
            pytest.raises(UnsupportedError) as info,
        ):
            getattr(news, attribute)
        assert (info.value.feature, info.value.engine) == (attribute, "opensearch")


def test_default_index_on_a_cluster(fake_cluster, monkeypatch, hand_articles):
    """With a URL in $NEWSINDEX_DIR, open_default connects to it: created for writing, and
    a missing index is an error for reading, never the sample."""
    monkeypatch.setenv("NEWSINDEX_DIR", "http://h:9200/mine")
    with pytest.raises(IndexNotFoundError):
        NewsIndex.open_default()
    with NewsIndex.open_default(create=True) as news:
        news.add(hand_articles)
    with NewsIndex.open_default() as news:
        assert (news.engine, len(news)) == ("opensearch", 5)
