"""Whether reading a phrase's ids before its positions could save much: of the blocks the
benchmark's phrases decode (positions and all), how many hold a document that has every word
of the phrase in that field, where the positions would be needed anyway.

    python -m benchmarks.probes.phrase_blocks --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json

Each phrase is compiled as a search compiles it and evaluated term at a time on the probe's
own searcher, with the block reader swapped for a spy that records each block.

Imports of newsindex internals: ``newsindex.engines.whoosh.codec.blocks.block`` (swapped
for the spy wherever the engine binds it), ``newsindex.engines.whoosh.accumulate
.segment_scores`` and ``newsindex.engines.whoosh.postings.posting_blocks``; through the
harness's ``compiled_query``, ``newsindex.engines.whoosh.pruning.top_documents`` (a spy keeps
the compiled query). It also reads Whoosh's ``_postfile`` of matchers and term readers and a
matcher's ``_term``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks.probes import _harness as harness
from newsindex import analyze
from newsindex.engines.whoosh.accumulate import segment_scores
from newsindex.engines.whoosh.codec.blocks import block
from newsindex.engines.whoosh.postings import posting_blocks


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("phrase_blocks", __doc__)
    harness.add_index_options(parser, kinds=("phrase",))
    return parser.parse_args(argv)


def documents_with(reader, field: str, term: str) -> set[int]:
    """The documents of one segment (``reader``) with ``term`` in ``field``."""
    if (field, term) not in reader:
        return set()
    blocks = posting_blocks(reader.postings(field, term), reader=reader)
    return {docnum for docnums, _weights in blocks for docnum in docnums}


def with_every_word(searcher, terms: list[str]) -> dict[tuple[int, str], set[int]]:
    """(a segment's postings file, field) -> the documents with every term in that field."""
    return {
        (id(reader._terms._postfile), field): set.intersection(
            *(documents_with(reader, field, term) for term in terms)
        )
        for _sub, reader, field in harness.field_readers(searcher)
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    record: list[tuple[int, str, Sequence[int]]] = []

    def spy(matcher, *, values: bool = False):
        found = block(matcher, values=values)
        record.append((id(matcher._postfile), matcher._term[0], found[0]))
        return found

    decoded = holding = 0
    with harness.open_index(args) as index:
        searcher = harness.own_searcher(index)
        for query in harness.queries_of(args):
            compiled = harness.compiled_query(index, query.newsindex_query())
            if compiled is None:
                continue
            terms = [term for word in query.words for term in analyze(word)[:1]]
            every = with_every_word(searcher, terms)
            record.clear()
            with harness.swapped(block, spy):
                segment_scores(searcher, compiled)
            decoded += len(record)
            holding += sum(
                1 for postfile, field, ids in record if every[(postfile, field)].intersection(ids)
            )
    print(
        f"{decoded:,} blocks decoded, {holding:,} ({holding / max(decoded, 1):.0%}) hold a "
        "document with every word of the phrase"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
