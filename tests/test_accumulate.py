"""Term-at-a-time scoring and its pruning: what they read, build and score, and what they skip.

That their answers are exactly Whoosh's is tested in ``test_equivalence.py``; the tests here
check that too where a shortcut could change them. Monkeypatches here count or record calls
(blocks decoded, headers walked, postings scored, matchers built), which the code reports in
no other way, or stand in for a segment without impacts; fast paths are turned off with
``fast_paths`` (``tests/_engine.py``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
from _engine import (
    FIRST_BY_DATE,
    TERM_AT_A_TIME,
    WHOOSH,
    assert_whoosh_agrees,
    bounded_and_plain,
    by_date_and_whoosh,
    compiled,
    counting_scored_postings,
    fast_and_whoosh,
    fast_paths,
    searcher,
    segments,
    top,
)
from conftest import build_index
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.util.times import datetime_to_long

from newsindex import Article, NewsIndex
from newsindex.engines.whoosh import accumulate as accumulate_module
from newsindex.engines.whoosh import compile as compile_module
from newsindex.engines.whoosh import postings as postings_module
from newsindex.engines.whoosh import pruning as pruning_module
from newsindex.engines.whoosh.codec.blocks import block_at
from newsindex.engines.whoosh.codec.columns import dates
from newsindex.engines.whoosh.codec.impacts import read_impacts


@pytest.fixture(scope="module", params=[True, False], ids=["in-order", "shuffled"])
def ferries(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[NewsIndex, bool]]:
    """2,000 articles about ferries, some undated, added in date order or shuffled; and
    whether in order."""
    start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    articles = [
        Article(
            id=f"a-{n}",
            title="Ferry" if n % 4 == 0 else "Harbour",
            body=f"The ferry {n} sails.",
            published=None if n % 50 == 7 else start + dt.timedelta(days=n // 3),
        )
        for n in range(2000)
    ]
    if not request.param:
        random.Random(4).shuffle(articles)
    news = build_index(tmp_path_factory.mktemp("ferries") / "index", articles)
    yield news, request.param
    news.close()


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_order_reads_few_blocks_of_articles_added_by_date(ferries, monkeypatch, sort):
    """Articles added in date order: a word's newest or oldest are found reading few of its
    blocks; added in any order, with ties and undated articles, the answers are the same."""
    news, in_order = ferries
    for page in (1, 3):
        fast, whoosh = by_date_and_whoosh(news, "ferry", sort, 10, page)
        assert fast == whoosh
        assert fast[0] == 2000
    read: list[int] = []

    def counting(decode):
        def counted(*args, **kwargs):
            read.append(1)
            return decode(*args, **kwargs)

        return counted

    for module, name in [  # whole posting lists, and single blocks
        (postings_module, "read_block"),
        (postings_module, "block_at"),
        (pruning_module, "block_at"),
    ]:
        monkeypatch.setattr(module, name, counting(getattr(module, name)))
    with fast_paths() as taken:
        top(news, "ferry", 10, sort)
    assert taken == [FIRST_BY_DATE]
    if in_order:  # the title's 4 blocks and one or two of the body's 16
        assert 4 < len(read) <= 6


@pytest.mark.parametrize("query", ['oil "the prime minister"', '"prime minister"~2', "id:wn-1126"])
def test_other_shapes_are_left_to_whoosh(multi_segment, query):
    """Phrases among other clauses or with a slop, and fields without lengths, go to Whoosh."""
    with fast_paths() as taken:
        top(multi_segment, query, 10)
    assert taken == [WHOOSH]


@pytest.mark.parametrize(
    "query", ['"prime minister"', '"the united states"', 'title:"prime minister"']
)
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_a_phrase_is_scored_without_building_whooshs_phrase_matcher(
    multi_segment, monkeypatch, query, sort
):
    """An exact phrase is read from its words' posting lists: Whoosh's phrase matcher, which
    finds its first match as it is built, is never built (not even to look at the query's
    shape); the answers are Whoosh's."""
    built: list[int] = []
    real = compile_module.PhraseQuery.matcher

    def counting(self, *args, **keywords):
        built.append(1)
        return real(self, *args, **keywords)

    monkeypatch.setattr(compile_module.PhraseQuery, "matcher", counting)
    results = multi_segment.search(query, limit=10, sort=sort, snippets=False)
    assert built == []
    assert results.total > 0
    monkeypatch.undo()
    fast, whoosh, taken = fast_and_whoosh(multi_segment, query, sort=sort)
    assert taken == [TERM_AT_A_TIME]
    assert fast == whoosh
    assert (fast[0][:10], fast[2]) == ([h.id for h in results.hits], results.total)


@pytest.mark.parametrize(
    "query", ['"the prime minister"', 'title:"australia votes 2007"', '"the united states"']
)
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_phrase_in_date_order_is_evaluated_once(multi_segment, monkeypatch, query, sort):
    """In date order, a phrase's hits keep the scores its evaluation gave them: its matches are
    not all found again to score the ten shown. Scores and order are Whoosh's."""
    calls: list[str] = []
    real = accumulate_module.phrase_scores

    def counting(phrase, sub, weighting):
        calls.append(phrase.fieldname)
        return real(phrase, sub, weighting)

    monkeypatch.setattr(accumulate_module, "phrase_scores", counting)
    results = multi_segment.search(query, limit=10, sort=sort, snippets=False)
    fields = 1 if query.startswith("title:") else 2  # "...": the phrase in title or body
    assert len(calls) == len(segments(multi_segment)) * fields
    assert results.total >= 3
    monkeypatch.undo()
    fast, whoosh, taken = fast_and_whoosh(multi_segment, query, sort=sort)
    assert taken == [TERM_AT_A_TIME]
    assert fast == whoosh
    assert fast[0][:10] == [hit.id for hit in results.hits]
    assert [hit.score for hit in results.hits] == fast[1][:10]


@pytest.fixture(scope="module")
def weak_and_strong(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """700 long articles mentioning `ferry` once, 30 short ones about ferries, 20 headlines."""
    filler = " ".join(f"word{n}" for n in range(300))
    weak = [
        Article(id=f"weak-{n}", title=f"Report {n}", body=f"{filler} ferry {filler}")
        for n in range(700)
    ]
    strong = [
        Article(id=f"strong-{n}", title="Ferry", body=f"The ferry, ferry number {n}, sails.")
        for n in range(30)
    ]
    headlines = [
        Article(id=f"headline-{n}", title=f"Ferry timetable {n}", body="Boats leave hourly.")
        for n in range(20)
    ]
    added = [*weak[:350], *strong[:15], *headlines, *weak[350:], *strong[15:]]
    news = build_index(tmp_path_factory.mktemp("weak") / "index", added)
    yield news
    news.close()


@pytest.mark.parametrize("limit", [1, 10])
def test_block_bounds_leave_weak_blocks_unscored(weak_and_strong, monkeypatch, limit):
    """Blocks of articles mentioning a word once in a long text are left unscored when the
    best page is full of articles about it; the answers stay exact."""
    news = weak_and_strong
    bounded, plain, with_bounds, without = bounded_and_plain(news, monkeypatch, "ferry", limit)
    assert bounded == plain
    assert bounded.total == 750
    assert with_bounds * 4 < without
    assert_whoosh_agrees(news, "ferry", limit)
    assert all(h.id.startswith("strong-") for h in news.search("ferry", limit=limit).hits)


@pytest.fixture(scope="module")
def impact_news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """2,400 dated articles in shuffled order, in two segments (one joined from runs): long
    ones mention `ferry` once or twice, a few short ones often; some titles have it. All
    mention `harbour`, which no title has, the same few short ones often. Seconds to build:
    the tests that read it are marked slow."""
    rng = random.Random(7)
    filler = [f"word{n}" for n in range(400)]
    articles = []
    for n in range(2400):
        if n % 200:
            body = rng.choices(filler, k=rng.randint(300, 600)) + ["ferry"] * rng.randint(1, 2)
            body.append("harbour")
        else:
            body = rng.choices(filler, k=rng.randint(20, 40)) + ["ferry"] * 5 + ["harbour"] * 3
        rng.shuffle(body)
        articles.append(
            Article(
                id=f"a-{n}",
                title=f"Report {n}" if n % 50 else "The ferry timetable for the week ahead",
                body=" ".join(body) if n % 13 else "Boats leave hourly.",
                published=dt.datetime(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000)),
            )
        )
    rng.shuffle(articles)
    news = build_index(tmp_path_factory.mktemp("impacts") / "index", articles[:1200])
    # Runs of about 40 articles, whose pieces of `ferry` and `harbour` are long enough for
    # their impacts (each article brings some 450 word pairs new to the run).
    news.add(articles[1200:], memory_mb=8)
    assert len(segments(news)) == 2
    yield news
    news.close()


def _decoded_with_bounds(news: NewsIndex, monkeypatch, query: str, limit: int) -> int:
    """How many blocks the best ``limit`` with block bounds decodes by their places."""
    decoded = []
    real = pruning_module.block_at
    with monkeypatch.context() as patch:
        for module in (pruning_module, postings_module):
            patch.setattr(
                module, "block_at", lambda *args, **kw: decoded.append(1) or real(*args, **kw)
            )
        with fast_paths() as taken:
            top(news, query, limit)
    assert taken == [TERM_AT_A_TIME]
    return len(decoded)


def _impact_blocks(news: NewsIndex, term: bytes) -> int:
    """How many body blocks of ``term`` its impacts describe, over every segment."""
    return sum(
        len(read_impacts(sub.reader(), term)[0]) for sub, _offset in searcher(news).leaf_searchers()
    )


@pytest.mark.slow
@pytest.mark.parametrize("limit", [1, 10, 100])
def test_impacts_give_the_same_best_pages(impact_news, monkeypatch, limit):
    """With blocks bounded by their impacts, the best pages and totals are those found
    without (and Whoosh's), while most of the body's blocks are never decoded."""
    decoded = _decoded_with_bounds(impact_news, monkeypatch, "ferry", limit)
    bounded, plain, _with, _without = bounded_and_plain(impact_news, monkeypatch, "ferry", limit)
    assert bounded == plain
    assert bounded.total == 2400 - len(range(13, 2400, 13)) + len(range(650, 2400, 650))
    blocks = _impact_blocks(impact_news, b"ferri")
    assert blocks > 16
    if limit == 1:
        assert 0 < decoded * 4 < blocks
    elif limit == 10:  # at most the blocks of the 11 articles with many mentions, and one
        assert 0 < decoded <= 12
    assert_whoosh_agrees(impact_news, "ferry", limit)


@pytest.mark.slow
@pytest.mark.parametrize("limit", [1, 10])
def test_impacts_bound_a_word_no_title_has(impact_news, monkeypatch, limit):
    """A word only bodies have is bounded by its impacts too: the same answers as without
    (when every posting is scored), reading few of its blocks."""
    decoded = _decoded_with_bounds(impact_news, monkeypatch, "harbour", limit)
    bounded, plain, with_bounds, without = bounded_and_plain(
        impact_news, monkeypatch, "harbour", limit
    )
    assert bounded == plain
    assert bounded.total == 2400 - len(range(0, 2400, 13))  # not "Boats leave hourly."
    blocks = _impact_blocks(impact_news, b"harbour")
    assert blocks > 16
    assert 0 < decoded <= 11  # at most the blocks of the 11 short articles
    assert with_bounds < without * 0.6
    assert_whoosh_agrees(impact_news, "harbour", limit)
    monkeypatch.setattr(postings_module, "read_impacts", lambda *args: None)  # none stored
    assert_whoosh_agrees(impact_news, "harbour", limit)


@pytest.mark.slow
def test_impacts_whose_blocks_do_not_fill_the_posting_list_are_not_used(impact_news, monkeypatch):
    """Impacts whose block lengths do not add up to the posting list's are not used."""
    from newsindex.engines.whoosh.codec import impacts as impacts_module

    real = impacts_module.read_impacts

    def shifted(reader, term):
        found = real(reader, term)
        if found is not None:
            found[5][1] += 1
        return found

    monkeypatch.setattr(postings_module, "read_impacts", shifted)
    bounded, plain, _with, _without = bounded_and_plain(impact_news, monkeypatch, "ferry", 10)
    assert bounded == plain


@pytest.mark.slow
@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("limit", [1, 10, 45])
def test_date_order_finds_a_words_blocks_from_its_impacts(impact_news, monkeypatch, sort, limit):
    """In date order, a body word's blocks are found from the layouts stored with its impacts,
    no block header read: Whoosh's answers. Read as absent, the headers are walked again."""
    for query, uses_impacts in [("ferry", True), ("harbour", True), ("title:ferry", False)]:
        for impacts in (True, False):
            walked = _counting_headers_walked(monkeypatch)
            if not impacts:  # as if none were stored
                monkeypatch.setattr(postings_module, "read_impacts", lambda *args: None)
            fast, whoosh = by_date_and_whoosh(impact_news, query, sort, limit)
            monkeypatch.undo()
            assert fast == whoosh
            assert fast[0] >= 48
            assert (walked == []) == (impacts and uses_impacts)


def _counting_headers_walked(monkeypatch) -> list[int]:
    """A list that grows by one for each block header :func:`_block_ranges` reads."""
    walked: list[int] = []
    real = pruning_module.place
    monkeypatch.setattr(pruning_module, "place", lambda leaf: walked.append(1) or real(leaf))
    return walked


@pytest.mark.slow
def test_holds_reads_the_one_block_from_impacts(impact_news, monkeypatch):
    """Whether a segment's posting list holds a document (asked for snippets) is answered from
    the one block the impacts place it in, as from the block headers."""
    for sub, _offset in searcher(impact_news).leaf_searchers():
        reader = sub.reader()
        ids = list(reader.postings("body", "ferri").all_ids())
        assert len(ids) > 500
        docnums = range(reader.doc_count_all() + 2)
        monkeypatch.setattr(postings_module, "holds_by_headers", None)  # not called
        found = [
            d for d in docnums if postings_module.holds(reader, sub.postings("body", "ferri"), d)
        ]
        assert found == ids
        monkeypatch.undo()
        monkeypatch.setattr(postings_module, "read_impacts", lambda *args: None)  # none stored
        found = [
            d for d in docnums if postings_module.holds(reader, sub.postings("body", "ferri"), d)
        ]
        assert found == ids
        monkeypatch.undo()


@pytest.mark.slow
@pytest.mark.parametrize("impacts", [True, False])
@pytest.mark.parametrize("shape", ["consecutive", "dense", "sparse", "mixed"])
def test_postings_of_wanted_documents_whatever_their_spread(
    impact_news, monkeypatch, shape, impacts
):
    """A posting list's postings for some wanted documents, block by block as a slice, a
    set test or lookups: the documents and weights Whoosh's matcher gives for them. With the
    segment's reader, the blocks are found from the word's impacts, no header read."""
    rng = random.Random(shape)
    for sub, _offset in searcher(impact_news).leaf_searchers():
        reader = sub.reader()
        whole = reader.postings("body", "ferri")
        expected: dict[int, float] = {}
        while whole.is_active():
            expected[whole.id()] = whole.weight()
            whole.next()
        count = reader.doc_count_all()
        spans = {
            "consecutive": range(100, 700),
            "dense": [d for d in range(count) if rng.random() < 0.5],
            "sparse": rng.sample(range(count), 40),
            "mixed": [*range(0, 300), *rng.sample(range(300, count), 60)],
        }
        wanted = sorted(set(spans[shape]))
        matcher = sub.postings("body", "ferri")
        walked = _counting_goto(monkeypatch)
        docnums, weights = postings_module.postings_of(
            matcher, wanted, reader=reader if impacts else None
        )
        found = list(zip(docnums, weights, strict=True))
        assert found == [(d, expected[d]) for d in wanted if d in expected]
        assert len(docnums) > 10
        assert (walked == []) == impacts
        monkeypatch.undo()


def _counting_goto(monkeypatch) -> list[int]:
    """A list that grows by one for each block header a Whoosh 3 posting list reads."""
    walked: list[int] = []
    real = W3LeafMatcher._goto
    monkeypatch.setattr(
        W3LeafMatcher, "_goto", lambda leaf, position: walked.append(1) or real(leaf, position)
    )
    return walked


@pytest.mark.slow
@pytest.mark.parametrize("part", ["block", "wanted"])
def test_a_words_blocks_found_from_impacts_wherever_the_list_stands(impact_news, monkeypatch, part):
    """From a posting list moved into a later block (as an intersection moves it), its
    blocks found from the impacts are those the block headers lead to, from that posting
    on: read whole, or for wanted documents; documents before it are not read."""
    rng = random.Random(part)
    for sub, _offset in searcher(impact_news).leaf_searchers():
        reader = sub.reader()
        count = reader.doc_count_all()
        wanted = sorted(rng.sample(range(count), count // 3))
        answers = []
        for with_reader in (reader, None):
            matcher = sub.postings("body", "ferri")
            matcher.skip_to(count // 2)
            matcher.next()
            assert matcher._i > 0  # inside a block, not at its start
            start = matcher.id()
            walked = _counting_goto(monkeypatch)
            if part == "block":
                blocks = list(postings_module.posting_blocks(matcher, reader=with_reader))
                found = [d for docnums, _weights in blocks for d in docnums]
                weights = [w for _docnums, block_weights in blocks for w in block_weights]
            else:
                found, weights = postings_module.postings_of(matcher, wanted, reader=with_reader)
            monkeypatch.undo()
            assert found[0] >= start
            assert (walked == []) == (with_reader is not None)
            answers.append((found, weights))
        assert answers[0] == answers[1]
        whole = reader.postings("body", "ferri")
        expected = [d for d in whole.all_ids() if d >= start]
        if part == "wanted":
            expected = [d for d in expected if d in set(wanted)]
        assert answers[0][0] == expected


def _impact_bounds_and_best(news: NewsIndex, word: str) -> list[tuple[float, float, float, float]]:
    """For each body block of ``word`` bounded by impacts: its bound, the best body score in
    it, its bound with titles, and the best body and title score in its range."""
    current, query = compiled(news, word)
    context = accumulate_module.term_at_a_time_context(current)
    found = []
    for sub, _offset in current.leaf_searchers():
        reader = sub.reader()
        (title, _t, _tb), (_body, leaf, boost) = pruning_module._two_terms(
            query.matcher(sub, context), lone=False
        )
        titles = accumulate_module.matcher_scores(title)
        ranges, _taken = pruning_module._impact_blocks(
            reader, leaf, boost, titles, current.weighting
        )
        for both, bound, (where, titled) in ranges:
            docnums, weights = block_at(leaf, where)
            scores = [score * boost for score in leaf.scorer.scores(docnums, weights)]
            with_titles = [s + titles.get(d, 0.0) for d, s in zip(docnums, scores, strict=True)]
            with_titles += [titles[d] for d in titled]
            found.append((bound, max(scores), both, max(with_titles)))
    return found


@pytest.mark.slow
def test_impact_bounds_hold_for_every_block(impact_news):
    """No article of a block scores above its bound, with or without its title score."""
    found = _impact_bounds_and_best(impact_news, "ferry")
    assert len(found) > 16
    for bound, best, both, best_both in found:
        assert best <= bound
        assert best_both <= both


def test_impacts_bound_blocks_of_equal_articles_exactly(make_index, monkeypatch):
    """Where a block's best article has both its figures, its bound is that article's score
    (600 articles alike but one a little shorter, undated, so no recency factor)."""
    filler = [f"word{n}" for n in range(300)]
    articles = [
        Article(
            id=f"a-{n}",
            title=f"Report {n}",
            body=" ".join(["ferry", "ferry", *(filler[:-11] if n == 450 else filler)]),
        )
        for n in range(600)
    ]
    articles.append(Article(id="headline", title="Ferry " + " ".join(filler[:40]), body="Boats."))
    news = make_index(articles)
    found = _impact_bounds_and_best(news, "ferry")
    assert len(found) >= 4
    for bound, best, _both, _best_both in found:
        assert best <= bound <= best * (1 + 1e-8)
    bounded, plain, _with, _without = bounded_and_plain(news, monkeypatch, "ferry", 1)
    assert bounded == plain
    assert [hit.id for hit in news.search("ferry", limit=1).hits] == ["a-450"]


def test_date_range_wider_than_the_word_scores_only_its_matches_in_range(make_index, monkeypatch):
    """A word rarer than the articles of its date range is read whole, but only its matches in
    range are scored; the answers are Whoosh's."""
    start = dt.datetime(2021, 1, 1)
    articles = [
        Article(
            id=f"a-{n}",
            title="Ferry news" if n % 8 == 0 else f"Report {n}",
            body=f"The ferry {n} sails." if n % 4 == 0 else f"Nothing {n} happened.",
            published=start + dt.timedelta(days=n),
        )
        for n in range(400)
    ]
    news = make_index(articles)
    query = "ferry date:[2021-04-11 TO 2022-12-31]"  # days 100 to 399: 75 of its 100 matches
    scored = counting_scored_postings(monkeypatch)
    # the range's articles are only tested against, as a set: never sorted
    monkeypatch.setattr(compile_module.InRange, "documents", None)
    with fast_paths(numpy=False):  # the postings scored are counted in Python's scoring
        results = news.search(query, limit=10, snippets=False)
    assert results.total == 75
    # the body's, then the title's ("ferry", the only form of "ferri", adds no boost)
    assert sum(scored) == 75 + len(range(104, 400, 8))
    monkeypatch.undo()
    assert_whoosh_agrees(news, query, 10)
    reader = searcher(news).reader()
    published = [datetime_to_long(a.published) for a in articles]
    low, high = published[100], published[300]
    inside = compile_module.InRange(reader, low, high)
    by_number = [d for d in range(reader.doc_count_all()) if low <= dates(reader)[d] < high]
    assert len(inside) == len(by_number) == 200
    assert inside.documents() == by_number
    assert inside.document_set() == set(by_number)
