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
from collections.abc import Sequence

from benchmarks.probes import _harness as harness
from newsindex.engines.whoosh.codec.blocks import block, block_at, place


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("floor_blocks", __doc__)
    harness.add_index_options(parser, kinds=("words", "phrase", "deep"))
    parser.add_argument("--runs", type=int, default=5, help="Runs per query; the best counts [5].")
    return parser.parse_args(argv)


def decode_again(read: list[tuple]) -> None:
    """Each block of ``read`` (as the spy records them) decoded again, the same way."""
    for matcher, where, values, _count in read:
        block_at(matcher, where, values=values)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    queries = harness.queries_of(args)
    record: list[tuple] = []

    def spy(matcher, *, values: bool = False):
        where = place(matcher)
        found = block(matcher, values=values)
        record.append((matcher, where, values, len(found[0])))
        return found

    with harness.open_index(args) as index:
        for kind in dict.fromkeys(query.kind for query in queries):
            rows = []
            for query in (query for query in queries if query.kind == kind):
                now, _found = harness.best_of(args.runs, harness.search, index, query)
                record.clear()
                with harness.swapped(block, spy):  # block_at reads through it too
                    harness.search(index, query)
                read = list(record)
                alone, _none = harness.best_of(args.runs, decode_again, read)
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
