"""What the impacts save: one index searched with its impacts read and with them read as
absent (as for an index written without them), query by query, interleaved.

The answers of both (totals, ids, scores, snippets and highlights) are compared, then each
query runs with impacts on and off in turn, in a shuffled order per pass, and p50 / p95 / p99
ms are printed per kind for each mode. Impacts are the per-block figures that bound a body
word's BM25 score and locate its blocks; without them a word's first page is bounded by the
block headers and every block in between is found by walking them.

    python -m benchmarks.probes.ab_impacts --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json --kinds word,title,sorted

Imports of newsindex internals: ``newsindex.engines.whoosh.codec.impacts.read_impacts``
(swapped wherever the engine binds it).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Sequence

from benchmarks.probes import _harness as harness
from newsindex.engines.whoosh.codec.impacts import read_impacts


def _absent(_reader, _term):
    return None


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("ab_impacts", __doc__)
    harness.add_index_options(parser, kinds=("word", "title"))
    parser.add_argument("--passes", type=int, default=3, help="Interleaved passes [3].")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    queries = harness.queries_of(args)
    modes = {
        "impacts on": contextlib.nullcontext,
        "impacts off": lambda: harness.swapped(read_impacts, _absent),
    }
    with harness.open_index(args) as index:
        harness.compare_modes(index, queries, modes, passes=args.passes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
