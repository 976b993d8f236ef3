"""Tests for the codec's columns: per-segment arrays read from Whoosh's columns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsindex.engines.whoosh.codec.columns import date_sort_keys, first_keys
from newsindex.engines.whoosh.codec.schema import UNDATED


class _Reader:
    """A segment reader with just a date column (ticks by document number)."""

    def __init__(self, ticks: list[int]) -> None:
        self.ticks = ticks

    def has_column(self, name: str) -> bool:
        return True

    def column_reader(self, name: str, translate: bool = False) -> list[int]:
        return self.ticks

    def doc_count_all(self) -> int:
        return len(self.ticks)


_TICKS = st.lists(st.one_of(st.integers(0, 10**6), st.just(UNDATED)), min_size=1, max_size=400)


@pytest.mark.parametrize("newest", [10, 70, 150, 200, 290])
def test_first_keys_find_the_newest_anywhere_in_a_range(newest):
    """The newest article of a range gives its bound wherever it sits in it."""
    ticks = [100] * 300
    ticks[newest] = 500
    reader = _Reader(ticks)
    assert first_keys(reader, [299], newest_first=True) == [-500]
    assert first_keys(reader, [299], newest_first=False) == [100]
    bounds = first_keys(reader, [4, 127, 255, 299], newest_first=True)
    chunk = newest // 64
    assert bounds == [-500 if chunk in inside else -100 for inside in ([0], [0, 1], [2, 3], [4])]


@given(ticks=_TICKS, data=st.data(), newest_first=st.booleans())
def test_first_keys_bound_the_least_keys_of_the_ranges(ticks, data, newest_first):
    """For consecutive document ranges from document 0: each bound is at most the range's
    least key, and at least the least key of the 64-document chunks it overlaps."""
    reader = _Reader(ticks)
    lasts = sorted(data.draw(st.sets(st.integers(0, len(ticks) - 1), min_size=1)))
    keys = date_sort_keys(reader, newest_first=newest_first)
    firsts = [0, *(last + 1 for last in lasts[:-1])]
    bounds = first_keys(reader, lasts, newest_first=newest_first)
    for first, last, bound in zip(firsts, lasts, bounds, strict=True):
        assert bound <= min(keys[first : last + 1])
        assert bound == min(keys[first // 64 * 64 : (last // 64 + 1) * 64])


def test_undated_articles_sort_last_either_way():
    """Undated articles get the largest key, newest or oldest first."""
    reader = _Reader([5, UNDATED, 9])
    assert list(date_sort_keys(reader, newest_first=True)) == [-5, 1, -9]
    assert list(date_sort_keys(reader, newest_first=False)) == [5, UNDATED, 9]
    assert first_keys(reader, [2], newest_first=True) == [-9]
