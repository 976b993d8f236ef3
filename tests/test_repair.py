"""Tests for check and repair on damage inside a segment: postings and stored articles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from newsindex import Article, IndexCorruptError, IndexNotFoundError, NewsIndex

ARTICLES = [
    Article(id=f"r{n}", title=f"Ferry report {n}", body=f"The ferry crossed the harbour {n} times.")
    for n in range(40)
]


@pytest.fixture
def index(tmp_path) -> Path:
    """An index of 40 articles in one segment."""
    folder = tmp_path / "index"
    with NewsIndex.create(folder) as news:
        news.add(ARTICLES)
    return folder


def overwrite_part(folder: Path, part: str, *, at: float = 0.5, size: int = 48) -> None:
    """Overwrite ``size`` bytes in the middle of one part of the segment (``.pst``: the
    postings, ``_stored.col``: the stored articles) with garbage."""
    storage = FileStorage(str(folder))
    (segment,) = TOC.read(storage, "MAIN").segments
    parts = segment.open_compound_file(storage)
    name = next(n for n in parts.list() if n.endswith(part))
    offset, length = parts.range(name)
    parts.close()
    with open(folder / segment.make_filename(".seg"), "r+b") as handle:
        handle.seek(offset + int(length * at))
        handle.write(b"\xff" * min(size, length // 3))


def test_damaged_postings_are_found_and_rebuilt_from_the_articles(index):
    """check reports damaged postings; repair keeps every article and the index is sound."""
    overwrite_part(index, ".pst")
    report = NewsIndex.check(index)
    assert not report.ok
    assert any(": postings" in problem for problem in report.problems)
    repaired = NewsIndex.repair(index)
    assert (repaired.recovered, repaired.lost) == (40, ())
    assert "damaged postings were rebuilt from the stored articles" in repaired.notes
    assert NewsIndex.check(index).ok
    with NewsIndex.open(index) as news:
        assert news.search("ferry", limit=50).total == 40


def test_damaged_stored_articles_are_our_error_and_named_by_id(index):
    """A stored article that no longer decodes is IndexCorruptError on reading; repair keeps
    the others and names the lost ones by id, so that they can be imported again."""
    overwrite_part(index, "_stored.col", at=0.3)
    with NewsIndex.open(index) as news, pytest.raises(IndexCorruptError):
        for article in ARTICLES:
            news.get(article.id)
    repaired = NewsIndex.repair(index)
    assert 0 < repaired.recovered < 40
    (lost,) = repaired.lost
    lost_ids = lost.split("(ids: ")[1].rstrip(")").split(", ")
    assert len(lost_ids) == 40 - repaired.recovered
    with NewsIndex.open(index) as news:
        assert sorted(lost_ids + [a.id for a in ARTICLES if a.id in news]) == sorted(
            a.id for a in ARTICLES
        )


@pytest.mark.parametrize("command", ["check", "repair"])
def test_check_and_repair_need_an_index(tmp_path, command):
    """check and repair of a folder that holds no index are IndexNotFoundError, writing nothing."""
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(IndexNotFoundError):
        getattr(NewsIndex, command)(tmp_path)
    assert os.listdir(tmp_path) == ["notes.txt"]
