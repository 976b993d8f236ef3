"""Reading a block's ids and weights from its head gives what unpickling it whole gives."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from _engine import searcher, write_with_whoosh
from conftest import build_index

from newsindex import Article, NewsIndex
from newsindex.engines.whoosh.codec import blocks
from newsindex.engines.whoosh.codec.schema import ARRAY_BLOCKS_FROM
from newsindex.ingest import read_paths, sample_paths


@pytest.fixture(scope="module")
def articles() -> list:
    """300 bundled sample articles: long and short posting lists, repeated and single words."""
    return list(itertools.islice(read_paths(sample_paths()), 300))


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory, articles) -> Iterator[NewsIndex]:
    """The articles in an index of one segment, for the tests that only read it."""
    news = build_index(tmp_path_factory.mktemp("blocks") / "index", articles)
    yield news
    news.close()


def _every_block(news: NewsIndex):
    """Each block of each posting list in the index, with the matcher standing on it."""
    reader = searcher(news).reader()
    for fieldname, text in reader.all_terms():
        matcher = reader.postings(fieldname, text)
        if not hasattr(matcher, "_dataoffset"):  # inlined in the term info: no blocks
            continue
        while matcher.is_active():
            yield matcher
            matcher._next_block()


def _whole(matcher) -> tuple:
    """The block's ids and weights as Whoosh reads them: the whole block unpickled."""
    matcher._read_data()
    return _normalized((matcher._data[0], matcher._data[1]))


def _normalized(found: tuple) -> tuple:
    deltas, weights = found
    if weights is not None and not isinstance(weights, float):
        weights = list(weights)
    return list(deltas), weights


def test_newsindex_blocks_are_read_from_their_heads(make_index, articles):
    """Every block newsindex writes with arrays is read from its head, as unpickling it whole
    reads it."""
    # A word twice in each of 40 bodies: a block whose weights are all one float (2.0).
    twice = [Article(id=f"twice-{i}", title="Twice", body=f"Zebra zebra {i}.") for i in range(40)]
    news = make_index([*articles, *twice])
    kinds = set()
    compressed = 0
    for matcher in _every_block(news):
        if matcher._blocklength < ARRAY_BLOCKS_FROM:
            continue
        fast = blocks._fast(matcher)
        assert fast is not None
        kinds.add(type(fast[1]).__name__)
        compressed += bool(matcher._compression)
        assert _normalized(fast) == _whole(matcher)
    assert kinds == {"NoneType", "float", "array"}
    assert compressed > 0


def test_small_blocks_hold_tuples_and_are_unpickled_whole(sample_index):
    """A block of fewer than ARRAY_BLOCKS_FROM postings keeps Whoosh's tuples; it is read
    whole, with the same ids and weights."""
    news = sample_index
    kinds = set()
    sizes = set()
    for matcher in _every_block(news):
        if matcher._blocklength >= ARRAY_BLOCKS_FROM:
            continue
        sizes.add(matcher._blocklength)
        assert blocks._fast(matcher) is None
        found = blocks.ids_and_weights(matcher)
        assert type(found[0]) is tuple
        kinds.add(type(found[1]).__name__)
        assert _normalized(found) == _whole(matcher)
    assert kinds == {"NoneType", "float", "tuple"}
    assert {1, ARRAY_BLOCKS_FROM - 1} <= sizes


@pytest.mark.slow
def test_blocks_of_whooshs_own_writer_are_unpickled_whole(make_index, articles):
    """Blocks Whoosh's writer made (tuples) are not taken for newsindex's; read, they agree."""
    news = make_index()
    write_with_whoosh(news, articles)
    seen = 0
    for matcher in _every_block(news):
        assert blocks._fast(matcher) is None
        assert _normalized(blocks.ids_and_weights(matcher)) == _whole(matcher)
        seen += 1
    assert seen > 100


def test_searches_answer_the_same_read_either_way(sample_index, monkeypatch):
    """Ids, scores and totals do not depend on how the blocks were read."""
    news = sample_index
    queries = ["said", "government oil", "police -said", "title:president", "said date:2006"]
    fast = [news.search(q, limit=30, snippets=False) for q in queries]
    # The codec's own shortcut, below the search's fast paths: no switch turns it off.
    monkeypatch.setattr(blocks, "_fast", lambda matcher: None)
    whole = [news.search(q, limit=30, snippets=False) for q in queries]
    assert [(r.total, r.hits) for r in fast] == [(r.total, r.hits) for r in whole]
    assert all(r.total for r in fast)


def test_holds_answers_as_the_posting_list(sample_index):
    """``holds`` finds exactly the documents a posting list has, in a block or between blocks."""
    reader = searcher(sample_index).reader()
    for word in ("said", "minist", "ukrain", "peacekeep"):
        present = set(reader.postings("body", word).all_ids())
        assert 0 < len(present) < reader.doc_count_all()
        for docnum in range(reader.doc_count_all()):
            assert blocks.holds(reader.postings("body", word), docnum) == (docnum in present)
    assert len(set(reader.postings("body", "said").all_ids())) > 128  # several blocks
