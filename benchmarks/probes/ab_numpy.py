"""What NumPy scoring (the ``fast`` extra) saves: one index searched with it and with Python's
scoring, query by query, interleaved.

The answers of both (totals, ids, scores, snippets and highlights) are compared, then each
query runs in both modes in turn, in a shuffled order per pass, and p50 / p95 / p99 ms are
printed per kind for each mode. NumPy scores the queries that block bounds do not take (several
words, pages past the hundredth result, date ranges wider than their words); the others run
the same code in both modes.

    python -m benchmarks.probes.ab_numpy --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json --kinds words,deep

Imports of newsindex internals: ``newsindex.engines.whoosh.collect.fast_paths`` (the switch the
tests use) and ``newsindex.engines.whoosh.dense.available``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

from benchmarks.probes import _harness as harness
from benchmarks.queries import KINDS
from newsindex.engines.whoosh.collect import fast_paths
from newsindex.engines.whoosh.dense import available


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("ab_numpy", __doc__)
    harness.add_index_options(parser, kinds=KINDS)
    parser.add_argument("--passes", type=int, default=3, help="Interleaved passes [3].")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if not available():
        print("ab_numpy: NumPy is not installed (pip install -e '.[fast]')", file=sys.stderr)
        return 2
    queries = harness.queries_of(args)
    modes = {
        "numpy": contextlib.nullcontext,
        "python": lambda: fast_paths(numpy=False),
    }
    with harness.open_index(args) as index:
        harness.compare_modes(index, queries, modes, passes=args.passes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
