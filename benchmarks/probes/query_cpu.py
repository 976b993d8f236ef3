"""Each query's CPU time, best of five, by kind: p50 / p95 / p99 and the slowest queries.

CPU time (``time.process_time``) rather than wall time: on a machine shared with other jobs it
drifts much less, so two versions of the code can be compared in runs made one after the
other. The benchmark's own latency figures are wall times (``python -m benchmarks``).

    python -m benchmarks.probes.query_cpu --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json --kinds phrase,words
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from benchmarks.probes import _harness as harness
from benchmarks.queries import KINDS


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("query_cpu", __doc__)
    harness.add_index_options(parser, kinds=KINDS)
    parser.add_argument("--runs", type=int, default=5, help="Runs per query; the least counts [5].")
    parser.add_argument("--slowest", type=int, default=10, help="Slowest queries listed [10].")
    return parser.parse_args(argv)


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[round(share * (len(ordered) - 1))]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    queries = harness.queries_of(args)
    timed: list[tuple[float, str, str]] = []
    with harness.open_index(args) as index:
        for query in queries:  # a warm-up pass: the first search of a word reads its entry
            harness.search(index, query)
        for query in queries:
            least = float("inf")
            for _run in range(args.runs):
                start = time.process_time()
                harness.search(index, query)
                least = min(least, time.process_time() - start)
            timed.append((least * 1000, query.kind, query.label()))
    for kind in dict.fromkeys(kind for _ms, kind, _label in timed):
        ordered = sorted(ms for ms, of, _label in timed if of == kind)
        print(
            f"{kind:8} p50 {_percentile(ordered, 0.5):6.1f}  p95 {_percentile(ordered, 0.95):6.1f}"
            f"  p99 {_percentile(ordered, 0.99):6.1f} ms CPU ({len(ordered)} queries)"
        )
    for ms, kind, label in sorted(timed, reverse=True)[: args.slowest]:
        print(f"  {ms:6.1f} ms  {kind:8} {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
