"""What a query's blocks cost alone: per query, its time (best of five), and the time to
decode again only the blocks it decoded, the same way (with or without position values, as
it read them), with nothing else: no matching, scoring, dicts or snippets.

Prints, per kind, the query at the kind's 95th percentile with both times, and the three
slowest. The share the blocks take is the part of a query no code around them can remove
without a change of format.

    python -m benchmarks.probes.floor_blocks --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json --kinds words,phrase,deep

Imports of newsindex internals: ``newsindex.engines.whoosh.codec.blocks`` (``block``,
swapped for a spy wherever the engine binds it, ``place`` and ``block_at``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from benchmarks.probes._harness import add_index_options, open_index, queries_of, search, swapped
from newsindex.engines.whoosh.codec.blocks import block, block_at, place


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probes.floor_blocks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_index_options(parser, kinds=("words", "phrase", "deep"))
    parser.add_argument("--runs", type=int, default=5, help="Runs per query; the best counts [5].")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    queries = queries_of(args)
    record: list[tuple] = []

    def spy(matcher, *, values: bool = False):
        where = place(matcher)
        found = block(matcher, values=values)
        record.append((matcher, where, values, len(found[0])))
        return found

    with open_index(args) as index:
        for kind in dict.fromkeys(query.kind for query in queries):
            rows = []
            for query in (query for query in queries if query.kind == kind):
                now = float("inf")
                for _ in range(args.runs):
                    start = time.perf_counter()
                    search(index, query)
                    now = min(now, time.perf_counter() - start)
                record.clear()
                with swapped(block, spy):  # block_at reads through it too
                    search(index, query)
                read = list(record)
                alone = float("inf")
                for _ in range(args.runs):
                    start = time.perf_counter()
                    for matcher, where, values, _count in read:
                        block_at(matcher, where, values=values)
                    alone = min(alone, time.perf_counter() - start)
                postings = sum(row[3] for row in read)
                rows.append((now * 1000, alone * 1000, len(read), postings, query.label()))
            rows.sort()
            at = rows[round(0.95 * (len(rows) - 1))]
            print(
                f"{kind}: the 95th-percentile query {at[4]!r}: {at[0]:.1f} ms, its blocks alone "
                f"{at[1]:.1f} ms ({at[1] / at[0]:.0%})"
            )
            for row in rows[-3:]:
                print(
                    f"  {row[0]:6.1f} ms, blocks alone {row[1]:6.1f} ms, {row[2]:,} blocks, "
                    f"{row[3]:,} postings: {row[4]}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
