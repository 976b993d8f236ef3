"""The worker processes of a parallel import.

Each worker builds a segment of its own from batches of documents it takes from one queue
shared by all of them (whichever is free takes the next batch), with a builder the writer
passes in, and reports the segment, where each batch starts in it and what its analyzer learnt.
The importing process offers batches and indexes those the workers have no room for; see
:mod:`.writer`. Failures raise :class:`IndexWriteError`.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import queue
import sys
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from newsindex.errors import IndexWriteError

__all__ = ["BuiltSegment", "Workers"]

_POLL = 0.25
"""Seconds between checks that the other side of a queue is still alive."""

_QUEUED_BATCHES = 16
"""Batches that may wait for the worker processes: enough to keep them busy while the parent
writes out a run of its own (a few seconds), few enough to hold little memory."""

_TAKE_BACK_WAIT = 0.05
"""Seconds the parent waits for a queued batch as the import ends before leaving the rest to
the workers."""


@attrs.frozen
class BuiltSegment:
    """What one builder made: a segment (not yet in the index) and where each batch is in it.

    A batch's documents are one run of document numbers in the segment.
    """

    segment: Any | None
    """The segment; ``None`` if the builder was given no documents."""
    firsts: dict[int, int]
    """Batch number -> the document number of the batch's first document in the segment."""

    @property
    def count(self) -> int:
        """How many documents the segment holds."""
        return 0 if self.segment is None else self.segment.doc_count_all()


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this forked process as soon as its parent dies."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _worker(
    build: Callable[[Any, float], Any],
    storage: Any,
    indexname: str,
    jobs: Any,
    results: Any,
    limitmb: float,
    lock_fd: int | None,
) -> None:
    """A worker process: index the batches it takes from the shared queue, then report its
    segment and where each batch is in it.

    It never outlives the import: a forked worker drops its copy of the write lock (which would
    keep the index locked after the parent died) and asks the kernel to kill it with its parent,
    and any worker notices a dead parent within a second and exits. The next writer removes
    the files it leaves.
    """
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)
        _die_with_parent()
    gc.disable()  # as in the parent's import (see _gc_paused); the process ends with it
    parent = multiprocessing.parent_process()
    builder = build(storage.open_index(indexname), limitmb)
    try:
        while True:
            try:
                job = jobs.get(timeout=_POLL)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    return
                continue
            if job is None:
                break
            builder.add_batch(*job)
        results.put(("ok", (builder.finish(), builder.known_terms())))
    except BaseException as exc:  # reported to the parent, which fails the import
        builder.cancel()
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def _context() -> Any:
    # Forked on Linux whatever the default (forkserver from Python 3.14): workers start at once
    # and inherit the loaded analyzers; elsewhere the platform's default.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class Workers:
    """The parent's handle on its worker processes; failures raise :class:`IndexWriteError`.

    The workers take batches from one shared queue, so whichever is free takes the next one:
    while one writes out a run the others go on indexing.
    """

    def __init__(
        self, ix: Any, count: int, limitmb: float, lock_fd: int | None, *, build: Callable
    ) -> None:
        context = _context()
        forked = context.get_start_method() == "fork"
        self.folder = ix.storage.folder
        self.jobs = context.Queue(maxsize=_QUEUED_BATCHES)
        self.results: list[Any] = []
        self.processes: list[Any] = []
        for _ in range(count):
            results = context.Queue()
            process = context.Process(
                target=_worker,
                args=(
                    build,
                    ix.storage,
                    ix.indexname,
                    self.jobs,
                    results,
                    limitmb,
                    lock_fd if forked else None,
                ),
                daemon=True,  # never keeps the interpreter from exiting
            )
            process.start()
            self.results.append(results)
            self.processes.append(process)
        self.terms: dict[str, str] = {}  # what their analyzers learnt, reported at the end

    def _fail(self, reason: str) -> IndexWriteError:
        return IndexWriteError(self.folder, reason)

    def offer(self, number: int, batch: list[dict[str, Any]]) -> bool:
        """Queue a batch unless the workers already have enough waiting; True if queued."""
        try:
            self.jobs.put((number, batch), block=False)
        except queue.Full:
            return False
        return True

    def take_back(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """Yield the batches still waiting, one at a time, for the parent to index as the
        import ends (the workers keep taking them too)."""
        while True:
            try:
                job = self.jobs.get(timeout=_TAKE_BACK_WAIT)
            except queue.Empty:
                return
            yield job

    def close_input(self) -> None:
        """Tell every worker no more batches are coming, so they finish their segments."""
        for _ in self.processes:
            while True:
                try:
                    self.jobs.put(None, timeout=_POLL)
                    break
                except queue.Full:
                    if not any(process.is_alive() for process in self.processes):
                        raise self._fail("an indexing worker process died") from None

    def finish(self) -> list[BuiltSegment]:
        """Wait for each worker's segment (after :meth:`close_input`)."""
        built = []
        for process, results in zip(self.processes, self.results, strict=True):
            while True:
                try:
                    status, payload = results.get(timeout=_POLL)
                    break
                except queue.Empty:
                    if not process.is_alive():
                        raise self._fail("an indexing worker process died") from None
            process.join()
            if status != "ok":
                raise self._fail(f"an indexing worker failed: {payload}")
            made, terms = payload
            self.terms.update(terms)
            built.append(made)
        return built

    def check(self, built: BuiltSegment, sizes: list[int]) -> None:
        """Refuse to commit if a worker lost a document (never commit an incomplete import);
        ``sizes``: the documents in each batch, by batch number."""
        taken = sum(sizes[number] for number in built.firsts)
        if built.count != taken:
            raise self._fail(f"an indexing worker indexed {built.count} of {taken} articles")

    def kill(self) -> None:
        """Stop the processes (if still running) and release the queues."""
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join()
        for channel in (self.jobs, *self.results):
            channel.close()
            channel.cancel_join_thread()
