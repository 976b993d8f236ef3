"""Tests for damaged index folders: the error that names the file, check, and repair.

Each kind of damage a disk, a bad copy or a stray command does to a folder is made on a real
index: a segment cut in half, emptied or deleted, the table of contents emptied or deleted.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from newsindex import (
    Article,
    IndexCorruptError,
    NewsIndex,
)
from newsindex.engines.whoosh.damage import _column_count

ARTICLES = [
    Article(id=f"d{n}", title=f"Harbour report {n}", body=f"The ferry crossed {n} times today.")
    for n in range(30)
]


def _segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.seg"), key=lambda path: path.stat().st_mtime_ns)


def _toc(folder: Path) -> Path:
    (toc,) = folder.glob("_MAIN_*.toc")
    return toc


def _cut_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


DAMAGE = {
    "segment cut in half": (lambda f: _cut_half(_segments(f)[0]), "seg", "cut short"),
    "segment emptied": (lambda f: os.truncate(_segments(f)[0], 0), "seg", "empty"),
    "segment deleted": (lambda f: _segments(f)[0].unlink(), "seg", "missing"),
    "table of contents emptied": (lambda f: os.truncate(_toc(f), 0), "toc", "empty"),
    "table of contents deleted": (lambda f: _toc(f).unlink(), None, None),
}


@pytest.fixture
def index(tmp_path, index_copies) -> Path:
    """An index of 30 articles in one segment."""
    return index_copies(tmp_path / "index", ARTICLES)


@pytest.fixture
def two_segments(tmp_path) -> Path:
    """An index of two commits (two segments): d0-d19, then d20-d29, with d5 deleted."""
    folder = tmp_path / "two"
    with NewsIndex.create(folder) as news:
        news.add(ARTICLES[:20])
        news.add(ARTICLES[20:])
        news.delete(["d5"])
    return folder


def _expected_file(folder: Path, kind: str | None) -> str | None:
    if kind == "seg":
        return _segments(folder)[0].name
    if kind == "toc":
        return _toc(folder).name
    return None


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("call", ["search", "len", "get", "stats", "reindex", "add"])
def test_damage_is_index_corrupt_error_naming_the_file(index, damage, call):
    """Every read or write of a damaged folder raises IndexCorruptError naming the file."""
    make, kind, reason = DAMAGE[damage]
    name = _expected_file(index, kind)
    make(index)
    with pytest.raises(IndexCorruptError) as info:
        if call == "reindex":
            NewsIndex.reindex(index)
        else:
            news = NewsIndex.open(index)
            {
                "search": lambda: news.search("ferry"),
                "len": lambda: len(news),
                "get": lambda: news.get("d1"),
                "stats": news.stats,
                "add": lambda: news.add(ARTICLES[:1]),
            }[call]()
    assert info.value.file == name
    assert info.value.reason == (reason or "its table of contents is missing")
    assert str(info.value).endswith(
        f"run 'newsindex check --index {index}' for a report, then 'newsindex repair --index "
        f"{index}' to keep every article that can still be read."
    )


@pytest.mark.parametrize("damage", ["table of contents emptied", "table of contents deleted"])
def test_open_reads_the_table_of_contents(index, damage):
    """open() itself refuses a folder whose table of contents is damaged (segments are read on
    first use)."""
    DAMAGE[damage][0](index)
    with pytest.raises(IndexCorruptError):
        NewsIndex.open(index)


def test_damage_found_while_open(index):
    """An instance opened on a sound folder reports damage made later as IndexCorruptError."""
    news = NewsIndex.open(index)
    assert news.search("ferry").total == 30
    news.close()
    os.truncate(_segments(index)[0], 0)
    with pytest.raises(IndexCorruptError):
        news.search("ferry")


@pytest.mark.parametrize("opener", ["create", "open_or_create"])
def test_no_table_of_contents_is_not_an_empty_folder(index, opener):
    """A folder of segments without a table of contents is never made a new, empty index."""
    segments = {path.name: path.read_bytes() for path in _segments(index)}
    _toc(index).unlink()
    with pytest.raises(IndexCorruptError):
        getattr(NewsIndex, opener)(index)
    assert {path.name: path.read_bytes() for path in _segments(index)} == segments


def test_check_sound(two_segments):
    """check on a sound index: no problems, the live article count, both segments."""
    report = NewsIndex.check(two_segments)
    assert report.ok
    assert (report.articles, report.segments, report.problems) == (29, 2, ())


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_check_reports_damage(index, damage):
    """check on a damaged index names the file at fault and writes nothing."""
    make, kind, reason = DAMAGE[damage]
    name = _expected_file(index, kind)
    make(index)
    before = sorted(os.listdir(index))
    report = NewsIndex.check(index)
    assert not report.ok
    if name:
        assert report.problems[0].startswith(f"{name}: {reason}")
    else:
        assert report.problems[0] == "the table of contents is missing"
    assert sorted(os.listdir(index)) == before


def test_repair_keeps_the_readable_segment(two_segments):
    """A damaged segment is moved aside; the other's articles (deletions kept) are the index."""
    _older, newer = _segments(two_segments)
    damaged_bytes = newer.read_bytes()[: newer.stat().st_size // 2]
    _cut_half(newer)
    report = NewsIndex.repair(two_segments)
    assert report.recovered == 19
    assert report.lost == (f"{newer.name}: cut short (10 articles)",)
    assert report.moved_aside == (newer.name,)
    assert (Path(report.aside_folder) / newer.name).read_bytes() == damaged_bytes
    with NewsIndex.open(two_segments) as news:
        assert sorted(hit.id for hit in news.search("ferry", limit=50).hits) == sorted(
            f"d{n}" for n in range(20) if n != 5
        )
    assert NewsIndex.check(two_segments).ok


def test_repair_without_table_of_contents_recovers_every_article(two_segments):
    """With the table of contents gone, every segment's articles come back, newest copy kept."""
    _toc(two_segments).unlink()
    report = NewsIndex.repair(two_segments)
    # The deletion of d5 was recorded only in the lost table of contents: it comes back.
    assert report.recovered == 30
    assert report.lost == ("the table of contents is missing",)
    assert report.notes == (
        "articles deleted or replaced since the segments were written may be back in an "
        "earlier version",
    )
    with NewsIndex.open(two_segments) as news:
        assert len(news) == 30
        assert news.get("d25").title == "Harbour report 25"


def test_repair_of_a_sound_index_changes_nothing(two_segments):
    """repair on a sound index leaves every file as it was."""
    before = {name: (two_segments / name).read_bytes() for name in os.listdir(two_segments)}
    report = NewsIndex.repair(two_segments)
    assert (report.recovered, report.lost, report.moved_aside) == (29, (), ())
    after = {name: (two_segments / name).read_bytes() for name in os.listdir(two_segments)}
    assert after == before


def test_open_instance_follows_a_repair(index):
    """An instance that saw the damage answers from the repaired index afterwards."""
    news = NewsIndex.open(index)
    os.truncate(_toc(index), 0)
    with pytest.raises(IndexCorruptError):
        news.search("ferry")
    NewsIndex.repair(index)
    assert news.search("ferry").total == 30


@pytest.mark.parametrize("count", [1, 5, pytest.param(40_000, marks=pytest.mark.slow)])
def test_document_count_from_the_stored_column(count):
    """The stored column's layout gives back its document count, small and with offsets."""
    from array import array

    values = [bytes([n % 7]) * (1 + n % 5) for n in range(count)]
    lengths = array("I", map(len, values))
    lengths.byteswap()
    data = b"".join(values) + lengths.tobytes()
    if count > 2**15:
        offsets = array("I", itertools.accumulate((len(v) for v in values[:-1]), initial=0))
        offsets.byteswap()
        data += offsets.tobytes() + b"IIX"
    else:
        data += b"I"
    assert _column_count(data) == count
