"""Whether reading a phrase's ids before its positions could save much: of the blocks the
benchmark's phrases decode (positions and all), how many hold a document that has every word
of the phrase in that field, where the positions would be needed anyway.

    python -m benchmarks.probes.phrase_blocks --index WORK/scale-16/newsindex \\
        --queries WORK/queries.json

Each phrase is compiled as a search compiles it and evaluated term at a time on the probe's
own searcher, with the block reader swapped for a spy that records each block.

Imports of newsindex internals: ``newsindex.engines.whoosh.codec.blocks.block`` (swapped
for the spy wherever the engine binds it), ``newsindex.engines.whoosh.accumulate
.segment_scores``, ``newsindex.engines.whoosh.postings.posting_blocks`` and
``newsindex.engines.whoosh.pruning.top_documents`` (a spy keeps the compiled query); it
also reads Whoosh's ``_postfile`` of matchers and term readers and a matcher's ``_term``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks.probes._harness import (
    add_index_options,
    open_index,
    own_searcher,
    queries_of,
    swapped,
)
from benchmarks.queries import PAGE_SIZE
from newsindex import analyze
from newsindex.engines.whoosh.accumulate import segment_scores
from newsindex.engines.whoosh.codec.blocks import block
from newsindex.engines.whoosh.postings import posting_blocks
from newsindex.engines.whoosh.pruning import top_documents

FIELDS = ("title", "body")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probes.phrase_blocks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_index_options(parser, kinds=("phrase",))
    return parser.parse_args(argv)


def compiled_query(index, text: str):
    """The Whoosh query ``index.search(text)`` evaluates."""
    seen = []

    def spy(searcher, query, limit):
        seen.append(query)
        return top_documents(searcher, query, limit)

    with swapped(top_documents, spy):
        index.search(text, limit=PAGE_SIZE)
    return seen[0] if seen else None


def with_every_word(searcher, terms: list[str]) -> dict[tuple[int, str], set[int]]:
    """(a segment's postings file, field) -> the documents with every term in that field."""
    every = {}
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        for field in FIELDS:
            sets = []
            for term in terms:
                ids: set[int] = set()
                if (field, term) in reader:
                    for docnums, _weights in posting_blocks(
                        reader.postings(field, term), reader=reader
                    ):
                        ids.update(docnums)
                sets.append(ids)
            every[(id(reader._terms._postfile), field)] = set.intersection(*sets)
    return every


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    record: list[tuple[int, str, Sequence[int]]] = []

    def spy(matcher, *, values: bool = False):
        found = block(matcher, values=values)
        record.append((id(matcher._postfile), matcher._term[0], found[0]))
        return found

    decoded = holding = 0
    with open_index(args) as index:
        searcher = own_searcher(index)
        for query in queries_of(args):
            compiled = compiled_query(index, query.newsindex_query())
            if compiled is None:
                continue
            terms = [term for word in query.words for term in analyze(word)[:1]]
            every = with_every_word(searcher, terms)
            record.clear()
            with swapped(block, spy):
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
