"""Where each query kind spends its time: per kind, the median search without the profiler,
then cProfile over the kind's queries and the share of four stages.

The stages: decoding posting blocks (the query layer's block reader, and Whoosh's own
where it reads a block whole), BM25 over a block's postings, building Whoosh matchers (for
newsindex's own evaluation), and snippets. The rest is combining scores, taking the top,
reading stored fields and parsing. The profiler counts wall time and slows most the functions
called most often: read the shares, from a quiet machine.

    python -m benchmarks.probes.query_profile --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json

Internals named (as strings, to find them in the profile): ``ids_and_weights`` in the
codec's ``blocks.py``, Whoosh's ``_read_data``, ``scores`` in the engine's ``ranking.py``,
``make_snippet`` in its ``snippets.py``, and any ``matcher`` method called from newsindex;
nothing is imported but the public API.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.probes import _harness as harness

_Function = tuple[str, int, str]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("query_profile", __doc__)
    harness.add_index_options(parser, kinds=harness.KINDS)
    parser.add_argument(
        "--passes", type=int, default=3, help="Profiled passes over each kind's queries [3]."
    )
    parser.add_argument(
        "--top", type=int, default=0, help="Also list each kind's N costliest functions [0]."
    )
    return parser.parse_args(argv)


def _is(function: _Function, file: str, name: str) -> bool:
    return function[2] == name and Path(function[0]).name == file


def _ours(function: _Function) -> bool:
    return "newsindex" in Path(function[0]).parts


def stage_shares(stats: pstats.Stats) -> dict[str, float]:
    """Each stage's cumulative time as a share of the whole."""
    decoding = bm25 = building = snippets = 0.0
    for function, (_cc, _nc, _tt, cumulative, callers) in stats.stats.items():
        if _is(function, "blocks.py", "ids_and_weights"):
            decoding += cumulative  # Whoosh's _read_data inside it is counted here
        elif _is(function, "whoosh3.py", "_read_data"):
            decoding += sum(
                figures[3]
                for caller, figures in callers.items()
                if not _is(caller, "blocks.py", "ids_and_weights")
            )
        elif _is(function, "ranking.py", "scores"):
            bm25 += cumulative
        elif _is(function, "snippets.py", "make_snippet"):
            snippets += cumulative
        elif function[2] == "matcher":  # built by newsindex, not by another matcher method
            building += sum(
                figures[3]
                for caller, figures in callers.items()
                if _ours(caller) and caller[2] != "matcher"
            )
    total = stats.total_tt or 1.0
    return {
        "decoding blocks": decoding / total,
        "BM25": bm25 / total,
        "building matchers": building / total,
        "snippets": snippets / total,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    queries = harness.queries_of(args)
    with harness.open_index(args) as index:
        for query in queries:  # opens the readers and fills the caches
            harness.search(index, query)
        print("| kind | p50 ms | decoding blocks | BM25 | building matchers | snippets |")
        print("|---|---:|---:|---:|---:|---:|")
        for kind in dict.fromkeys(query.kind for query in queries):
            chosen = [query for query in queries if query.kind == kind]
            times = []
            for query in chosen:
                start = time.perf_counter()
                harness.search(index, query)
                times.append(time.perf_counter() - start)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.passes):
                for query in chosen:
                    harness.search(index, query)
            profiler.disable()
            stats = pstats.Stats(profiler)
            shares = stage_shares(stats)
            cells = " | ".join(f"{share:.0%}" for share in shares.values())
            print(f"| {kind} | {statistics.median(times) * 1000:.1f} | {cells} |", flush=True)
            if args.top:
                stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
