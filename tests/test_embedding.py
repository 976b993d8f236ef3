"""Embedding: one ``NewsIndex`` held for the life of a process and shared by its threads.

A web app opens the index once and serves every request from it, on many threads at once, while
other processes import into the folder or a deployment swaps the folder for a new build. These
tests share one instance between threads (also with the interpreter switching threads as often
as it can, and while another process commits), check that files and memory stay flat, that
writes from threads wait their turn, and that the instance follows its folder when it is
swapped or removed. Each threaded test opens its own instance, so that no test inherits
another's damage, and compares every answer with the one a single thread got first.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
from _workers import articles
from test_reliability import Worker

from newsindex import (
    Article,
    ArticleNotFoundError,
    IndexStats,
    NewsIndex,
    NewsIndexError,
    SearchResults,
)

PROC_FD = Path("/proc/self/fd")
THREADS = 16
JOIN_TIMEOUT = 120
"""Seconds the threads of one run may take before the test calls it a hang."""

Operation = Callable[[NewsIndex], object]

SEARCHES: dict[str, tuple[str, dict]] = {
    "word": ("peacekeepers", {}),
    "phrase": ('"prime minister"', {}),
    "date, oldest first": ("date:2008", {"sort": "oldest"}),
    "field": ("title:iraq", {}),
    "words": ("election government president", {}),
}
"""Searches of each kind over the bundled sample; each finds between 10 and 200 articles."""

STEADY_SEARCHES: dict[str, tuple[str, dict]] = {
    "date, oldest first": ("date:2008", {"sort": "oldest"}),
    "word, oldest first": ("peacekeepers", {"sort": "oldest"}),
    "phrase, newest first": ('"prime minister"', {"sort": "newest"}),
    "field, oldest first": ("title:iraq", {"sort": "oldest"}),
}
"""Searches that no generated article (``_workers.make_article``) can match, in date order.

Generated articles are dated 2024, titled with their prefix and written in the worker's
vocabulary, which has neither "peacekeepers", "prime", nor "iraq". New articles still change
BM25's collection statistics, so the scores (and with them any relevance order) may move;
in date order the hits, their order and their snippets may not.
"""


def search(query: str, options: dict) -> Operation:
    """An operation running one search (five hits, with snippets)."""
    return lambda news: news.search(query, limit=5, **options)


@attrs.frozen
class Expected:
    """The single-threaded answers that threaded runs are compared with."""

    operations: dict[str, Operation]
    """Each operation by name."""
    answers: dict[str, object]
    """Each operation's answer, computed by one thread on a fresh instance."""


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index folder holding the bundled sample (about 1,500 articles), built once."""
    from newsindex.ingest import sample_paths

    path = tmp_path_factory.mktemp("embedding") / "index"
    with NewsIndex.create(path) as news:
        assert news.add_files(sample_paths()).added > 1_000
    return path


@pytest.fixture(scope="module")
def expected(sample_index: Path) -> Expected:
    """Every operation of the mixed workload with its answer, computed by one thread."""
    operations = {name: search(query, options) for name, (query, options) in SEARCHES.items()}
    with NewsIndex.open(sample_index) as news:
        for name in SEARCHES:
            hit_id = operations[name](news).hits[-1].id
            operations[f"get {name} hit"] = lambda news, hit_id=hit_id: news.get(hit_id)
        operations["stats"] = NewsIndex.stats
        operations["len"] = len
        answers = {name: operation(news) for name, operation in operations.items()}
    for name in SEARCHES:
        assert answers[name].total >= 10, name
    return Expected(operations, answers)


@pytest.fixture
def shared(sample_index: Path) -> Iterator[NewsIndex]:
    """A fresh instance on the sample index, for one test's threads to share."""
    with NewsIndex.open(sample_index) as news:
        yield news


def schedule(expected: Expected) -> list[str]:
    """The order a thread runs the operations in (each thread from its own place in it).

    The date search once per round, the others twice: alone it takes about as long as the
    other 22 together.
    """
    names = [name for name in expected.operations if name != "date, oldest first"]
    return [*names, *names, "date, oldest first"]


def start_threads(work: Callable[[int], None], threads: int = THREADS) -> list[threading.Thread]:
    """Start ``work(n)`` in ``threads`` new threads, released together."""
    barrier = threading.Barrier(threads)

    def start(n: int) -> None:
        barrier.wait()
        work(n)

    started = [threading.Thread(target=start, args=(n,), daemon=True) for n in range(threads)]
    for thread in started:
        thread.start()
    return started


def join_threads(started: list[threading.Thread]) -> None:
    """Wait for the threads to end; fail if one hangs."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in started:
        thread.join(max(deadline - time.monotonic(), 0.1))
    assert not any(thread.is_alive() for thread in started), "threads still running: a hang"


def run_threads(work: Callable[[int], None], threads: int = THREADS) -> None:
    """Run ``work(n)`` in ``threads`` new threads started together; fail if one hangs."""
    join_threads(start_threads(work, threads))


def hammer(news: NewsIndex, expected: Expected, each: int) -> tuple[int, list[str]]:
    """Every thread runs ``each`` operations on ``news``; the number run and the problems seen."""
    order = schedule(expected)
    done: list[int] = []
    problems: list[str] = []

    def work(n: int) -> None:
        for step in range(each):
            name = order[(n + step) % len(order)]
            try:
                answer = expected.operations[name](news)
            except Exception as exc:
                problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:80]}")
            else:
                if answer != expected.answers[name]:
                    problems.append(f"{name}: a different answer")
            done.append(1)

    run_threads(work)
    return len(done), problems


def summary(problems: list[str]) -> str:
    """The commonest problems, with their counts."""
    common = collections.Counter(problems).most_common(8)
    return f"{len(problems)} problems: " + "; ".join(f"{n} x {p}" for p, n in common)


def open_files() -> list[str]:
    """What this process's open file descriptors point to (Linux ``/proc``)."""
    found = []
    for fd in os.listdir(PROC_FD):
        with contextlib.suppress(OSError):  # the descriptor that listed the folder is gone
            found.append(os.readlink(PROC_FD / fd))
    return found


def resident_bytes() -> int:
    """This process's resident memory (Linux ``/proc``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


needs_proc = pytest.mark.skipif(not PROC_FD.is_dir(), reason="counts open files in /proc")
posix_only = pytest.mark.skipif(
    os.name != "posix", reason="renames and deletes folders holding open files (POSIX only)"
)


# --- one instance, many threads ---------------------------------------------------------------


@pytest.mark.slow
def test_threads_share_one_instance(shared, expected):
    """16 threads x 300 mixed operations on one instance give the one-thread answers, no errors."""
    done, problems = hammer(shared, expected, each=300)
    assert problems == [], summary(problems)
    assert done == THREADS * 300


@pytest.mark.slow
def test_threads_share_one_instance_switching_constantly(shared, expected):
    """With a thread switch every microsecond, 16 threads still get the one-thread answers."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        done, problems = hammer(shared, expected, each=60)
    finally:
        sys.setswitchinterval(previous)
    assert problems == [], summary(problems)
    assert done == THREADS * 60


def steady(answer: object) -> object:
    """What of an answer new unrelated articles cannot change: all but a search's scores."""
    if isinstance(answer, SearchResults):
        return attrs.evolve(answer, hits=tuple(attrs.evolve(h, score=0.0) for h in answer.hits))
    return answer


def date_range(stats: IndexStats) -> tuple[object, object]:
    """The first and last publication dates of a ``stats`` answer."""
    return stats.first_published, stats.last_published


def article_count(answer: object) -> int | None:
    """The article count a ``len`` or ``stats`` answer gives (None for other answers)."""
    if isinstance(answer, IndexStats):
        return answer.articles
    return answer if isinstance(answer, int) else None


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="reads the worker's output with select")
def test_threads_share_one_instance_during_commits(sample_index, tmp_path):
    """While another process commits, threads get unchanged answers and a count that only grows."""
    folder = tmp_path / "index"
    shutil.copytree(sample_index, folder)
    batches, size = 8, 40
    operations = {name: search(q, options) for name, (q, options) in STEADY_SEARCHES.items()}
    with NewsIndex.open(folder) as news:
        hit_id = operations["word, oldest first"](news).hits[0].id
        operations["get"] = lambda news: news.get(hit_id)
        answers = {name: steady(operation(news)) for name, operation in operations.items()}
        operations["len"], operations["stats"] = len, NewsIndex.stats
        before, dates = len(news), date_range(news.stats())
        order = list(operations)
        stop = threading.Event()
        problems: list[str] = []
        counts: list[list[int]] = [[] for _ in range(THREADS)]

        running = threading.Semaphore(0)

        def work(n: int) -> None:
            step = 0
            while not stop.is_set() or step < 60:
                name = order[(n + step) % len(order)]
                step += 1
                if step == 2:
                    running.release()
                try:
                    answer = operations[name](news)
                except Exception as exc:
                    problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:80]}")
                    continue
                if (count := article_count(answer)) is not None:
                    counts[n].append(count)
                    if name == "stats" and date_range(answer) != dates:
                        problems.append("stats: other first and last dates")
                elif steady(answer) != answers[name]:
                    problems.append(f"{name}: a different answer")

        worker = Worker("batches", folder, "live", batches, size, 1, stdin=True)
        try:
            assert worker.wait_for("ready") == "ready"
            started = start_threads(work)
            for _thread in started:  # the commits start once every thread is searching
                assert running.acquire(timeout=120)
            worker.send_line()
            status = worker.finish()
        finally:
            stop.set()
            worker.close()
        join_threads(started)
        assert status == 0, worker.lines
        assert worker.lines[-1] == f"committed {batches - 1}"
        assert problems == [], summary(problems)
        for seen in counts:
            assert seen == sorted(seen), "a thread's article count went down"
        assert len({count for seen in counts for count in seen}) > 2, "no search overlapped commits"
        assert len(news) == before + batches * size
        assert news.get(f"live-{batches - 1}-{size - 1:06d}").source == "Worker Wire"
        # Once the threads are done and the index has moved on, searchers of older commits are
        # closed: each file of the folder is open once at most, none of them a deleted one.
        with NewsIndex.open(folder) as writer:
            writer.add(articles("last", 1))
        assert len(news) == before + batches * size + 1
        gc.collect()  # the writer's own readers go with its reference cycles
        if PROC_FD.is_dir():
            held = collections.Counter(f for f in open_files() if f.startswith(str(folder)))
            assert {f: n for f, n in held.items() if n > 1 or f.endswith(" (deleted)")} == {}


@pytest.mark.slow
@needs_proc
def test_threads_leave_open_files_and_memory_flat(shared, expected):
    """Rounds of new threads searching one instance leave open files and memory where they were."""
    # Two rounds to warm up: caches fill, and searchers kept for reuse reach their number.
    files, memory, problems = [], [], []
    for _round in range(6):
        done, seen = hammer(shared, expected, each=15)
        assert done == THREADS * 15
        problems += seen
        gc.collect()
        files.append(len(open_files()))
        memory.append(resident_bytes())
    assert files[5] <= files[2] + 2, f"open files by round: {files}"
    assert memory[5] - memory[2] < 16 * 2**20, f"resident bytes by round: {memory}"
    assert problems == [], summary(problems)


# --- writes from threads ----------------------------------------------------------------------


def test_threads_writing_wait_their_turn(empty_news):
    """4 threads adding 50 articles each to one instance all succeed; the index holds all 200."""
    added: list[int] = []
    errors: list[str] = []

    def work(n: int) -> None:
        try:
            added.append(empty_news.add(articles(f"thread{n}", 50)))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    run_threads(work, threads=4)
    assert errors == []
    assert added == [50] * 4
    assert len(empty_news) == 200
    assert empty_news.search("reliability", limit=1).total == 200
    assert all(f"thread{n}-000049" in empty_news for n in range(4))


# --- the folder under an open instance --------------------------------------------------------

OLD_STORY = Article(id="old-1", title="Old folder story", body="Written before the swap.")
OLD_OTHER = Article(id="old-2", title="Another article", body="Also in the old folder.")
NEW_STORY = Article(id="new-1", title="New folder story", body="Written for the swap.")


@posix_only
@pytest.mark.parametrize("commits", [1, 2], ids=["same-generation", "newer-generation"])
def test_swapped_folder_is_followed(tmp_path, commits):
    """An open instance answers from the folder now at its path, not the one it first opened."""
    live, old, following = tmp_path / "live", tmp_path / "old", tmp_path / "next"
    with NewsIndex.create(live) as build:
        build.add([OLD_STORY, OLD_OTHER])
    with NewsIndex.create(following) as build:
        for _commit in range(commits):
            build.add([NEW_STORY])
    with NewsIndex.open(live) as news:
        assert [hit.id for hit in news.search("story").hits] == ["old-1"]
        os.rename(live, old)
        os.rename(following, live)
        check_answers_from_new_folder(news)
        shutil.rmtree(old)
        check_answers_from_new_folder(news)
        if PROC_FD.is_dir():
            assert [name for name in open_files() if name.startswith(str(old))] == []


def check_answers_from_new_folder(news: NewsIndex) -> None:
    """Every read answers from the folder holding NEW_STORY alone."""
    assert [hit.id for hit in news.search("story").hits] == ["new-1"]
    assert news.search('"old folder"').total == 0
    assert len(news) == 1
    assert news.stats().articles == 1
    assert news.get("new-1") == NEW_STORY
    assert "old-1" not in news
    with pytest.raises(ArticleNotFoundError):
        news.get("old-1")


READS: dict[str, Callable[[NewsIndex], object]] = {
    "search": lambda news: news.search("story"),
    "len": len,
    "get": lambda news: news.get("old-1"),
    "stats": NewsIndex.stats,
}


@posix_only
@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_removed_folder_is_our_error(tmp_path, read):
    """Reading from an instance whose folder was deleted raises a NewsIndexError naming it."""
    folder = tmp_path / "index"
    with NewsIndex.create(folder) as build:
        build.add([OLD_STORY, OLD_OTHER])
    with NewsIndex.open(folder) as news:
        assert news.search("story").total == 1
        shutil.rmtree(folder)
        with pytest.raises(NewsIndexError, match=re.escape(f"'{folder}'")):
            read(news)
