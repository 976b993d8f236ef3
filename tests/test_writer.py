"""The fast segment writer stores exactly what Whoosh's own writer stores."""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterator

import attrs
import pytest
from _engine import import_directly, searcher, segments, whoosh_index, write_with_whoosh
from conftest import build_index
from whoosh import fields

from newsindex import Article, NewsIndex
from newsindex.engines.whoosh import workers as workers_module
from newsindex.engines.whoosh import writer as writer_module
from newsindex.engines.whoosh.workers import BuiltSegment
from newsindex.engines.whoosh.writer import _locate
from newsindex.ingest import read_paths, sample_paths


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    """The seed and 200 bundled sample articles: prose, names, dates, undated ones."""
    found = []
    for article in read_paths(sample_paths()):
        found.append(article)
        if len(found) == 201:
            break
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, articles) -> Iterator[NewsIndex]:
    """The articles written by Whoosh's own writer: what the fast writer must store."""
    news = build_index(tmp_path_factory.mktemp("whoosh") / "index")
    write_with_whoosh(news, articles)
    yield news
    news.close()


@pytest.fixture(scope="module")
def once(tmp_path_factory: pytest.TempPathFactory, articles) -> Iterator[NewsIndex]:
    """The articles imported in one go, their postings held in memory to the end."""
    news = build_index(tmp_path_factory.mktemp("once") / "index")
    import_directly(news, articles)
    yield news
    news.close()


def _contents(news: NewsIndex) -> dict[str, object]:
    """Every posting, field length and stored document of a one-segment index."""
    reader = searcher(news).reader()
    postings = {}
    for fieldname, text in reader.all_terms():
        matcher = reader.postings(fieldname, text)
        postings[fieldname, text] = [
            (matcher.id(), matcher.weight(), matcher.value()) for _ in matcher.all_ids()
        ]
    lengths = {
        (docnum, name): reader.doc_field_length(docnum, name)
        for docnum in range(reader.doc_count_all())
        for name in ("title", "body", "author", "tag")
    }
    return {"postings": postings, "lengths": lengths, "stored": list(reader.all_stored_fields())}


def _whoosh_build(make_index, articles: list[Article]) -> NewsIndex:
    """An index of ``articles`` written by Whoosh's own writer: the reference."""
    news = make_index(name="whoosh")
    write_with_whoosh(news, articles)
    return news


def test_same_postings_lengths_and_stored_fields(once, reference):
    """Postings (ids, weights, positions), field lengths and stored fields equal Whoosh's own."""
    built, whooshs = _contents(once), _contents(reference)
    assert built["stored"] == whooshs["stored"]
    assert built["lengths"] == whooshs["lengths"]
    assert built["postings"].keys() == whooshs["postings"].keys()
    assert built["postings"] == whooshs["postings"]
    assert any(field == "title_only" for field, _text in built["postings"])


@pytest.mark.slow
def test_terms_of_a_recurring_date_are_found_once(make_index, articles, monkeypatch):
    """Articles sharing a date (or a language) are indexed from the terms found for the first
    of them, and the postings are still Whoosh's own."""
    import datetime as dt

    days = [dt.datetime(2024, 3, 1 + n % 3, tzinfo=dt.timezone.utc) for n in range(len(articles))]
    shared = [attrs.evolve(a, published=day) for a, day in zip(articles, days, strict=True)]
    reference = _contents(_whoosh_build(make_index, shared))
    asked = []
    real = fields.DATETIME.index
    monkeypatch.setattr(
        fields.DATETIME,
        "index",
        lambda field, value, **kw: asked.append(value) or real(field, value, **kw),
    )
    news = make_index(name="fast")
    import_directly(news, shared)
    assert sorted(asked) == sorted({day.replace(tzinfo=None) for day in days})
    assert _contents(news) == reference


def _term_stats(news: NewsIndex) -> dict[tuple[str, bytes], tuple]:
    """Every term's entry: weight, frequency, field lengths, highest weight, first and last id."""
    reader = searcher(news).reader()
    stats = {}
    for fieldname, text in reader.all_terms():
        info = reader.term_info(fieldname, text)
        stats[fieldname, text] = (
            info.weight(),
            info.doc_frequency(),
            info.min_length(),
            info.max_length(),
            info.max_weight(),
            info.min_id(),
            info.max_id(),
        )
    return stats


@pytest.mark.slow  # test_api checks a one-megabyte import's hits in the everyday tier
def test_runs_written_out_make_the_same_segment(make_index, articles, once, reference, spills):
    """A tiny memory limit writes runs and one segment equal to one written at once."""
    news = make_index(name="fast")
    import_directly(news, articles, limitmb=1)
    assert len(spills) >= 3
    assert len(segments(news)) == 1
    assert _contents(news) == _contents(reference)
    assert _term_stats(news) == _term_stats(once)
    assert not (news.path / "MAIN.tmp").exists()


@pytest.mark.slow
def test_runs_with_whole_blocks_are_copied_and_joined(
    make_index, articles, once, reference, monkeypatch, spills
):
    """Runs of 140 and 61 articles: common words' blocks copied, then the rest packed after."""
    full = property(lambda self: self.docnum == 140)
    monkeypatch.setattr(writer_module._SegmentBuilder, "full", full)
    news = make_index(name="fast")
    import_directly(news, articles)
    assert spills == [140, 201]  # the last run: what is left when the segment ends
    matcher = searcher(news).reader().postings("body", b"the")
    sizes = [matcher._blocklength]
    while matcher._next_block() is None and not matcher._atend:
        sizes.append(matcher._blocklength)
    assert sizes == [128, 12, 61]  # run 1's two blocks as written, run 2's postings packed
    assert _contents(news) == _contents(reference)
    assert _term_stats(news) == _term_stats(once)
    for query in ("the", '"prime minister"', "oil date:[2005 TO 2007]", "iraq -war"):
        expected = [(h.id, h.score) for h in once.search(query, limit=50).hits]
        assert [(h.id, h.score) for h in news.search(query, limit=50).hits] == expected


@pytest.mark.slow  # a run written out, and joined, after every article
def test_short_pieces_of_runs_are_packed_into_blocks(
    make_index, articles, once, monkeypatch, spills
):
    """With a run after every article, a word is in as many blocks as written at once."""
    monkeypatch.setattr(writer_module._SegmentBuilder, "full", property(lambda self: True))
    news = make_index(name="fast")
    import_directly(news, articles)
    assert len(spills) == len(articles)

    def blocks(index: NewsIndex) -> dict[tuple[str, bytes], int]:
        reader = searcher(index).reader()
        counts = {}
        for key in reader.all_terms():
            matcher = reader.postings(*key)
            counts[key] = 1
            while matcher.is_active() and not matcher._atend:
                matcher._next_block()
                counts[key] += not matcher._atend
        return counts

    assert blocks(news) == blocks(once)
    assert _contents(news) == _contents(once)
    assert news.stats().size_bytes <= once.stats().size_bytes * 1.01


@pytest.mark.slow
@pytest.mark.parametrize("procs", [1, 2])
def test_small_memory_limit_writes_a_segment_per_process(
    make_index, articles, reference, procs, spills
):
    """A tiny memory limit (and a worker process) write runs, one segment each, the same hits."""
    news = make_index(name="fast")
    import_directly(news, articles, procs=procs, limitmb=1)
    if procs == 1:  # the worker's runs are counted in its own process
        assert len(spills) >= 3
    assert len(segments(news)) == procs
    assert len(news) == len(articles)
    for query in ("peacekeepers", '"prime minister"', "oil date:[2005 TO 2007]", "iraq -war"):
        expected = [hit.id for hit in reference.search(query, limit=50).hits]
        assert [hit.id for hit in news.search(query, limit=50).hits] == expected


@pytest.mark.slow  # a parallel import
def test_duplicate_ids_keep_the_last_copy_across_segments_and_workers(make_index, articles):
    """An id sent twice, to different segments and processes, is stored once, last version."""
    first = articles[0]
    changed = Article(id=first.id, title=first.title, body="A replacement body about walruses.")
    batch = [*articles[:150], changed, *articles[150:]]
    news = make_index(name="fast")
    stored = import_directly(news, batch, procs=2, limitmb=1)
    assert stored == len(articles)
    assert len(news) == len(articles)
    assert news.get(first.id).body == "A replacement body about walruses."
    assert [hit.id for hit in news.search("walruses").hits] == [first.id]


@pytest.mark.slow  # a parallel import
def test_small_batches_spread_over_processes_keep_every_last_copy(
    make_index, articles, monkeypatch
):
    """Batches of ten with one waiting at a time land in both processes; replaced copies go."""
    monkeypatch.setattr(writer_module, "_BATCH", 10)
    monkeypatch.setattr(workers_module, "_QUEUED_BATCHES", 1)
    replacements = [
        Article(id=article.id, title=article.title, body=f"Walrus report number {n}.")
        for n, article in enumerate(articles[::20])
    ]
    sent = [*articles[:100], *replacements[:5], *articles[100:], *replacements[5:]]
    news = make_index(name="fast")
    assert import_directly(news, sent, procs=2, limitmb=1) == len(articles)
    assert len(news) == len(articles)
    found = news.search("walrus", limit=50)
    assert sorted(hit.id for hit in found.hits) == sorted(a.id for a in replacements)
    for n, article in enumerate(replacements):
        assert news.get(article.id).body == f"Walrus report number {n}."


def test_locate_maps_batch_positions_to_segments():
    """A document's place in its batch is found in its builder's segment, the batch's first
    document number on."""
    built = [
        BuiltSegment("s0", {0: 0, 2: 5}),  # batch 0: documents 0-4 of s0, then batch 2
        BuiltSegment("s1", {1: 0}),
        BuiltSegment(None, {}),  # a builder given no batch
    ]
    wanted = [(0, 0), (0, 3), (0, 4), (2, 0), (1, 3)]
    assert _locate(wanted, built) == [("s0", 0), ("s0", 3), ("s0", 4), ("s0", 5), ("s1", 3)]


def test_posting_blocks_pickle_bytes_as_bytes(make_index, articles):
    """Blocks use pickle protocol 4: no ``_codecs.encode`` call per position value, as in 2."""
    news = make_index(name="fast")
    import_directly(news, articles)
    reader = searcher(news).reader()
    matcher = reader.postings("body", "the")  # long enough for a compressed block
    matcher._read_data()
    start, end = matcher._dataoffset, matcher._nextoffset
    block = matcher._postfile.get(start, end - start)
    assert matcher._compression > 0
    data = zlib.decompress(block)
    assert data[:2] == b"\x80\x04"
    assert b"_codecs" not in data
    assert pickle.loads(data) == matcher._data


def _segment_files(news: NewsIndex) -> dict[str, bytes]:
    """The files inside a one-segment index's compound file, named without the segment id."""
    from whoosh.filedb.compound import CompoundStorage

    ix = whoosh_index(news)
    (segment,) = segments(news)
    files = CompoundStorage(ix.storage.open_file(segment.make_filename(".seg")))
    named = {}
    for name in files.list():
        with files.open_file(name) as handle:
            named[name.replace(segment.segment_id(), "")] = handle.read()
    files.close()
    return named


@pytest.mark.slow
def test_short_posting_lists_written_directly_give_the_same_bytes(
    make_index, articles, monkeypatch
):
    """Terms of one block written straight to the files: byte for byte the general path's."""
    direct = make_index(name="direct")
    import_directly(direct, articles)
    monkeypatch.setattr(writer_module, "W3FieldWriter", type("NotTheFieldWriter", (), {}))
    general = make_index(name="general")
    import_directly(general, articles)
    ours, theirs = _segment_files(direct), _segment_files(general)
    assert ours.keys() == theirs.keys() >= {".pst", ".trm"}
    assert ours == theirs
