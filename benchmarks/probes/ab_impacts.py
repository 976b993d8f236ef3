"""What the impacts save: one index searched with its impacts read and with them read as
absent (as for an index written without them), query by query, interleaved.

The answers of both (totals, ids, scores and snippets) are compared, then p50 / p95 / p99
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
import time
from collections.abc import Sequence

from benchmarks.probes._harness import (
    add_index_options,
    open_index,
    percentile,
    queries_of,
    search,
    swapped,
)
from newsindex.engines.whoosh.codec.impacts import read_impacts


def _absent(_reader, _term):
    return None


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probes.ab_impacts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_index_options(parser, kinds=("word", "title"))
    parser.add_argument("--passes", type=int, default=3, help="Interleaved passes [3].")
    return parser.parse_args(argv)


def _mode(name: str) -> contextlib.AbstractContextManager:
    return contextlib.nullcontext() if name == "on" else swapped(read_impacts, _absent)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    queries = queries_of(args)
    modes = ("on", "off")
    by_kind: dict[tuple[str, str], list[float]] = {}
    same = True
    with open_index(args) as index:
        for mode in modes:  # warm both
            with _mode(mode):
                for query in queries:
                    search(index, query)
        for number in range(args.passes):
            order = modes if number % 2 == 0 else modes[::-1]
            for query in queries:
                answers = {}
                for mode in order:
                    with _mode(mode):
                        start = time.perf_counter()
                        found = search(index, query)
                        spent = (time.perf_counter() - start) * 1000
                    by_kind.setdefault((query.kind, mode), []).append(spent)
                    answers[mode] = (found.total, [(h.id, h.score, h.snippet) for h in found.hits])
                same &= answers["on"] == answers["off"]
    for kind in dict.fromkeys(query.kind for query in queries):
        cells = []
        for mode in modes:
            ms = sorted(by_kind[kind, mode])
            cells.append(
                f"impacts {mode} "
                + " / ".join(f"{percentile(ms, p):.2f}" for p in (0.5, 0.95, 0.99))
            )
        print(f"{kind}: " + " | ".join(cells))
    print("same answers:", same)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
