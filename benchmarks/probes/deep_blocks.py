"""Why a deep page scores most of a word's blocks: for page N of a word (the (N·10)th best
score), how many of its body blocks hold a document scoring at least that much, judged by
each block's exact best score, which no stored bound can beat.

    python -m benchmarks.probes.deep_blocks year state one years people \\
        --index WORK/scale-16/newsindex

Every block that holds such a document must be decoded and scored by any exact evaluation,
so the share printed is the least that block-max skipping could leave.

Imports of newsindex internals: ``newsindex.engines.whoosh.accumulate`` (``segment_scores``,
``term_at_a_time_context``, ``matcher_size``) and
``newsindex.engines.whoosh.postings.posting_blocks``; through the harness's
``compiled_query``, ``newsindex.engines.whoosh.pruning.top_documents`` (swapped for a spy
that keeps the query the search compiled).
"""

from __future__ import annotations

import argparse
import heapq
from collections.abc import Sequence

from benchmarks.probes import _harness as harness
from benchmarks.queries import DEEP_PAGE, PAGE_SIZE
from newsindex.engines.whoosh.accumulate import (
    matcher_size,
    segment_scores,
    term_at_a_time_context,
)
from newsindex.engines.whoosh.postings import posting_blocks


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("deep_blocks", __doc__)
    parser.add_argument("words", nargs="+", help="Words to look at, e.g. year state one.")
    parser.add_argument("--page", type=int, default=DEEP_PAGE, help=f"The page [{DEEP_PAGE}].")
    harness.add_index_options(parser, queries=False)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    with harness.open_index(args) as index:
        searcher = harness.own_searcher(index)
        context = term_at_a_time_context(searcher)
        for word in args.words:
            query = harness.compiled_query(index, word, page=args.page)
            found = segment_scores(searcher, query) if query is not None else None
            if found is None:
                print(f"{word}: not evaluated term at a time")
                continue
            scores = [score for _offset, _reader, per in found for score in per.values()]
            if len(scores) < args.page * PAGE_SIZE:
                print(f"{word}: {len(scores):,} matches, fewer than page {args.page} needs")
                continue
            threshold = heapq.nlargest(args.page * PAGE_SIZE, scores)[-1]
            total = holding = 0
            for (sub, _offset), (_o, reader, per) in zip(
                searcher.leaf_searchers(), found, strict=True
            ):
                matcher = query.matcher(sub, context)  # the title and body terms' union
                sides = (getattr(matcher, "a", None), getattr(matcher, "b", None))
                body = max(sides, key=matcher_size) if all(sides) else matcher
                body = getattr(body, "child", body)  # past the deleted-documents filter
                for docnums, _weights in posting_blocks(body, reader=reader):
                    total += 1
                    holding += max(per[d] for d in docnums) >= threshold
            print(
                f"{word}: {len(scores):,} matches; {holding} of the body's {total} blocks "
                f"({holding / max(total, 1):.0%}) hold a document scoring at least the "
                f"{args.page * PAGE_SIZE}th best"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
