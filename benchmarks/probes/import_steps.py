"""An import's writing steps, each timed in place: a one-process import with a timer around
the functions that analyse the documents and write the segment.

Timers nest: "writing the segment" holds the steps after it, "adding documents" holds
"analysis and positions", and a short list's one call (its block and its term entry) holds
its header figures when it has two postings or more. A timer costs
about 0.3 µs a call. CPU seconds, so
a busy machine moves them less than wall time. For where the rest of adding a document
goes, sample it with py-spy, a profiler outside the project
(``py-spy record -r 250 -f raw -o out.txt -- python -m benchmarks.probes.import_steps``).

    python -m benchmarks.probes.import_steps --corpus wikinews/articles.jsonl

Imports of newsindex internals: ``newsindex.engines.whoosh.writer`` (``_SegmentBuilder``
and its ``add_document`` and ``_flush_segment``, ``_positions``) and
``newsindex.engines.whoosh.codec.postfile`` (``ShortLists.add``, ``BlockWriter._put_block``,
``add_postings``, ``block_figures``, ``block_stats``);
from Whoosh, ``W3FieldWriter.finish_term`` and ``OrderedHashWriter.add`` (the term table).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import time
from collections.abc import Callable, Sequence

from whoosh.codec import whoosh3
from whoosh.filedb import filetables

from benchmarks.probes import _harness as harness
from newsindex.engines.whoosh import writer
from newsindex.engines.whoosh.codec import postfile

spent: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()


def _timer(function: Callable, label: str | Callable[..., str]) -> Callable:
    """``function`` adding its CPU time to ``spent[label]`` (``label`` may depend on the
    arguments)."""

    @functools.wraps(function)
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            name = label(*args) if callable(label) else label
            spent[name] += time.process_time() - start
            calls[name] += 1

    return timed


def _short_label(_self, _btext, docnums, *_args) -> str:
    size = "1 posting" if len(docnums) == 1 else "2+ postings"
    return f"  short lists (one block each), {size}"


METHODS = (
    (writer._SegmentBuilder, "add_document", "adding documents"),
    (writer._SegmentBuilder, "_flush_segment", "writing the segment"),
    (postfile.ShortLists, "add", _short_label),
    (postfile.BlockWriter, "_put_block", "  encoding and writing a block (long lists)"),
    (whoosh3.W3FieldWriter, "finish_term", "  long lists: their term entries"),
    (filetables.OrderedHashWriter, "add", "  term table, long lists"),
)
"""Methods timed: (class, name, label)."""

FUNCTIONS = (
    (writer._positions, "  analysis and positions"),
    (postfile.add_postings, "  long lists: filling their blocks"),
    (postfile.block_figures, "  impacts' figures"),
    (postfile.block_stats, "  block header figures (lists of 2+ postings)"),
)
"""Module-level functions timed wherever newsindex binds them: (function, label)."""


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("import_steps", __doc__)
    harness.add_import_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    articles = harness.load_articles(args)
    with contextlib.ExitStack() as stack:
        for owner, name, label in METHODS:
            original = getattr(owner, name)
            setattr(owner, name, _timer(original, label))
            stack.callback(setattr, owner, name, original)
        for function, label in FUNCTIONS:
            stack.enter_context(harness.swapped(function, _timer(function, label)))
        index = stack.enter_context(harness.scratch_index())
        start = time.process_time()
        index.add(articles, procs=1, memory_mb=args.memory_mb)
        total = time.process_time() - start
    print(f"{len(articles):,} articles in one process: {total:.2f} CPU s")
    width = max(map(len, spent), default=0)
    for label, seconds in spent.most_common():
        print(f"{label:{width}} {seconds:6.2f} s {seconds / total:4.0%} {calls[label]:8,} calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
