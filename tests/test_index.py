"""Tests for the index folder: create, open, versions, locks, read-only folders and statistics."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from newsindex import (
    Article,
    IndexExistsError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    NewsIndex,
)
from newsindex.engines.whoosh.codec.schema import META_FILE, SCHEMA_VERSION
from newsindex.engines.whoosh.folder import is_index

UTC = dt.timezone.utc


class TestOpening:
    def test_create_then_open(self, tmp_path):
        """An index made by `create` opens, empty, with `open`."""
        NewsIndex.create(tmp_path / "ix").close()
        with NewsIndex.open(tmp_path / "ix") as news:
            assert len(news) == 0
            assert news.path == tmp_path / "ix"

    def test_create_makes_parent_folders(self, tmp_path):
        """`create` makes missing parent folders."""
        NewsIndex.create(tmp_path / "a" / "b" / "ix").close()
        assert is_index(tmp_path / "a" / "b" / "ix")

    def test_create_in_existing_empty_folder(self, tmp_path):
        """`create` accepts an existing empty folder."""
        NewsIndex.create(tmp_path).close()
        assert is_index(tmp_path)
        assert (tmp_path / META_FILE).is_file()

    def test_open_empty_folder(self, tmp_path):
        """Opening a folder without an index names the folder and the command to run."""
        with pytest.raises(IndexNotFoundError) as info:
            NewsIndex.open(tmp_path)
        assert str(info.value) == (
            f"No index at '{tmp_path}': run 'newsindex index FILES --index {tmp_path}' first."
        )
        assert info.value.path == str(tmp_path)

    def test_open_missing_folder(self, tmp_path):
        """Opening a folder that does not exist is IndexNotFoundError and creates nothing."""
        with pytest.raises(IndexNotFoundError, match=r"^No index at "):
            NewsIndex.open(tmp_path / "nope")
        assert not (tmp_path / "nope").exists()

    def test_create_twice(self, tmp_path):
        """Creating an index where one exists is IndexExistsError."""
        NewsIndex.create(tmp_path / "ix").close()
        with pytest.raises(IndexExistsError) as info:
            NewsIndex.create(tmp_path / "ix")
        assert str(info.value) == (
            f"An index already exists at '{tmp_path / 'ix'}': open it instead, "
            "or choose another folder."
        )

    def test_open_or_create(self, tmp_path):
        """`open_or_create` makes the index once and opens it, with its articles, after that."""
        with NewsIndex.open_or_create(tmp_path / "ix") as news:
            news.add([Article(id="a", title="Alpha")])
        with NewsIndex.open_or_create(tmp_path / "ix") as news:
            assert len(news) == 1
            assert "a" in news

    def test_plain_whoosh_folder_is_not_an_index(self, tmp_path):
        """A Whoosh folder without newsindex's meta file is not opened: reindex adopts it."""
        NewsIndex.create(tmp_path).close()
        (tmp_path / META_FILE).unlink()
        assert not is_index(tmp_path)
        with pytest.raises(IndexVersionError) as info:
            NewsIndex.open(tmp_path)
        assert info.value.found == "unknown"

    def test_other_schema_version(self, tmp_path):
        """An index written with another schema version is IndexVersionError naming both."""
        NewsIndex.create(tmp_path).close()
        (tmp_path / META_FILE).write_text(json.dumps({"schema_version": 99}), encoding="utf-8")
        with pytest.raises(IndexVersionError) as info:
            NewsIndex.open(tmp_path)
        assert str(info.value) == (
            f"The index at '{tmp_path}' has schema version 99, "
            f"this newsindex needs {SCHEMA_VERSION}: "
            f"run 'newsindex reindex --index {tmp_path}' or import the articles again."
        )

    def test_corrupt_meta_file(self, tmp_path):
        """An unreadable meta file is IndexVersionError with version 'unknown'."""
        NewsIndex.create(tmp_path).close()
        (tmp_path / META_FILE).write_text("{not json", encoding="utf-8")
        with pytest.raises(IndexVersionError, match="has schema version unknown"):
            NewsIndex.open(tmp_path)

    def test_repr(self, tmp_path):
        """The repr names the folder."""
        with NewsIndex.create(tmp_path / "ix") as news:
            assert repr(news) == f"NewsIndex({str(tmp_path / 'ix')!r})"


class TestWriteGuards:
    def test_locked(self, tmp_path):
        """A second writer gives up after its timeout with IndexLockedError; nothing is written."""
        NewsIndex.create(tmp_path).close()
        first = NewsIndex.open(tmp_path)
        second = NewsIndex.open(tmp_path, lock_timeout=0.1)

        def articles_then_second_writer():
            yield Article(id="a", title="Alpha")
            second.add([Article(id="b", title="Beta")])

        with pytest.raises(IndexLockedError) as info:
            first.add(articles_then_second_writer())
        assert str(info.value) == (
            f"The index at '{tmp_path}' is being written by another process (waited 0.1s): "
            "try again when it has finished, or raise the lock timeout."
        )
        assert len(first) == 0
        first.close()
        second.close()

    def test_lock_released_after_failure(self, tmp_path):
        """After a failed import the lock is free again for the next writer."""
        with NewsIndex.create(tmp_path) as news:

            def failing():
                yield Article(id="a", title="Alpha")
                raise RuntimeError("disk on fire")

            with pytest.raises(RuntimeError):
                news.add(failing())
            with NewsIndex.open(tmp_path, lock_timeout=0.1) as other:
                assert other.add([Article(id="b", title="Beta")]) == 1

    def test_read_only_folder(self, tmp_path, monkeypatch):
        """A folder the process cannot write is IndexReadOnlyError before anything is read."""
        with NewsIndex.create(tmp_path) as news:
            monkeypatch.setattr("newsindex.engines.whoosh.lock.os.access", lambda path, mode: False)
            with pytest.raises(IndexReadOnlyError) as info:
                news.add([Article(id="a", title="Alpha")])
        assert str(info.value) == (
            f"The index at '{tmp_path}' is read-only: searching works, but adding or deleting "
            "needs write permission on the folder."
        )


class TestStats:
    def test_session_index(self, news, all_articles):
        """Stats count every article and span the earliest to the latest date, in UTC."""
        stats = news.stats()
        dates = [a.published for a in all_articles if a.published]
        assert stats.articles == len(all_articles)
        assert stats.first_published == min(dates)
        assert stats.last_published == dt.datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
        assert stats.last_published.tzinfo == UTC
        assert stats.size_bytes > 0
        assert stats.schema_version == SCHEMA_VERSION == 6
        assert stats.path == str(news.path)

    def test_empty_index(self, empty_news):
        """An empty index has no articles and no dates, but files on disk."""
        stats = empty_news.stats()
        assert (stats.articles, stats.first_published, stats.last_published) == (0, None, None)
        assert stats.size_bytes > 0

    def test_undated_articles(self, empty_news):
        """Articles without dates are counted but give no date range."""
        empty_news.add([Article(id="a", title="Alpha"), Article(id="b", title="Beta")])
        stats = empty_news.stats()
        assert stats.articles == 2
        assert stats.first_published is None

    def test_after_delete(self, small_news):
        """Stats follow deletions."""
        small_news.delete(["h-glacier-title"])
        stats = small_news.stats()
        assert stats.articles == 4
        assert stats.last_published == dt.datetime(2025, 3, 31, 23, 59, tzinfo=UTC)

    def test_after_replace(self, small_news):
        """A re-imported article with a corrected date moves the date range with it."""
        small_news.add([Article(id="h-glacier-title", title="Glacier", published="2025-02-01")])
        stats = small_news.stats()
        assert stats.articles == 5
        assert stats.last_published == dt.datetime(2025, 3, 31, 23, 59, tzinfo=UTC)
