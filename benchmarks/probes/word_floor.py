"""The floor of a single-word query: per query, the time only to decode every id and weight
of its word's title and body postings (as the query layer decodes them, without the
position values) and to score them with BM25: no dicts, no top list, no snippet.

For the benchmark kinds whose query is one word (``word``, ``sorted``, ``deep``, ``date``;
the date range is left out), the best of three per query: the floor's p50 and p95 per kind,
how many queries pass 10 ms on the floor alone, and the decoding cost per posting (median
over words of more than 1,000 postings). An exact total needs every id, and an exact page of
hits every score unless blocks are skipped by their best possible score.

    python -m benchmarks.probes.word_floor --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json

Imports of newsindex internals: ``newsindex.engines.whoosh.codec.blocks.block``; it also
reads the Whoosh matcher's ``child``, ``_next_block`` and ``is_active`` and uses the
searcher's weighting's ``scorer(...).scores``.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence

from benchmarks.probes import _harness as harness
from newsindex import analyze
from newsindex.engines.whoosh.codec.blocks import block


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("word_floor", __doc__)
    harness.add_index_options(parser, kinds=("word", "sorted", "deep", "date"))
    parser.add_argument("--runs", type=int, default=3, help="Runs per word; the best counts [3].")
    return parser.parse_args(argv)


def read_word(searcher, term: bytes, *, score: bool) -> int:
    """Decode (and with ``score``, score) every block of ``term`` in title and body; returns
    the number of postings."""
    count = 0
    for sub, reader, field in harness.field_readers(searcher):
        if (field, term) not in reader:
            continue
        matcher = reader.postings(field, term)
        matcher = getattr(matcher, "child", matcher)  # past the deleted-documents filter
        scorer = searcher.weighting.scorer(sub, field, term) if score else None
        while matcher.is_active():
            docnums, weights = block(matcher)
            if scorer is not None:
                scorer.scores(docnums, weights)
            count += len(docnums)
            matcher._next_block()
    return count


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    queries = harness.queries_of(args)
    per_posting: list[float] = []
    rows: dict[str, list[tuple[float, int, str]]] = {}
    with harness.open_index(args) as index:
        searcher = harness.own_searcher(index)
        for query in queries:
            terms = analyze(query.words[0])
            if not terms:
                continue
            term = terms[0].encode("utf-8")
            decoding, count = harness.best_of(args.runs, read_word, searcher, term, score=False)
            floor, _count = harness.best_of(args.runs, read_word, searcher, term, score=True)
            if count > 1000:
                per_posting.append(decoding / count * 1e6)
            rows.setdefault(query.kind, []).append((floor * 1000, count, query.words[0]))
    if per_posting:
        print(f"decoding: {statistics.median(per_posting):.2f} µs per posting (median)")
    for kind, found in rows.items():
        ms = sorted(row[0] for row in found)
        p50, p95 = (harness.percentile(ms, p) for p in (0.5, 0.95))
        over = sum(row[0] > 10 for row in found)
        worst = max(found)
        print(
            f"{kind}: floor p50 {p50:.1f} / p95 {p95:.1f} ms; "
            f"{over} of {len(found)} over 10 ms; worst {worst[2]!r}, {worst[1]:,} postings, "
            f"{worst[0]:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
