"""Searchers on an index folder's latest commit, each lent to one thread at a time.

A Whoosh searcher is not safe to share between threads: its readers move file positions and
fill caches as they go, so two threads searching through one searcher read each other's
bytes (unpickling errors, wrong totals). A :class:`SearcherPool` therefore lends every
searcher to one caller at a time and takes it back afterwards, opening another when all are
out, up to :data:`MAX_SEARCHERS`; past that a thread waits for one to come back. The bound is
the bound on memory: each searcher reads the parts of the segments it uses into memory of its
own (Whoosh copies a compound segment's parts out of the mapped file), and Python runs one
thread at a time anyway, so more searchers would cost memory and gain no speed.

A searcher is kept only while it answers from the folder's latest commit. Before each loan
the pool looks at the folder: its identity (device and inode, so a folder swapped for another
by renaming is noticed even when both have committed equally often) and its newest commit's
number. When either changed, idle searchers are closed and the next loan opens a new one on
what is there now; a searcher that is out on loan is closed when it comes back. No thread ever
closes a searcher another thread is using.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

__all__ = ["MAX_SEARCHERS", "FolderState", "SearcherPool"]

MAX_SEARCHERS = 4
"""Searchers one pool holds at most, idle or on loan."""


@attrs.frozen
class FolderState:
    """What a searcher was opened on: the folder's identity and its newest commit."""

    identity: tuple[int, int]
    """The folder's device and inode numbers."""
    generation: int
    """The number of its newest commit (its table of contents)."""


@attrs.define
class _Loan:
    searcher: Any
    state: FolderState
    epoch: int


class SearcherPool:
    """Searchers for one index folder, lent out one caller at a time.

    ``look()`` returns the folder's current :class:`FolderState` (raising our error for a folder
    that is gone or damaged); ``open_searcher()`` opens a searcher on the latest commit;
    ``on_moved(state)`` is called, under the pool's lock, when the folder's identity changes,
    before any searcher is opened on the new folder (to check that it can be read).
    """

    def __init__(
        self,
        look: Callable[[], FolderState],
        open_searcher: Callable[[], Any],
        on_moved: Callable[[FolderState], None],
        *,
        limit: int = MAX_SEARCHERS,
    ) -> None:
        self._look = look
        self._open = open_searcher
        self._on_moved = on_moved
        self._lock = threading.Lock()
        self._returned = threading.Condition(self._lock)  # a loan came back, or was closed
        self._limit = limit
        self._out = 0  # searchers on loan
        self._idle: list[_Loan] = []
        self._state: FolderState | None = None
        self._epoch = 0  # advanced by close(): loans from before it are closed on return

    def current(self) -> FolderState:
        """The folder's state now, dropping idle searchers that no longer match it."""
        state = self._look()
        stale: list[_Loan] = []
        with self._lock:
            known = self._state
            if (
                known is not None
                and state.identity == known.identity
                and state.generation < known.generation
            ):
                return known  # looked before a commit that another thread has already seen
            if state != self._state:
                if self._state is not None and state.identity != self._state.identity:
                    self._on_moved(state)
                stale, self._idle = self._idle, []
                self._state = state
        _close_all(stale)
        return state

    @contextlib.contextmanager
    def lend(self) -> Iterator[Any]:
        """A searcher on the latest commit, for the caller alone until the block ends."""
        loan = self._borrow()
        try:
            yield loan.searcher
        finally:
            self._return(loan)

    def _borrow(self) -> _Loan:
        state = self.current()
        with self._returned:
            while not self._idle and self._out + len(self._idle) >= self._limit:
                self._returned.wait()
            self._out += 1
            if self._idle:
                return self._idle.pop()
            epoch = self._epoch
        try:
            # Opened outside the lock, so other threads' loans never wait for it.
            return _Loan(self._open(), state, epoch)
        except BaseException:
            with self._returned:
                self._out -= 1
                self._returned.notify()
            raise

    def _return(self, loan: _Loan) -> None:
        with self._returned:
            self._out -= 1
            self._returned.notify()
            if loan.state == self._state and loan.epoch == self._epoch:
                self._idle.append(loan)
                return
        _close_all([loan])

    def close(self) -> None:
        """Close the idle searchers; those on loan are closed when they come back."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._epoch += 1
        _close_all(idle)


def _close_all(loans: list[_Loan]) -> None:
    for loan in loans:
        with contextlib.suppress(Exception):
            loan.searcher.close()


def folder_identity(folder: Path) -> tuple[int, int]:
    """The device and inode numbers of ``folder`` (raises ``OSError`` if it is gone)."""
    status = os.stat(folder)
    return status.st_dev, status.st_ino
