"""Tests for the searcher pool: one caller per searcher, a bounded number, renewed on change."""

from __future__ import annotations

import threading
import time

from newsindex.engines.whoosh.searchers import MAX_SEARCHERS, FolderState, SearcherPool


class FakeSearcher:
    """Stands for a Whoosh searcher: records whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def make_pool(state: list[FolderState], opened: list[FakeSearcher]) -> SearcherPool:
    """A pool over fake searchers; ``state[0]`` is what the folder looks like now."""

    def open_searcher() -> FakeSearcher:
        opened.append(FakeSearcher())
        return opened[-1]

    return SearcherPool(lambda: state[0], open_searcher, lambda new: None)


def test_never_more_searchers_than_the_bound_and_never_shared():
    """32 threads borrowing at once get at most MAX_SEARCHERS searchers, one thread each."""
    state, opened = [FolderState((1, 1), 1)], []
    pool = make_pool(state, opened)
    holders: dict[int, int] = {}
    problems: list[str] = []
    guard = threading.Lock()

    def work() -> None:
        for _ in range(20):
            with pool.lend() as searcher:
                with guard:
                    if id(searcher) in holders:
                        problems.append("shared")
                    holders[id(searcher)] = threading.get_ident()
                time.sleep(0.0005)
                with guard:
                    del holders[id(searcher)]

    threads = [threading.Thread(target=work) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert 1 <= len(opened) <= MAX_SEARCHERS


def test_a_commit_renews_idle_searchers_and_closes_lent_ones_on_return():
    """After the folder changes, idle searchers close at once and lent ones when returned."""
    state, opened = [FolderState((1, 1), 1)], []
    pool = make_pool(state, opened)
    with pool.lend():
        pass
    with pool.lend() as lent:
        state[0] = FolderState((1, 1), 2)
        with pool.lend() as fresh:
            assert fresh is not lent
        assert not lent.closed
    assert lent.closed
    with pool.lend() as again:
        assert again is fresh


def test_a_swapped_folder_is_reported_once():
    """A new folder identity calls on_moved before any searcher opens on it."""
    state, moved = [FolderState((1, 1), 3)], []
    pool = SearcherPool(lambda: state[0], FakeSearcher, moved.append)
    with pool.lend():
        pass
    state[0] = FolderState((1, 2), 3)
    with pool.lend():
        pass
    with pool.lend():
        pass
    assert moved == [FolderState((1, 2), 3)]


def test_a_late_look_never_moves_back_to_an_older_commit():
    """A thread that looked at the folder before a commit another thread has seen gets the
    newer commit's searcher, never an older one kept for it."""
    state, opened = [FolderState((1, 1), 6)], []
    pool = make_pool(state, opened)
    with pool.lend() as newer:
        pass
    state[0] = FolderState((1, 1), 5)  # what a slow thread read before commit 6
    assert pool.current() == FolderState((1, 1), 6)
    with pool.lend() as lent:
        assert lent is newer
