"""Tests for the index folder's life cycle: discarding what a failed first import left."""

from __future__ import annotations

import os

from whoosh.filedb.filestore import FileStorage

from newsindex import Article, NewsIndex


def test_discard_removes_an_empty_index_and_its_folder(tmp_path):
    """An index without articles, in a folder holding nothing else, goes with its folder."""
    NewsIndex.create(tmp_path / "index").close()
    assert NewsIndex.discard(tmp_path / "index") is True
    assert not (tmp_path / "index").exists()


def test_discard_keeps_an_index_with_articles(tmp_path):
    """An index holding articles is never discarded."""
    with NewsIndex.create(tmp_path) as news:
        news.add([Article(id="a", title="Harbour reopens")])
    assert NewsIndex.discard(tmp_path) is False
    assert NewsIndex.open(tmp_path).get("a").title == "Harbour reopens"


def test_discard_keeps_other_files(tmp_path):
    """An empty index in a folder that also holds the user's files is left as it is."""
    NewsIndex.create(tmp_path).close()
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    before = sorted(path.name for path in tmp_path.iterdir())
    assert NewsIndex.discard(tmp_path) is False
    assert sorted(path.name for path in tmp_path.iterdir()) == before


def test_discard_never_touches_an_index_being_written(tmp_path):
    """While another writer holds the lock (its articles not yet committed), nothing goes."""
    NewsIndex.create(tmp_path).close()
    lock = FileStorage(str(tmp_path)).lock("MAIN_WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        assert NewsIndex.discard(tmp_path) is False
    finally:
        lock.release()
    assert NewsIndex.open(tmp_path).stats().articles == 0


def test_a_lock_on_a_removed_lock_file_locks_nothing(tmp_path):
    """A writer that was waiting on the lock file a discard removed does not count as holding
    the lock: the lock is taken on the file at the path, or the index is gone."""
    import pytest

    from newsindex import IndexNotFoundError
    from newsindex.engines.whoosh.lock import _still_there, take_lock

    NewsIndex.create(tmp_path / "index").close()
    waiting = FileStorage(str(tmp_path / "index")).lock("MAIN_WRITELOCK")
    assert waiting.acquire(blocking=False)
    waiting.release()
    waiting.fd = os.open(waiting.filename, os.O_RDONLY)  # opened before the discard
    try:
        assert NewsIndex.discard(tmp_path / "index") is True
        assert _still_there(waiting) is False
    finally:
        os.close(waiting.fd)
    with pytest.raises(IndexNotFoundError):
        take_lock(FileStorage(str(tmp_path / "index")), 0)
