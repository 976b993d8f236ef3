"""Tests for newsindex.columns: per-segment arrays read from Whoosh's columns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsindex.columns import date_sort_keys, first_key_between
from newsindex.schema import UNDATED


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
def test_first_key_between_finds_the_newest_anywhere_in_a_long_range(newest):
    """The newest article of a range wins wherever it sits: end chunks or chunks between."""
    ticks = [100] * 300
    ticks[newest] = 500
    reader = _Reader(ticks)
    assert first_key_between(reader, 10, 290, newest_first=True) == -500
    assert first_key_between(reader, 10, 290, newest_first=False) == 100


@given(ticks=_TICKS, data=st.data(), newest_first=st.booleans())
def test_first_key_between_is_the_least_key_of_the_range(ticks, data, newest_first):
    """The least date sort key of any document range, across chunk borders or inside one."""
    reader = _Reader(ticks)
    first = data.draw(st.integers(0, len(ticks) - 1))
    last = data.draw(st.integers(first, len(ticks) - 1))
    keys = date_sort_keys(reader, newest_first=newest_first)
    found = first_key_between(reader, first, last, newest_first=newest_first)
    assert found == min(keys[first : last + 1])


def test_undated_articles_sort_last_either_way():
    """Undated articles get the largest key, newest or oldest first."""
    reader = _Reader([5, UNDATED, 9])
    assert list(date_sort_keys(reader, newest_first=True)) == [-5, 1, -9]
    assert list(date_sort_keys(reader, newest_first=False)) == [5, UNDATED, 9]
    assert first_key_between(reader, 1, 1, newest_first=True) == 1
