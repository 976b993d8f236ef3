"""Where a one-process import spends its time: cProfile over ``NewsIndex.add(articles,
procs=1)``, with a summary by stage.

The import runs in one process because cProfile cannot see into worker processes; the
articles are read before the profiler starts. The profiler roughly doubles the time, most for
the functions called most often, so read the shares, on a quiet machine (it counts wall time);
``import_steps`` times the writing steps in CPU seconds with less overhead. The stages are the
cumulative time of the functions that do them, nested: "adding documents" holds "analysis and
positions".

    python -m benchmarks.probes.import_profile --corpus wikinews/articles.jsonl

Internals named (as strings, to find them in the profile): ``_positions``,
``add_document``, ``_flush_segment``, ``spill``, ``join_runs`` and ``write_impacts`` of the
Whoosh engine's writer and codec; nothing is imported but the public API.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.probes import _harness as harness

STAGES = {
    "adding documents": "add_document",
    "  analysis and positions": "_positions",
    "postings written out as runs": "spill",
    "writing the segment": "_flush_segment",
    "  joining the runs": "join_runs",
    "  the impacts file": "write_impacts",
}
"""Stage label -> the function whose cumulative time it is (a newsindex one of that name)."""


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("import_profile", __doc__)
    harness.add_import_options(parser)
    parser.add_argument(
        "--top", type=int, default=25, help="Functions listed by own and by cumulative time [25]."
    )
    return parser.parse_args(argv)


def stage_times(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each of :data:`STAGES`' functions (newsindex's, by name)."""
    found = dict.fromkeys(STAGES, 0.0)
    for (path, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        if "newsindex" not in Path(path).parts:
            continue
        for label, function in STAGES.items():
            if name == function:
                found[label] += cumulative
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    articles = harness.load_articles(args)
    with harness.scratch_index() as index:
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        index.add(articles, procs=1, memory_mb=args.memory_mb)
        profiler.disable()
        spent = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    print(f"{len(articles):,} articles in one process: {spent:.1f} s under the profiler")
    for label, seconds in stage_times(stats).items():
        print(f"{label:32} {seconds:7.2f} s {seconds / spent:5.0%}")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
