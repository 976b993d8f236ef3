"""Processes the reliability tests start, kill and race: ``python tests/_workers.py COMMAND ...``.

Each command opens an index through the public API and reports on stdout, one line per event,
so a test can wait for a point in the import before it signals or kills the process:

- ``batches INDEX PREFIX BATCHES SIZE PROCS``: print ``ready``, wait for a line on stdin (none
  when stdin is not a pipe), then import ``BATCHES`` commits of ``SIZE`` generated articles
  (ids ``PREFIX-<batch>-<n>``), printing ``committed <batch>`` after each.
- ``add INDEX PREFIX COUNT PROCS LOCK_TIMEOUT``: one commit of ``COUNT`` generated articles.
- ``hold INDEX PREFIX COUNT PROCS``: start a commit of ``COUNT`` articles, print ``holding``
  once the first ``HOLD_AFTER`` are in the writer (the write lock held, workers started),
  wait for a line on stdin, then finish.
- ``import INDEX PROCS FILE...``: ``add_files`` (``PROCS`` may be ``auto``), printing progress.

A ``NewsIndexError`` ends the process with ``error <ClassName>: <message>`` and exit status 1.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator

from newsindex import Article, NewsIndex, NewsIndexError

HOLD_AFTER = 300
"""Articles a ``hold`` command puts in its writer before it waits (over two worker batches)."""

_VOCABULARY = (
    "ceasefire talks minister harbour ferry strike budget election glacier summit refugees "
    "parliament coalition sanctions inflation drought vaccine border treaty protest court "
    "council airport railway storm flood market energy pipeline satellite museum festival"
)
_WORDS = tuple(_VOCABULARY.split())


def make_article(prefix: str, n: int) -> Article:
    """The ``n``-th generated article of a series: same inputs, same article, in any process."""
    rng = random.Random(f"{prefix}:{n}")
    words = [rng.choice(_WORDS) for _ in range(40)]
    return Article(
        id=f"{prefix}-{n:06d}",
        title=f"{prefix} report {n}: {words[0]} and {words[1]}",
        body=" ".join(["reliability", *words]),
        published=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00Z",
        source="Worker Wire",
    )


def articles(prefix: str, count: int) -> Iterator[Article]:
    """A series of generated articles."""
    return (make_article(prefix, n) for n in range(count))


def _say(line: str) -> None:
    print(line, flush=True)


def _batches(index: str, prefix: str, batches: str, size: str, procs: str) -> None:
    with NewsIndex.open_or_create(index, lock_timeout=60) as news:
        _say("ready")
        sys.stdin.readline()  # the test's go-ahead, if it holds the other end
        for batch in range(int(batches)):
            news.add(articles(f"{prefix}-{batch}", int(size)), procs=int(procs))
            _say(f"committed {batch}")


def _add(index: str, prefix: str, count: str, procs: str, lock_timeout: str) -> None:
    with NewsIndex.open_or_create(index, lock_timeout=float(lock_timeout)) as news:
        _say("ready")
        _say(f"added {news.add(articles(prefix, int(count)), procs=int(procs))}")


def _hold(index: str, prefix: str, count: str, procs: str) -> None:
    def held() -> Iterator[Article]:
        for n, article in enumerate(articles(prefix, int(count))):
            if n == HOLD_AFTER:
                _say("holding")
                sys.stdin.readline()
            yield article

    with NewsIndex.open(index, lock_timeout=60) as news:
        _say(f"added {news.add(held(), procs=int(procs))}")


def _import(index: str, procs: str, *files: str) -> None:
    chosen = None if procs == "auto" else int(procs)
    with NewsIndex.open_or_create(index, lock_timeout=60) as news:
        summary = news.add_files(files, procs=chosen, progress=lambda n: _say(f"progress {n}"))
        _say(f"added {summary.added}")


COMMANDS = {"batches": _batches, "add": _add, "hold": _hold, "import": _import}


def main(argv: list[str]) -> int:
    """Run one command; exit status 1 with one line on a ``NewsIndexError``."""
    try:
        COMMANDS[argv[0]](*argv[1:])
    except NewsIndexError as exc:
        _say(f"error {type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
