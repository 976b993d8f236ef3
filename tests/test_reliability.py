"""Reliability: any query, readers during writes, racing writers, killed imports, old versions.

Processes are real: ``tests/_workers.py`` runs imports in subprocesses that the tests race,
signal and kill (``SIGKILL``) at random points. ``--soak`` (or ``NEWSINDEX_SOAK=1``) runs the same
tests longer for release checks: more processes, more kills, more articles. The tests that start
processes or try many Hypothesis examples are marked ``slow``. The bad-input matrix is in
``test_ingest_matrix.py``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import multiprocessing
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from _workers import HOLD_AFTER, articles, make_article
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_query import results_or_syntax_error as results_or_error

from newsindex import (
    Article,
    IndexLockedError,
    IndexReadOnlyError,
    IndexVersionError,
    IndexWriteError,
    NewsIndex,
)
from newsindex.cli import main
from newsindex.engines.whoosh import transactions
from newsindex.engines.whoosh import workers as workers_module
from newsindex.engines.whoosh import writer as writer_module
from newsindex.engines.whoosh.codec import postfile as postfile_module
from newsindex.engines.whoosh.codec import runs as runs_module
from newsindex.engines.whoosh.codec.schema import META_FILE
from newsindex.engines.whoosh.folder import stored_articles
from newsindex.engines.whoosh.terms import TERMS_FILE

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGKILL"), reason="kills processes with SIGKILL (POSIX only)"
)

WORKERS = Path(__file__).with_name("_workers.py")
LINUX_PROC = Path("/proc/self/stat").exists()
SEED = int(os.environ.get("NEWSINDEX_SEED", "0"))
"""Seed of the random kill points, set for the session in conftest and shown in pytest's header."""


# --- helpers ----------------------------------------------------------------------------------


class Worker:
    """A ``_workers.py`` process whose output lines the test reads as they come."""

    def __init__(self, *args: object, stdin: bool = False) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKERS), *map(str, args)],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.proc.pid
        self.lines: list[str] = []
        self._buffer = b""

    def _read_line(self, deadline: float) -> str | None:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"worker {self.pid} silent; it said: {self.lines}")
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        self.lines.append(line.decode(errors="replace"))
        return self.lines[-1]

    def wait_for(self, prefix: str, timeout: float = 120) -> str:
        """The first line starting with ``prefix`` (``error`` lines end the wait too)."""
        deadline = time.monotonic() + timeout
        while (line := self._read_line(deadline)) is not None:
            if line.startswith((prefix, "error ")):
                return line
        raise AssertionError(f"worker {self.pid} ended before {prefix!r}; it said: {self.lines}")

    def send_line(self) -> None:
        """Let a ``hold`` worker go on."""
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 120) -> int:
        """Read the rest of the output and return the exit status."""
        deadline = time.monotonic() + timeout
        while self._read_line(deadline) is not None:
            pass
        return self.proc.wait(max(deadline - time.monotonic(), 1))

    def kill(self) -> None:
        """SIGKILL the process (not its workers: they must notice by themselves)."""
        self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        """Make sure the process is gone and its pipes are closed."""
        if self.proc.poll() is None:
            self.kill()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe:
                pipe.close()


@pytest.fixture
def spawn() -> Iterator:
    """Start ``_workers.py`` processes; every one is killed and reaped at the end of the test."""
    started: list[Worker] = []

    def start(*args: object, stdin: bool = False) -> Worker:
        worker = Worker(*args, stdin=stdin)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


def processes_mentioning(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.append(int(entry.name))
    return found


def assert_no_processes_left(index: Path, timeout: float = 10) -> None:
    """No process (an orphaned worker, say) still works on ``index`` after ``timeout``."""
    if not LINUX_PROC:
        return
    deadline = time.monotonic() + timeout
    while (left := processes_mentioning(str(index))) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == [], f"processes still working on {index}: {left}"


def snapshot(index: Path) -> dict[str, dict]:
    """Every stored article of the index, by id."""
    return {article.id: attrs.asdict(article) for article in stored_articles(index)}


def assert_tidy(index: Path) -> None:
    """The folder holds one table of contents and the files of its segments, nothing else."""
    from whoosh.index import open_dir  # the test looks behind the wall on purpose

    segments = {s.segment_id() for s in open_dir(str(index))._read_toc().segments}
    names = {path.name for path in index.iterdir()}
    tocs = {name for name in names if name.startswith("_MAIN_")}
    stray = {
        name
        for name in names - tocs - {META_FILE, TERMS_FILE, "MAIN_WRITELOCK"}
        if name.split(".")[0] not in segments
    }
    assert len(tocs) == 1, sorted(tocs)
    assert all(name.endswith(".toc") for name in tocs), sorted(tocs)
    assert stray == set(), sorted(stray)


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail with TimeoutError if the block runs longer than ``seconds`` (a hang guard)."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def base_index(tmp_path: Path, index_copies) -> Path:
    """An index folder holding 200 generated articles (ids ``old-...``)."""
    return index_copies(tmp_path / "index", articles("old", 200))


# --- any query string -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def query_news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """An index of 300 generated articles: enough distinct words for wildcards to expand."""
    news = NewsIndex.create(tmp_path_factory.mktemp("queries") / "index")
    news.add(articles("q", 300))
    yield news
    news.close()


def results_or_syntax_error(news: NewsIndex, query: str, seconds: int = 60) -> None:
    """Search, accepting results or a QuerySyntaxError and nothing else, within a time limit."""
    with time_limit(seconds):
        results_or_error(news, query)


_PREFIXES = [f"{a}{b}*" for a in "abcdefghijklmnopqrstuvwxyz" for b in "aeiourst"][:200]
PATHOLOGICAL = {
    "200 prefixes": " ".join(_PREFIXES),
    "200 prefixes OR": " OR ".join(_PREFIXES),
    "10,000 characters of words": ("ceasefire talks harbour " * 500)[:10_000],
    "one 10,000-character word": "x" * 10_000,
    "prefix and 9,998 stars": "re" + "*" * 9_998,
    "huge slop": '"ferry strike"~999999999',
    "500 fuzzy-looking terms": " ".join(["ferry~2", "strik~"] * 250),
    "20 groups": " ".join(["(ferry OR budget)"] * 20),
    "20 date clauses": " ".join(["date:[2024-01 TO *]", "date:2024"] * 10),
    "nesting 100 deep": "(" * 100 + "ferry" + ")" * 100,
    "NUL and controls": "\x00\x01\x1b[31m ferry \x7f" * 500,
    "combining marks": "e\u0301" * 3_000 + " ferry",
}
TOO_DEEP = {
    "parentheses 1,000 deep": "(" * 1_000 + "ferry" + ")" * 1_000,
    "5,000 open parentheses": "(" * 5_000,
    "NOT 3,000 times": "NOT " * 3_000 + "ferry",
    "OR nested 500 deep": "(ferry OR " * 500 + "budget" + ")" * 500,
    "1,000 phrases": " ".join(['"ferry talks"'] * 1_000),
    "1,000 field clauses": " ".join(["title:ferry", "tag:x", "author:y"] * 333),
    "5,000 minus words": " ".join(["-ferry", "harbour"] * 2_500),
}
TOO_SLOW = {
    "400 groups": " ".join(["(ferry OR budget)"] * 400),
    "400 date clauses": " ".join(["date:[2024-01 TO *]", "date:2024"] * 200),
}


@pytest.mark.parametrize("query", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_query_finishes(query_news, query):
    """Huge and wildcard-heavy queries finish with results or a QuerySyntaxError."""
    results_or_syntax_error(query_news, query)


@pytest.mark.parametrize("query", TOO_DEEP.values(), ids=TOO_DEEP.keys())
def test_deeply_nested_query_is_a_syntax_error(query_news, query):
    """Nesting or clause counts beyond what can be run are a QuerySyntaxError, not a crash."""
    results_or_syntax_error(query_news, query)


@pytest.mark.parametrize("query", TOO_SLOW.values(), ids=TOO_SLOW.keys())
def test_many_clauses_finish_quickly(query_news, query):
    """Hundreds of repeated clauses are answered (or refused) in seconds, not minutes."""
    results_or_syntax_error(query_news, query, seconds=2)


_ATOMS = st.sampled_from(
    [
        "ceasefire",
        "Talks",
        "harb*",
        "re*",
        "x*",
        '"ferry strike"',
        '"ferry strike"~3',
        "title:ferry",
        "tag:",
        "date:2024",
        "date:[2024-01 TO *]",
        "date:[2025 TO 2024]",
        "author:worker",
        "-budget",
        "strike~",
        "é",
        "",
        "(",
        ")",
        '"',
        ":",
        "*",
        "OR",
        "NOT",
    ]
)
NESTED_QUERIES = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.builds("{} {}".format, inner, inner),
        st.builds("{} OR {}".format, inner, inner),
        st.builds("({})".format, inner),
        st.builds("-({})".format, inner),
        st.builds("NOT {}".format, inner),
        st.builds("{}:({})".format, st.sampled_from(["title", "body", "tag", "nope"]), inner),
    ),
    max_leaves=40,
)
"""Queries built from the grammar's pieces, nested: groups in groups, negations, field groups."""


@pytest.mark.slow
@settings(deadline=None)
@given(query=NESTED_QUERIES)
def test_nested_near_valid_queries(query_news, query):
    """Nested near-valid queries search or raise QuerySyntaxError, never anything else."""
    results_or_syntax_error(query_news, query)


def test_group_of_excluded_words(query_news):
    """A group that only excludes words, next to a required one, searches or is refused."""
    results_or_syntax_error(query_news, "ceasefire (-budget -talks)")


@pytest.mark.slow
@settings(deadline=None)
@given(query=st.text(min_size=200, max_size=2_000))
def test_long_random_text(query_news, query):
    """Long arbitrary text searches or raises QuerySyntaxError, never anything else."""
    results_or_syntax_error(query_news, query)


# --- readers during writes --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("procs", [1, 2])
def test_readers_see_old_or_new_never_between(base_index, spawn, soak, procs):
    """While another process imports, readers count the old or the new total, never between."""
    added = 6_000 if soak else 1_500
    old, new = 200, 200 + added
    with NewsIndex.open(base_index) as news:
        assert len(news) == old
        writer = spawn("add", base_index, "new", added, procs, 60)
        writer.wait_for("ready")
        seen, during = set(), 0
        n = 0
        while writer.proc.poll() is None:
            n += 1
            counts = {len(news), news.search("reliability").total, news.stats().articles}
            if n % 5 == 0:
                with NewsIndex.open(base_index) as fresh:
                    counts.add(len(fresh))
            seen |= counts
            during += counts == {old}
        assert writer.finish() == 0, writer.lines
        assert seen <= {old, new}, f"a reader saw {sorted(seen)}"
        assert during > 0, "no search ran while the import was under way"
        assert len(news) == new
        assert news.search("reliability").total == new
        assert news.get(f"new-{added - 1:06d}") == make_article("new", added - 1)


# --- several writers --------------------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_writers_all_succeed(tmp_path, spawn, soak):
    """Several processes importing at once all succeed, one after another; nothing is lost."""
    index = tmp_path / "index"
    writers, each = (8, 1_000) if soak else (3, 300)
    started = [spawn("add", index, f"w{n}", each, 2 if n == 0 else 1, 120) for n in range(writers)]
    for worker in started:
        assert worker.finish() == 0, worker.lines
        assert worker.lines[-1] == f"added {each}"
    assert_no_processes_left(index)
    with NewsIndex.open(index) as news:
        assert len(news) == writers * each
        assert news.search("reliability").total == writers * each


@pytest.mark.slow
@pytest.mark.parametrize("procs", [1, 2])
def test_second_writer_gets_index_locked_error(base_index, spawn, procs):
    """A writer that times out gets IndexLockedError naming the folder; nothing is written."""
    holder = spawn("hold", base_index, "held", HOLD_AFTER + 10, 1, stdin=True)
    assert holder.wait_for("holding") == "holding"
    before = snapshot(base_index)
    with NewsIndex.open(base_index, lock_timeout=0.2) as news:
        with pytest.raises(IndexLockedError) as info:
            news.add(articles("late", 300), procs=procs)
        assert str(info.value) == (
            f"The index at '{base_index}' is being written by another process (waited 0.2s): "
            "try again when it has finished, or raise the lock timeout."
        )
        with pytest.raises(IndexLockedError):
            news.delete(["old-000001"])
        assert len(news) == 200
    assert snapshot(base_index) == before
    holder.send_line()
    assert holder.finish() == 0, holder.lines
    assert len(snapshot(base_index)) == 200 + HOLD_AFTER + 10


@pytest.mark.slow
def test_cli_reports_a_locked_index_in_one_line(base_index, spawn, monkeypatch):
    """`newsindex index` on a locked index exits 1 with one `Error:` line, no traceback."""
    holder = spawn("hold", base_index, "held", HOLD_AFTER + 1, 1, stdin=True)
    holder.wait_for("holding")
    opener = NewsIndex.open_or_create.__func__

    def impatient(cls, path, **_options):
        return opener(cls, path, lock_timeout=0.1)

    monkeypatch.setattr(NewsIndex, "open_or_create", classmethod(impatient))
    source = base_index.parent / "more.jsonl"
    source.write_text(json.dumps({"id": "cli-1", "title": "Late article"}) + "\n")
    result = CliRunner().invoke(main, ["index", str(source), "--index", str(base_index)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: The index at '{base_index}' is being written by another process (waited 0.1s): "
        "try again when it has finished, or raise the lock timeout.\n"
    )
    holder.send_line()
    assert holder.finish() == 0


@pytest.mark.slow
def test_waiting_writer_gets_its_turn(base_index, spawn):
    """A writer with a long enough timeout waits for the holder and then succeeds."""
    holder = spawn("hold", base_index, "held", HOLD_AFTER + 10, 1, stdin=True)
    holder.wait_for("holding")
    waiter = spawn("add", base_index, "waiter", 50, 1, 60)
    waiter.wait_for("ready")
    holder.send_line()
    assert holder.finish() == 0, holder.lines
    assert waiter.finish() == 0, waiter.lines
    assert len(snapshot(base_index)) == 200 + HOLD_AFTER + 10 + 50


# --- crashes ----------------------------------------------------------------------------------


def committed_batches(index: Path, prefix: str, batches: int, size: int) -> int:
    """How many whole batches the index holds; fails unless it is exactly the first k batches."""
    stored = snapshot(index)
    wanted: dict[str, dict] = {}
    for k in range(batches + 1):
        if set(stored) == set(wanted):
            for article_id, article in stored.items():
                assert article == wanted[article_id], article_id
            return k
        if k < batches:
            wanted |= {a.id: attrs.asdict(a) for a in articles(f"{prefix}-{k}", size)}
    raise AssertionError(f"not a whole number of batches: {len(stored)} articles")


@pytest.mark.slow
@pytest.mark.parametrize("procs", [1, 2], ids=["one-process", "two-processes"])
def test_killed_imports_keep_the_last_commit(tmp_path, spawn, soak, procs):
    """SIGKILL at random points leaves exactly the last commit; the rerun completes the set."""
    rng = random.Random(SEED)
    index = tmp_path / "index"
    NewsIndex.create(index).close()
    batches, size = 3, 300
    rounds = 25 if soak else 3
    for round_ in range(rounds):
        worker = spawn("batches", index, "k", batches, size, procs)
        wait = rng.randrange(-1, batches - 1)  # -1: kill during the first commit
        line = worker.wait_for("ready" if wait < 0 else f"committed {wait}")
        assert not line.startswith("error"), line
        time.sleep(rng.uniform(0, 0.5))
        worker.kill()
        assert_no_processes_left(index)
        with NewsIndex.open(index) as news:  # it opens, and answers
            assert news.search("reliability").total == len(news)
        k = committed_batches(index, "k", batches, size)
        assert k >= wait + 1, f"round {round_}, seed {SEED}: lost a reported commit"
    worker = spawn("batches", index, "k", batches, size, procs)
    assert worker.finish() == 0, worker.lines
    assert committed_batches(index, "k", batches, size) == batches
    assert_tidy(index)


@pytest.mark.slow
@pytest.mark.skipif(not LINUX_PROC, reason="finds the worker processes through /proc")
def test_killed_worker_process_fails_the_import(base_index, spawn):
    """If a worker of a parallel import dies, the import fails and commits nothing."""
    before = snapshot(base_index)
    holder = spawn("hold", base_index, "hw", 3_000, 2, stdin=True)
    holder.wait_for("holding")
    workers = children_of(holder.pid)
    assert len(workers) == 1  # two processes: the importer itself and one worker
    os.kill(workers[0], signal.SIGKILL)
    holder.send_line()
    line = holder.wait_for("added")
    assert line.startswith("error IndexWriteError: Writing to the index at "), line
    assert "nothing was changed" in line
    assert holder.finish() == 1
    assert_no_processes_left(base_index)
    assert snapshot(base_index) == before
    with NewsIndex.open(base_index) as news:
        assert news.add(articles("after", 700), procs=2) == 700
    assert len(snapshot(base_index)) == 900
    assert_tidy(base_index)


@pytest.mark.slow
@pytest.mark.skipif(not LINUX_PROC, reason="finds the worker processes through /proc")
def test_killed_parallel_writer_leaves_no_workers_and_no_lock(base_index, spawn):
    """Killing a parallel import's parent ends its workers and frees the lock at once."""
    before = snapshot(base_index)
    holder = spawn("hold", base_index, "hk", 3_000, 2, stdin=True)
    holder.wait_for("holding")
    assert len(children_of(holder.pid)) == 1
    holder.kill()
    assert_no_processes_left(base_index)
    with NewsIndex.open(base_index, lock_timeout=5) as news:
        assert snapshot(base_index) == before
        assert news.add(articles("next", 10)) == 10
    assert_tidy(base_index)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="patches forked workers")
def test_parallel_commit_counts_what_the_workers_wrote(empty_news, monkeypatch):
    """A worker that loses an article fails the commit: Whoosh's MpWriter would lose it silently."""
    real, parent = writer_module._Builder.add, os.getpid()

    def lose_the_fifth(self, fields):
        if os.getpid() != parent:  # only in the forked worker
            self.seen = getattr(self, "seen", 0) + 1
            if self.seen == 5:
                return
        real(self, fields)

    monkeypatch.setattr(writer_module._Builder, "add", lose_the_fifth)
    # the ten batches all wait in the queue, and the parent takes none back: the worker has them
    assert 2_000 // writer_module._BATCH <= workers_module._QUEUED_BATCHES
    monkeypatch.setattr(workers_module.Workers, "take_back", lambda self: iter(()))
    with pytest.raises(IndexWriteError) as info:
        empty_news.add(articles("drop", 2_000), procs=2)
    assert "an indexing worker indexed 1999 of 2000 articles" in str(info.value)
    assert len(empty_news) == 0
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="patches forked workers")
def test_parallel_commit_counts_the_batches_the_workers_took(empty_news, monkeypatch):
    """A worker that loses a whole batch fails the commit, though its documents add up."""
    real, parent = writer_module._Builder.add_batch, os.getpid()

    def lose_the_third(self, number, batch):
        if os.getpid() != parent and number == 2:  # only in the forked worker
            return
        real(self, number, batch)

    monkeypatch.setattr(writer_module._Builder, "add_batch", lose_the_third)
    assert 2_000 // writer_module._BATCH <= workers_module._QUEUED_BATCHES
    monkeypatch.setattr(workers_module.Workers, "take_back", lambda self: iter(()))
    with pytest.raises(IndexWriteError) as info:
        empty_news.add(articles("drop", 2_000), procs=2)
    assert "an indexing worker lost a batch" in str(info.value)
    assert len(empty_news) == 0
    assert multiprocessing.active_children() == []


def test_failed_parallel_import_stops_its_workers(small_news):
    """An import that fails part way in two processes leaves no workers behind and no files."""
    before = snapshot(small_news.path)
    files = sorted(p.name for p in small_news.path.iterdir())

    def failing():
        yield from articles("fail", 1_000)
        raise RuntimeError("feed went away")

    with pytest.raises(RuntimeError, match="feed went away"):
        small_news.add(failing(), procs=2)
    assert multiprocessing.active_children() == []
    assert snapshot(small_news.path) == before
    assert sorted(p.name for p in small_news.path.iterdir()) == files


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), IndexWriteError),
        (OSError(errno.EIO, "Input/output error"), IndexWriteError),
        (PermissionError(errno.EACCES, "Permission denied"), IndexReadOnlyError),
    ],
)
def test_write_failure_midway_changes_nothing(small_news, monkeypatch, error, expected):
    """A disk error part way through an import is our error, commits nothing, frees the lock."""
    before = snapshot(small_news.path)
    calls = []

    def failing(self, **fields):
        calls.append(fields["id"])
        if len(calls) == 3:
            raise error
        return real(self, **fields)

    real = writer_module._SegmentBuilder.add_document
    monkeypatch.setattr(writer_module._SegmentBuilder, "add_document", failing)
    with pytest.raises(expected) as info:
        small_news.add(articles("disk", 10))
    if expected is IndexWriteError:
        assert str(info.value) == (
            f"Writing to the index at '{small_news.path}' failed ({error.strerror.lower()}) and "
            "nothing was changed: fix the cause and run the import again."
        )
    monkeypatch.undo()
    assert snapshot(small_news.path) == before
    with NewsIndex.open(small_news.path, lock_timeout=0) as other:
        assert other.add([Article(id="after", title="After the failure")]) == 1
    assert_tidy(small_news.path)


@pytest.mark.parametrize(
    "target",
    [(runs_module._ShortRecords, "add"), (postfile_module.ShortLists, "add")],
    ids=["writing-a-run", "joining-runs"],
)
def test_disk_full_in_runs_changes_nothing(small_news, monkeypatch, target):
    """A full disk while postings are written out in runs, or joined, commits nothing."""
    before = snapshot(small_news.path)
    monkeypatch.setattr(writer_module._SegmentBuilder, "full", property(lambda self: True))
    calls = []
    cls, name = target
    real = getattr(cls, name)

    def failing(self, *args, **options):
        calls.append(1)
        if len(calls) == 40:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **options)

    monkeypatch.setattr(cls, name, failing)
    with pytest.raises(IndexWriteError) as info:
        small_news.add(articles("runs", 10))
    assert str(info.value) == (
        f"Writing to the index at '{small_news.path}' failed (no space left on device) and "
        "nothing was changed: fix the cause and run the import again."
    )
    monkeypatch.undo()
    assert len(calls) == 40
    assert snapshot(small_news.path) == before
    assert_tidy(small_news.path)
    assert not (small_news.path / "MAIN.tmp").exists()
    assert small_news.add(articles("runs", 10)) == 10


def test_leftovers_of_dead_writers_are_removed(small_news):
    """Files a killed writer left (segments, a half-written table of contents, temp files) go."""
    folder = small_news.path
    (folder / "MAIN_0123456789abcdef.seg").write_bytes(b"half a segment")
    (folder / "_MAIN_99.toc.1700000000.5").write_bytes(b"never renamed")
    (folder / "MAIN.tmp").mkdir()
    (folder / "MAIN.tmp" / "run.ctmp").write_bytes(b"sort run")
    (folder / "notes.txt").write_text("not ours")
    assert small_news.add([Article(id="n", title="New article")]) == 1
    names = {p.name for p in folder.iterdir()}
    assert "notes.txt" in names
    (folder / "notes.txt").unlink()
    assert_tidy(folder)
    assert len(small_news) == 6


@pytest.mark.slow
def test_lock_dies_with_its_process(base_index, spawn):
    """The write lock is an OS lock: killing its holder frees it, with nothing to clean by hand."""
    before = snapshot(base_index)
    holder = spawn("hold", base_index, "dead", HOLD_AFTER + 1, 1, stdin=True)
    holder.wait_for("holding")
    with NewsIndex.open(base_index, lock_timeout=0) as news:
        with pytest.raises(IndexLockedError):
            news.add([Article(id="x", title="x")])
        holder.kill()
        assert news.add([Article(id="x", title="x")]) == 1
    assert set(snapshot(base_index)) == set(before) | {"x"}


# --- versions ---------------------------------------------------------------------------------


def set_version(index: Path, version: object) -> None:
    """Pretend another newsindex wrote the index."""
    (index / META_FILE).write_text(json.dumps({"schema_version": version}), encoding="utf-8")


def test_reindex_rebuilds_another_version(base_index):
    """`newsindex reindex` rebuilds an index of another schema version, keeping every article."""
    before = snapshot(base_index)
    set_version(base_index, 0)
    with pytest.raises(IndexVersionError, match="run 'newsindex reindex --index "):
        NewsIndex.open(base_index)
    result = CliRunner().invoke(main, ["reindex", "--index", str(base_index)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Rebuilt {base_index} with 200 articles.\n"
    with NewsIndex.open(base_index) as news:
        assert len(news) == 200
        assert news.search("reliability").total == 200
    assert snapshot(base_index) == before
    assert_tidy(base_index)


def test_lost_version_file_never_wipes_articles(base_index):
    """Without newsindex.json, open_or_create refuses, keeping the articles; reindex adopts them."""
    before = snapshot(base_index)
    (base_index / META_FILE).unlink()
    with pytest.raises(IndexVersionError, match="has schema version unknown"):
        NewsIndex.open_or_create(base_index)
    assert snapshot(base_index) == before
    assert NewsIndex.reindex(base_index) == 200
    with NewsIndex.open(base_index) as news:
        assert len(news) == 200


def test_reindex_without_an_index(tmp_path):
    """`newsindex reindex` on a folder without an index is exit 1 with one `Error:` line."""
    result = CliRunner().invoke(main, ["reindex", "--index", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No index at '{tmp_path}': run 'newsindex index FILES --index {tmp_path}' first.\n"
    )


def test_reindex_from_an_older_schema(tmp_path):
    """Articles stored under a schema with other fields come back whole under this one."""
    from whoosh import fields
    from whoosh import index as whoosh_index

    folder = tmp_path / "old"
    folder.mkdir()
    old_schema = fields.Schema(
        id=fields.ID(unique=True, stored=True),
        title=fields.TEXT(stored=True),
        body=fields.TEXT(stored=True),
        legacy_score=fields.NUMERIC(stored=True),
    )
    with whoosh_index.create_in(str(folder), old_schema).writer() as writer:
        writer.add_document(id="a1", title="Harbour reopens", body="Ferries run.", legacy_score=3)
        writer.add_document(id="a2", title="Budget passes", body="", legacy_score=1)
    set_version(folder, 0)
    assert NewsIndex.reindex(folder) == 2
    with NewsIndex.open(folder) as news:
        assert news.get("a1") == Article(id="a1", title="Harbour reopens", body="Ferries run.")
        assert [hit.id for hit in news.search("ferry").hits] == ["a1"]
        assert news.search("date:[* TO *]").total == 0


def test_interrupted_reindex_leaves_the_old_index(base_index, monkeypatch):
    """A reindex that fails part way leaves the old index whole; the next one succeeds."""
    before = snapshot(base_index)
    set_version(base_index, 0)
    real, calls = transactions.to_document, []

    def failing(article):
        calls.append(article.id)
        if len(calls) == 150:
            raise KeyboardInterrupt
        return real(article)

    monkeypatch.setattr(transactions, "to_document", failing)
    with pytest.raises(KeyboardInterrupt):
        NewsIndex.reindex(base_index)
    with pytest.raises(IndexVersionError):
        NewsIndex.open(base_index)
    assert snapshot(base_index) == before
    assert_tidy(base_index)
    monkeypatch.setattr(transactions, "to_document", real)
    assert NewsIndex.reindex(base_index) == 200
    assert snapshot(base_index) == before


# --- read-only folders ------------------------------------------------------------------------


def _chattr(flag: str, path: Path) -> bool:
    chattr = shutil.which("chattr")
    if not chattr:
        return False
    done = subprocess.run([chattr, flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """Make ``folder`` unwritable for this process, really: by mode, or (as root) immutable."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield "mode 555"
        finally:
            folder.chmod(0o755)
    elif _chattr("+i", folder):
        try:
            yield "chattr +i"
        finally:
            _chattr("-i", folder)
    else:
        pytest.skip("root without chattr +i here; test_read_only_mount covers it if unshare can")


def check_read_only(news: NewsIndex, folder: Path, source: Path) -> None:
    """Searching works; every kind of write is IndexReadOnlyError with the same message."""
    message = (
        f"The index at '{folder}' is read-only: searching works, but adding or deleting "
        "needs write permission on the folder."
    )
    assert news.search("reliability").total == 200
    assert news.get("old-000007") == make_article("old", 7)
    assert news.stats().articles == 200
    for write in (
        lambda: news.add([Article(id="x", title="x")]),
        lambda: news.add(articles("y", 300), procs=2),
        lambda: news.add_files([source]),
        lambda: news.delete(["old-000007"]),
        lambda: NewsIndex.reindex(folder),
    ):
        with pytest.raises(IndexReadOnlyError) as info:
            write()
        assert str(info.value) == message


def test_read_only_folder(base_index):
    """A read-only index folder can be searched; writes give IndexReadOnlyError, CLI exit 1."""
    source = base_index.parent / "more.jsonl"
    source.write_text(json.dumps({"id": "ro", "title": "Read-only"}) + "\n")
    files = sorted(p.name for p in base_index.iterdir())
    with read_only(base_index), NewsIndex.open(base_index) as news:
        check_read_only(news, base_index, source)
        result = CliRunner().invoke(main, ["index", str(source), "--index", str(base_index)])
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: The index at '{base_index}' is read-only: ")
        assert result.stderr.count("\n") == 1
        search = CliRunner().invoke(main, ["search", "reliability", "--index", str(base_index)])
        assert search.exit_code == 0
    assert sorted(p.name for p in base_index.iterdir()) == files


_READ_ONLY_CHECK = """
import sys
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from newsindex import NewsIndex
from test_reliability import check_read_only
folder = Path(sys.argv[1])
with NewsIndex.open(folder) as news:
    check_read_only(news, folder, Path(sys.argv[2]))
print("checked")
"""


def test_read_only_mount(base_index):
    """On a read-only bind mount (even as root) search works and writes are IndexReadOnlyError."""
    unshare = shutil.which("unshare")
    if not unshare or not sys.platform.startswith("linux"):
        pytest.skip("needs Linux unshare for a private read-only bind mount")
    source = base_index.parent / "more.jsonl"
    source.write_text(json.dumps({"id": "ro", "title": "Read-only"}) + "\n")
    script = base_index.parent / "check.py"
    script.write_text(_READ_ONLY_CHECK)
    folder = str(base_index)
    mount = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}"
    command = [unshare, "--map-root-user", "--mount", "sh", "-c", f'{mount} && exec "$@"', "sh"]
    probe = subprocess.run([*command, "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"no private read-only mount here: {probe.stderr.strip()[:200]}")
    command += [sys.executable, str(script), folder, str(source), str(Path(__file__).parent)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "checked\n"
