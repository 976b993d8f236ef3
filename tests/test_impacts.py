"""Tests for the codec's impacts: the per-block figures that bound a frequent word's scores."""

from __future__ import annotations

import math
import struct

import pytest
from _engine import searcher
from hypothesis import given
from hypothesis import strategies as st

from newsindex import Article
from newsindex.engines.whoosh.codec import impacts
from newsindex.engines.whoosh.codec.blocks import block
from newsindex.engines.whoosh.codec.columns import field_lengths
from newsindex.engines.whoosh.codec.impacts import (
    MIN_BLOCKS,
    UNKNOWN,
    block_impact,
    combine,
    read_impacts,
)


def _bound(most: float, least: float, k1: float, b: float, avgfl: float) -> float:
    """The best BM25 term score (without idf) a group with figures ``most``, ``least`` allows."""
    if not most:
        return 0.0
    return (k1 + 1) / (1 + k1 * (1 - b) / most + k1 * b / avgfl * least)


def test_block_impact_splits_titled_documents():
    """The figures of documents with the word in the title are kept apart from the others'."""
    docnums = [3, 5, 8, 9]
    weights = [1.0, 4.0, 2.0, 1.0]
    lengths = {3: 10, 5: 200, 8: 12, 9: 7}
    assert block_impact(docnums, weights, lengths, {5, 9}) == (9, 2.0, 6.0, 4.0, 7.0)
    assert block_impact(docnums, weights, lengths, None) == (9, 4.0, 6.0, 0.0, math.inf)
    assert block_impact(docnums, weights, lengths, {3, 5, 8, 9}) == (9, 0.0, math.inf, 4.0, 6.0)


def test_block_impact_reads_lengths_as_the_scorer_does():
    """Lengths are quantized as Whoosh stores them (1000 reads back as 1032)."""
    assert block_impact([0], [2.0], {0: 1000}, None) == (0, 2.0, 516.0, 0.0, math.inf)


def test_combine_keeps_the_weakest_figures_and_unknowns():
    """A packed block's figures are its pieces' extremes; one unknown piece makes it unknown."""
    parts = [(4, 2.0, 9.0, 0.0, math.inf), (9, 1.0, 3.0, 5.0, 8.0)]
    assert combine(parts, 9) == (9, 2.0, 3.0, 5.0, 8.0)
    assert combine([parts[0], None], 12) == (12, *UNKNOWN)


postings = st.lists(
    st.tuples(st.integers(1, 40), st.integers(1, 5000), st.booleans()), min_size=1, max_size=60
)


@given(
    postings=postings,
    k1=st.floats(0.1, 3.0),
    b=st.floats(0.0, 1.0),
    avgfl=st.floats(1.0, 3000.0),
)
def test_no_document_scores_above_its_groups_bound(postings, k1, b, avgfl):
    """Whatever k1, b and average length a search uses, every posting scores at most the
    bound of its group's figures."""
    docnums = list(range(len(postings)))
    weights = [float(tf) for tf, _length, _titled in postings]
    lengths = {d: length for d, (_tf, length, _titled) in enumerate(postings)}
    titled = {d for d, (_tf, _length, flag) in enumerate(postings) if flag}
    _last, most, least, most_titled, least_titled = block_impact(docnums, weights, lengths, titled)
    for d, tf in enumerate(weights):
        length = block_impact([d], [1.0], lengths, None)[2]  # quantized, as the scorer reads it
        score = tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgfl))
        figures = (most_titled, least_titled) if d in titled else (most, least)
        assert score <= _bound(*figures, k1, b, avgfl) * (1 + 1e-12)


@pytest.mark.parametrize("limitmb", [128, 1])
def test_written_figures_are_those_of_the_blocks(make_index, limitmb):
    """Each block's stored figures are computed from that block (in one go, and joined from
    runs when memory is short), with the title's documents told apart, and its layout is
    where Whoosh's reader finds it."""
    articles = [
        Article(
            id=f"a-{n}",
            title="Ferry news" if n % 5 == 0 else f"Report {n}",
            body=" ".join(["ferry"] * (1 + n % 4) + [f"word{n % 50}"] * (n % 97)),
        )
        for n in range(1500)
    ]
    news = make_index(articles, memory_mb=limitmb)
    reader = searcher(news).reader()
    lengths = dict(enumerate(field_lengths(reader, "body")))
    title = reader.postings("title", "ferri")
    titled = set(title.all_ids())
    stored = read_impacts(reader, b"ferri")
    assert stored is not None
    matcher = reader.postings("body", "ferri")
    computed, layouts = [], []
    start = matcher._baseoffset
    while True:
        docnums, weights = block(matcher)
        computed.append(block_impact(docnums, weights, lengths, titled))
        size = matcher._nextoffset - start
        head = matcher._dataoffset - start - 4
        layouts.append((size, head, matcher._compression, matcher._blocklength))
        if matcher._lastblock:
            break
        start = matcher._nextoffset
        matcher._next_block()
    assert len(computed) >= MIN_BLOCKS
    rows = [tuple(column[j] for column in stored) for j in range(len(stored[0]))]
    # A block packed from runs' pieces of fewer than MIN_PIECE postings has unknown figures.
    known = [row[1:5] != UNKNOWN for row in rows]
    assert all(known) if limitmb == 128 else sum(known) >= len(rows) - 2
    assert [row[:5] for row, is_known in zip(rows, known, strict=True) if is_known] == [
        figures for figures, is_known in zip(computed, known, strict=True) if is_known
    ]
    assert [row[5:] for row in rows] == layouts


def test_rare_words_get_no_figures(make_index):
    """A word with fewer than MIN_BLOCKS blocks has none (it is read whole)."""
    news = make_index([Article(id=f"a-{n}", title="T", body=f"ferry {n}") for n in range(300)])
    reader = searcher(news).reader()
    assert read_impacts(reader, b"ferri") is None


_FIGURES = [(70000 + i, 2.5, 0.125 * i, 0.0, math.inf) for i in range(MIN_BLOCKS)]
_LAYOUTS = [(300 + i, 20, 3, 128 + i) for i in range(MIN_BLOCKS)]
_COLUMNS = [*zip(*_FIGURES, strict=True), *zip(*_LAYOUTS, strict=True)]


def test_impacts_are_stored_little_endian():
    """A term's stored figures are little-endian numbers (built here with struct), so an
    index reads the same on a machine of either byte order."""
    expected = b"".join(
        struct.pack(f"<{len(column)}{code}", *column)
        for code, column in zip("IddddIBBH", _COLUMNS, strict=True)
    )
    data = impacts.encode_impacts(_FIGURES, _LAYOUTS)
    assert data == expected
    assert [tuple(column) for column in impacts._decode(data)] == _COLUMNS


def test_impacts_are_swapped_both_ways_where_arrays_are_big_endian(monkeypatch):
    """Where the machine's arrays are big-endian, the figures are swapped when stored and
    again when read."""
    plain = impacts.encode_impacts(_FIGURES, _LAYOUTS)
    monkeypatch.setattr(impacts, "_SWAP", not impacts._SWAP)
    swapped = impacts.encode_impacts(_FIGURES, _LAYOUTS)
    assert swapped != plain
    assert [tuple(column) for column in impacts._decode(swapped)] == _COLUMNS
