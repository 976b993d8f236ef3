"""Term-at-a-time scoring gives exactly Whoosh's answers for the shapes it handles."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher
from whoosh.util.times import datetime_to_long

import newsindex.engines.whoosh.collect as collect_module
from newsindex import Article, NewsIndex
from newsindex.engines.whoosh import accumulate as accumulate_module
from newsindex.engines.whoosh import compile as compile_module
from newsindex.engines.whoosh import postings as postings_module
from newsindex.engines.whoosh import pruning as pruning_module
from newsindex.engines.whoosh.codec.blocks import block_at
from newsindex.engines.whoosh.codec.columns import dates
from newsindex.engines.whoosh.codec.impacts import read_impacts
from newsindex.engines.whoosh.compile import DateFiltered, DateFilterMatcher, compile_tree
from newsindex.engines.whoosh.pruning import first_by_date, top_documents
from newsindex.engines.whoosh.ranking import BM25Scorer
from newsindex.ingest import read_paths, sample_paths
from newsindex.query import parse_query

QUERIES = [
    # one word: title or body
    "said",
    "government",
    "police",
    "minister",
    "oil",
    "peacekeepers",
    # a field
    "title:president",
    "author:ivanyshyn",
    # two and three words, all required
    "police said",
    "prime minister",
    "police said government",
    "said oil",  # the second word rarer: read first
    # a description: five or more words, ranked any-word
    "what did the government say about oil prices",
    # exact phrases, rare and common, in title or body or in the title alone
    '"prime minister"',
    '"the united states"',
    '"of the"',
    'title:"prime minister"',
    # a word with a date filter, and an exclusion
    "government date:[2005-01-01 TO 2007-12-31]",
    "said date:[2006-03-01 TO 2006-03-31]",  # fewer dated articles than matches: read those
    "police -said",
    "oil date:2006 -iraq",
]
"""Queries term-at-a-time scoring takes over (checked below), with words common and rare."""


@pytest.fixture(scope="module")
def multi_segment(tmp_path_factory: pytest.TempPathFactory) -> NewsIndex:
    """600 sample articles over several segments, some replaced and some deleted."""
    articles = list(itertools.islice(read_paths(sample_paths()), 600))
    news = NewsIndex.create(tmp_path_factory.mktemp("accumulate") / "index")
    news._index.write(articles[:300], limitmb=1)
    news._index.write(articles[300:], limitmb=1)
    news.add(articles[::21])  # replaced: the old copies are deleted documents now
    news.delete([a.id for a in articles[1::7]])
    segments = news._index._ix._segments()
    assert len(segments) >= 3
    assert sum(segment.deleted_count() for segment in segments) >= 80
    return news


def _answers(news: NewsIndex, query: str, **options) -> tuple[list, list, int]:
    results = news.search(query, limit=40, snippets=False, **options)
    return [h.id for h in results.hits], [h.score for h in results.hits], results.total


def _fast_and_whoosh(news, monkeypatch, name, query, **options) -> tuple[tuple, tuple, list]:
    """The answers with the term-at-a-time function ``name`` of the search module, then with
    it declining (Whoosh's collector runs), and whether it took each search on."""
    evaluate, handled = getattr(collect_module, name), []

    def recording(*args, **keywords):
        found = evaluate(*args, **keywords)
        handled.append(found is not None)
        return found

    monkeypatch.setattr(collect_module, name, recording)
    fast = _answers(news, query, **options)
    monkeypatch.setattr(collect_module, name, lambda *args, **keywords: None)
    monkeypatch.setattr(collect_module, "scores_of", lambda *args: None)  # Whoosh's rescoring
    return fast, _answers(news, query, **options), handled


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("match", ["auto", "any", "any, binary unions"])
def test_same_ids_scores_and_totals_as_whoosh(multi_segment, monkeypatch, query, match):
    """Ids, exact scores and totals equal those of Whoosh's own collector."""
    # Ranked any-word queries with a date clause keep Whoosh's date-range query, which adds a
    # tiny score, and are left to Whoosh. "binary unions": the matcher Whoosh uses for an OR
    # of three or more clauses in segments over 5,000 articles (these segments are smaller).
    if match == "any, binary unions":
        monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
        match = "any"
    fast, whoosh, handled = _fast_and_whoosh(
        multi_segment, monkeypatch, "top_documents", query, match=match
    )
    assert handled == [not (match == "any" and "date:" in query)]
    assert fast == whoosh
    assert fast[2] > 0 or query in ("peacekeepers", "author:ivanyshyn")


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_order_same_as_whoosh_collector(multi_segment, monkeypatch, query, sort):
    """In date order: the same ids, relevance scores and totals as Whoosh's collector gives."""
    monkeypatch.setattr(collect_module, "first_by_date", lambda *args, **keywords: None)
    fast, whoosh, handled = _fast_and_whoosh(
        multi_segment, monkeypatch, "segment_scores", query, sort=sort
    )
    assert handled == [True]
    assert fast == whoosh
    assert fast[2] > 0 or query in ("peacekeepers", "author:ivanyshyn")


def _by_date_and_whoosh(news, monkeypatch, query, sort, limit, page=1) -> tuple[tuple, tuple]:
    """The answers in date order with first_by_date (checked to take the query on), then
    from Whoosh's collector."""
    handled = []
    real = collect_module.first_by_date

    def recording(*args, **keywords):
        found = real(*args, **keywords)
        handled.append(found is not None)
        return found

    monkeypatch.setattr(collect_module, "first_by_date", recording)
    fast = news.search(query, limit=limit, page=page, sort=sort, snippets=False)
    assert handled == [True]
    monkeypatch.setattr(collect_module, "first_by_date", lambda *args, **keywords: None)
    monkeypatch.setattr(collect_module, "segment_scores", lambda *args, **keywords: None)
    monkeypatch.setattr(collect_module, "scores_of", lambda *args: None)
    whoosh = news.search(query, limit=limit, page=page, sort=sort, snippets=False)
    monkeypatch.undo()
    answers = [(r.total, [(h.id, h.score) for h in r.hits]) for r in (fast, whoosh)]
    return answers[0], answers[1]


@pytest.mark.parametrize("query", ["said", "government", "police", "kyiv", "title:president"])
@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("limit", [1, 10, 45])
def test_date_order_from_block_ranges_is_whooshs(two_segments, monkeypatch, query, sort, limit):
    """A word's first matches in date order, read block range by block range, and its total
    are those of Whoosh's collector."""
    fast, whoosh = _by_date_and_whoosh(two_segments, monkeypatch, query, sort, limit)
    assert fast == whoosh
    assert fast[0] > 0


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("in_order", [True, False])
def test_date_order_reads_few_blocks_of_articles_added_by_date(
    tmp_path, monkeypatch, sort, in_order
):
    """Articles added in date order: a word's newest or oldest are found reading few of its
    blocks; added in any order, with ties and undated articles, the answers are the same."""
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
    if not in_order:
        random.Random(4).shuffle(articles)
    news = NewsIndex.create(tmp_path / "index")
    news.add(articles)
    for page in (1, 3):
        fast, whoosh = _by_date_and_whoosh(news, monkeypatch, "ferry", sort, 10, page)
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
    searcher = news._index.searcher()
    tree = parse_query("ferry", news._index.analyzers(searcher)).tree
    compiled = compile_tree(tree, searcher.reader())
    first_by_date(searcher, compiled, 10, newest_first=sort == "newest")
    if in_order:  # the title's 4 blocks and one or two of the body's 16
        assert 4 < len(read) <= 6


@pytest.mark.parametrize("query", ['oil "prime minister"', '"prime minister"~2', "id:wn-1126"])
def test_other_shapes_are_left_to_whoosh(multi_segment, query):
    """Phrases among other clauses or with a slop, and fields without lengths, go to Whoosh."""
    searcher = multi_segment._index.searcher()
    tree = parse_query(query, multi_segment._index.analyzers(searcher)).tree
    assert top_documents(searcher, compile_tree(tree, searcher.reader()), 10) is None


@pytest.mark.parametrize("word", ["said", "oil", "government"])
@pytest.mark.parametrize("years", [("2005", "2005"), ("2006", "2008"), ("2030", "2031")])
def test_date_filter_skips_to_the_same_matches(multi_segment, word, years):
    """The date filter moving by ``skip_to`` stops at exactly the matches Whoosh's filter does."""
    searcher = multi_segment._index.searcher()
    query = f"{word} date:[{years[0]}-01-01 TO {years[1]}-12-31]"
    tree = parse_query(query, multi_segment._index.analyzers(searcher)).tree
    compiled = compile_tree(tree, searcher.reader())
    assert isinstance(compiled, DateFiltered)
    seen = 0
    for sub, _offset in searcher.leaf_searchers():
        skipping = compiled.matcher(sub, searcher.context())
        if not skipping.is_active():
            continue
        assert type(skipping) is DateFilterMatcher
        plain = FilterMatcher(compiled.child.matcher(sub, searcher.context()), skipping._ids)
        ids = []
        while skipping.is_active():
            ids.append(skipping.id())
            skipping.next()
        expected = []
        while plain.is_active():
            expected.append(plain.id())
            plain.next()
        assert ids == expected
        seen += len(ids)
    assert seen > 0 or years[0] == "2030"


@pytest.mark.parametrize("query", ["said", "police said", "oil -iraq", "title:president"])
def test_term_lookups_once_same_answers_as_whooshs_term(multi_segment, monkeypatch, query):
    """Terms looked up once per segment give Whoosh's own term matchers' ids, scores, totals."""
    ours = _answers(multi_segment, query)
    monkeypatch.setattr(compile_module.TermQuery, "matcher", wq.Term.matcher)
    monkeypatch.setattr(compile_module.TermQuery, "estimate_size", wq.Term.estimate_size)
    assert ours == _answers(multi_segment, query)
    assert ours[2] > 0


def test_term_matchers_skip_deleted_articles(multi_segment):
    """A term's matcher in a segment with deletions leaves the deleted articles out."""
    searcher = multi_segment._index.searcher()
    term = compile_module.TermQuery("body", "said")
    checked = 0
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        if not reader.has_deletions():
            continue
        ours = list(term.matcher(sub, searcher.context()).all_ids())
        theirs = list(wq.Term("body", "said").matcher(sub, searcher.context()).all_ids())
        assert ours == theirs
        assert ours and not set(ours) & reader.deleted_docs_set
        checked += 1
    assert checked


def test_phrase_checks_remembered_by_positions_stay_exact(tmp_path, monkeypatch):
    """Articles repeating the same word places, and ones with the words apart or swapped,
    give Whoosh's phrase answers (the check is remembered per combination of places)."""
    texts = [
        "Vote of confidence in the cabinet.",  # matches, the same places 20 times
        "Confidence of vote in the cabinet.",  # swapped
        "A vote, of course, and confidence.",  # apart
        "The vote of confidence and a vote of confidence again.",  # twice
    ]
    news = NewsIndex.create(tmp_path / "index")
    news.add(
        Article(id=f"{kind}-{n}", title="Cabinet", body=text)
        for kind, text in enumerate(texts)
        for n in range(20)
    )
    for query in ('"vote of confidence"', '"confidence of vote"', '"vote confidence"'):
        fast, whoosh, handled = _fast_and_whoosh(news, monkeypatch, "top_documents", query)
        monkeypatch.undo()
        assert handled == [True]
        assert fast == whoosh
    found = news.search('"vote of confidence"', limit=100, snippets=False)
    assert sorted({hit.id.split("-")[0] for hit in found.hits}) == ["0", "3"]
    assert found.total == 40


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
    name = "top_documents" if sort == "relevance" else "segment_scores"
    monkeypatch.undo()
    fast, whoosh, handled = _fast_and_whoosh(multi_segment, monkeypatch, name, query, sort=sort)
    assert handled == [True]
    assert fast == whoosh
    assert (fast[0][:10], fast[2]) == ([h.id for h in results.hits], results.total)


@pytest.mark.parametrize(
    "query", ['"prime minister"', 'title:"prime minister"', '"the united states"']
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
    segments = len(multi_segment._index._ix._segments())
    fields = 1 if query.startswith("title:") else 2  # "...": the phrase in title or body
    assert len(calls) == segments * fields
    assert results.total >= 3
    monkeypatch.undo()
    fast, whoosh, handled = _fast_and_whoosh(
        multi_segment, monkeypatch, "segment_scores", query, sort=sort
    )
    assert handled == [True]
    assert fast == whoosh
    assert fast[0][:10] == [hit.id for hit in results.hits]
    assert [hit.score for hit in results.hits] == fast[1][:10]


@pytest.fixture(scope="module")
def two_segments(tmp_path_factory: pytest.TempPathFactory) -> NewsIndex:
    """800 sample articles in two segments, none deleted."""
    articles = list(itertools.islice(read_paths(sample_paths()), 800))
    news = NewsIndex.create(tmp_path_factory.mktemp("bounded") / "index")
    news.add(articles[:400])
    news.add(articles[400:])
    assert len(news._index._ix._segments()) == 2
    return news


def _scored_postings(monkeypatch) -> list[int]:
    """Record how many postings each BM25 call scores."""
    scored: list[int] = []
    real = BM25Scorer.scores

    def counted(self, docnums, weights):
        scored.append(len(docnums))
        return real(self, docnums, weights)

    monkeypatch.setattr(BM25Scorer, "scores", counted)
    return scored


def _bounded_and_plain(news: NewsIndex, monkeypatch, query: str, limit: int) -> tuple:
    """top_documents with block bounds and without, and the postings each scored."""
    scored = _scored_postings(monkeypatch)
    searcher = news._index.searcher()
    tree = parse_query(query, news._index.analyzers(searcher)).tree
    compiled = compile_tree(tree, searcher.reader())
    bounded = top_documents(searcher, compiled, limit)
    with_bounds = sum(scored)
    scored.clear()
    monkeypatch.setattr(pruning_module, "_bounded_segment_scores", lambda *args: None)
    plain = top_documents(searcher, compiled, limit)
    monkeypatch.undo()
    return bounded, plain, with_bounds, sum(scored)


def _decoded_with_bounds(news: NewsIndex, monkeypatch, query: str, limit: int) -> int:
    """How many blocks top_documents with block bounds decodes by their places."""
    decoded = []
    real = pruning_module.block_at
    for module in (pruning_module, postings_module):
        monkeypatch.setattr(
            module, "block_at", lambda *args, **kwargs: decoded.append(1) or real(*args, **kwargs)
        )
    searcher = news._index.searcher()
    tree = parse_query(query, news._index.analyzers(searcher)).tree
    top_documents(searcher, compile_tree(tree, searcher.reader()), limit)
    monkeypatch.undo()
    return len(decoded)


def _whoosh_agrees(news: NewsIndex, monkeypatch, query: str, limit: int) -> None:
    results = news.search(query, limit=limit, snippets=False)
    monkeypatch.setattr(collect_module, "top_documents", lambda *args: None)  # Whoosh's collector
    whoosh = news.search(query, limit=limit, snippets=False)
    monkeypatch.undo()
    assert [(h.id, h.score) for h in results.hits] == [(h.id, h.score) for h in whoosh.hits]
    assert results.total == whoosh.total


@pytest.mark.parametrize("query", ["said", "government", "police", "minister", "kyiv"])
@pytest.mark.parametrize("limit", [1, 10, 100])
def test_block_bounds_give_the_same_best_pages(two_segments, monkeypatch, query, limit):
    """With block bounds, a word's best pages and total are Whoosh's, score for score."""
    bounded, plain, _with, _without = _bounded_and_plain(two_segments, monkeypatch, query, limit)
    assert bounded == plain
    assert bounded[1] > 0
    _whoosh_agrees(two_segments, monkeypatch, query, limit)


@pytest.mark.parametrize("limit", [1, 10])
def test_block_bounds_leave_weak_blocks_unscored(tmp_path, monkeypatch, limit):
    """Blocks of articles mentioning a word once in a long text are left unscored when the
    best page is full of articles about it; the answers stay exact."""
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
    news = NewsIndex.create(tmp_path / "index")
    news.add([*weak[:350], *strong[:15], *headlines, *weak[350:], *strong[15:]])
    bounded, plain, with_bounds, without = _bounded_and_plain(news, monkeypatch, "ferry", limit)
    assert bounded == plain
    assert bounded[1] == 750
    assert with_bounds * 4 < without
    _whoosh_agrees(news, monkeypatch, "ferry", limit)
    assert all(h.id.startswith("strong-") for h in news.search("ferry", limit=limit).hits)


@pytest.mark.parametrize(
    "query", ["ferry", "title:ferry OR body:sails", "title:ferry", "body:ferry", "timetable"]
)
def test_match_counts_from_frequencies_are_whooshs(tmp_path, monkeypatch, query):
    """Totals counted from document frequencies (a word in title and body, a lone term) or by
    reading (two different terms; a segment with deleted articles) are Whoosh's."""
    articles = [
        Article(id=f"a-{n}", title="Ferry" if n % 3 else "News", body=f"The ferry {n} sails.")
        for n in range(300)
    ]
    headlines = [Article(id=f"h-{n}", title="Ferry timetable", body="Boats.") for n in range(30)]
    news = NewsIndex.create(tmp_path / "index")
    news.add([*articles, *headlines])
    _whoosh_agrees(news, monkeypatch, query, 10)
    news.delete(["a-1", "h-2"])
    _whoosh_agrees(news, monkeypatch, query, 10)


@pytest.fixture(scope="module")
def impact_news(tmp_path_factory: pytest.TempPathFactory) -> NewsIndex:
    """2,400 dated articles in shuffled order, in two segments (one joined from runs): long
    ones mention `ferry` once or twice, a few short ones often; some titles have it. All
    mention `harbour`, which no title has, the same few short ones often."""
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
    news = NewsIndex.create(tmp_path_factory.mktemp("impacts") / "index")
    news._index.write(articles[:1200])
    news._index.write(articles[1200:], limitmb=1)
    assert len(news._index._ix._segments()) == 2
    return news


@pytest.mark.parametrize("limit", [1, 10, 100])
def test_impacts_give_the_same_best_pages(impact_news, monkeypatch, limit):
    """With blocks bounded by their impacts, the best pages and totals are those found
    without (and Whoosh's), while most of the body's blocks are never decoded."""
    decoded = _decoded_with_bounds(impact_news, monkeypatch, "ferry", limit)
    bounded, plain, _with, _without = _bounded_and_plain(impact_news, monkeypatch, "ferry", limit)
    assert bounded == plain
    assert bounded[1] == 2400 - len(range(13, 2400, 13)) + len(range(650, 2400, 650))
    blocks = sum(
        len(read_impacts(sub.reader(), b"ferri")[0])
        for sub, _offset in impact_news._index.searcher().leaf_searchers()
    )
    assert blocks > 16
    if limit == 1:
        assert 0 < decoded * 4 < blocks
    elif limit == 10:  # at most the blocks of the 11 articles with many mentions, and one
        assert 0 < decoded <= 12
    _whoosh_agrees(impact_news, monkeypatch, "ferry", limit)


@pytest.mark.parametrize("limit", [1, 10])
def test_impacts_bound_a_word_no_title_has(impact_news, monkeypatch, limit):
    """A word only bodies have is bounded by its impacts too: the same answers as without
    (when every posting is scored), reading few of its blocks."""
    decoded = _decoded_with_bounds(impact_news, monkeypatch, "harbour", limit)
    bounded, plain, with_bounds, without = _bounded_and_plain(
        impact_news, monkeypatch, "harbour", limit
    )
    assert bounded == plain
    assert bounded[1] == 2400 - len(range(0, 2400, 13))  # not "Boats leave hourly."
    blocks = sum(
        len(read_impacts(sub.reader(), b"harbour")[0])
        for sub, _offset in impact_news._index.searcher().leaf_searchers()
    )
    assert blocks > 16
    assert 0 < decoded <= 11  # at most the blocks of the 11 short articles
    assert with_bounds < without * 0.6
    _whoosh_agrees(impact_news, monkeypatch, "harbour", limit)
    monkeypatch.setattr(postings_module, "read_impacts", lambda *args: None)
    _whoosh_agrees(impact_news, monkeypatch, "harbour", limit)


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
    bounded, plain, _with, _without = _bounded_and_plain(impact_news, monkeypatch, "ferry", 10)
    assert bounded == plain


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("limit", [1, 10, 45])
def test_date_order_finds_a_words_blocks_from_its_impacts(impact_news, monkeypatch, sort, limit):
    """In date order, a body word's blocks are found from the layouts stored with its impacts,
    no block header read: Whoosh's answers. Read as absent, the headers are walked again."""
    for query, uses_impacts in [("ferry", True), ("harbour", True), ("title:ferry", False)]:
        for impacts in (True, False):
            walked = _counting_headers_walked(monkeypatch)
            if not impacts:
                monkeypatch.setattr(postings_module, "read_impacts", lambda *args: None)
            fast, whoosh = _by_date_and_whoosh(impact_news, monkeypatch, query, sort, limit)
            assert fast == whoosh
            assert fast[0] >= 48
            assert (walked == []) == (impacts and uses_impacts)


def _counting_headers_walked(monkeypatch) -> list[int]:
    """A list that grows by one for each block header :func:`_block_ranges` reads."""
    walked: list[int] = []
    real = pruning_module.place
    monkeypatch.setattr(pruning_module, "place", lambda leaf: walked.append(1) or real(leaf))
    return walked


def test_holds_reads_the_one_block_from_impacts(impact_news, monkeypatch):
    """Whether a segment's posting list holds a document (asked for snippets) is answered from
    the one block the impacts place it in, as from the block headers."""
    searcher = impact_news._index.searcher()
    for sub, _offset in searcher.leaf_searchers():
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
        monkeypatch.setattr(postings_module, "read_impacts", lambda *args: None)
        found = [
            d for d in docnums if postings_module.holds(reader, sub.postings("body", "ferri"), d)
        ]
        assert found == ids
        monkeypatch.undo()


@pytest.mark.parametrize("impacts", [True, False])
@pytest.mark.parametrize("shape", ["consecutive", "dense", "sparse", "mixed"])
def test_postings_of_wanted_documents_whatever_their_spread(
    impact_news, monkeypatch, shape, impacts
):
    """A posting list's postings for some wanted documents, block by block as a slice, a
    set test or lookups: the documents and weights Whoosh's matcher gives for them. With the
    segment's reader, the blocks are found from the word's impacts, no header read."""
    rng = random.Random(shape)
    searcher = impact_news._index.searcher()
    for sub, _offset in searcher.leaf_searchers():
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


@pytest.mark.parametrize("part", ["block", "wanted"])
def test_a_words_blocks_found_from_impacts_wherever_the_list_stands(impact_news, monkeypatch, part):
    """From a posting list moved into a later block (as an intersection moves it), its
    blocks found from the impacts are those the block headers lead to, from that posting
    on: read whole, or for wanted documents; documents before it are not read."""
    rng = random.Random(part)
    searcher = impact_news._index.searcher()
    for sub, _offset in searcher.leaf_searchers():
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
    searcher = news._index.searcher()
    tree = parse_query(word, news._index.analyzers(searcher)).tree
    query = compile_tree(tree, searcher.reader())
    context = accumulate_module.term_at_a_time_context(searcher)
    found = []
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        (title, _t, _tb), (_body, leaf, boost) = pruning_module._two_terms(
            query.matcher(sub, context), lone=False
        )
        titles = accumulate_module.matcher_scores(title)
        ranges, _taken = pruning_module._impact_blocks(
            reader, leaf, boost, titles, searcher.weighting
        )
        for both, bound, (where, titled) in ranges:
            docnums, weights = block_at(leaf, where)
            scores = [score * boost for score in leaf.scorer.scores(docnums, weights)]
            with_titles = [s + titles.get(d, 0.0) for d, s in zip(docnums, scores, strict=True)]
            with_titles += [titles[d] for d in titled]
            found.append((bound, max(scores), both, max(with_titles)))
    return found


def test_impact_bounds_hold_for_every_block(impact_news):
    """No article of a block scores above its bound, with or without its title score."""
    found = _impact_bounds_and_best(impact_news, "ferry")
    assert len(found) > 16
    for bound, best, both, best_both in found:
        assert best <= bound
        assert best_both <= both


def test_impacts_bound_blocks_of_equal_articles_exactly(tmp_path, monkeypatch):
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
    news = NewsIndex.create(tmp_path / "index")
    news.add(articles)
    found = _impact_bounds_and_best(news, "ferry")
    assert len(found) >= 4
    for bound, best, _both, _best_both in found:
        assert best <= bound <= best * (1 + 1e-8)
    bounded, plain, _with, _without = _bounded_and_plain(news, monkeypatch, "ferry", 1)
    assert bounded == plain
    assert [hit.id for hit in news.search("ferry", limit=1).hits] == ["a-450"]


def test_date_range_wider_than_the_word_scores_only_its_matches_in_range(tmp_path, monkeypatch):
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
    news = NewsIndex.create(tmp_path / "index")
    news.add(articles)
    query = "ferry date:[2021-04-11 TO 2022-12-31]"  # days 100 to 399: 75 of its 100 matches
    scored = _scored_postings(monkeypatch)
    # the range's articles are only tested against, as a set: never sorted
    monkeypatch.setattr(compile_module.InRange, "documents", None)
    results = news.search(query, limit=10, snippets=False)
    assert results.total == 75
    assert sum(scored) == 75 + len(range(104, 400, 8))  # the body's, then the title's
    monkeypatch.undo()
    _whoosh_agrees(news, monkeypatch, query, 10)
    reader = news._index.searcher().reader()
    published = [datetime_to_long(a.published) for a in articles]
    low, high = published[100], published[300]
    inside = compile_module.InRange(reader, low, high)
    by_number = [d for d in range(reader.doc_count_all()) if low <= dates(reader)[d] < high]
    assert len(inside) == len(by_number) == 200
    assert inside.documents() == by_number
    assert inside.document_set() == set(by_number)


@pytest.fixture(scope="module")
def mixed_news(tmp_path_factory: pytest.TempPathFactory) -> NewsIndex:
    """900 articles written by newsindex (with impacts), then 900 by Whoosh's own writer
    (without, as a merge or an older newsindex leaves a segment)."""
    from whoosh.writing import SegmentWriter

    from newsindex.engines.whoosh.codec.schema import to_document

    filler = [f"word{n}" for n in range(200)]
    rng = random.Random(3)

    def article(n: int) -> Article:
        body = [*rng.choices(filler, k=rng.randint(50, 400)), "ferry", "harbour"]
        body += ["ferry"] * (4 if n % 97 == 0 else 0)
        return Article(
            id=f"a-{n}",
            title="Ferry news" if n % 7 == 0 else f"Report {n}",
            body=" ".join(body),
            published=dt.datetime(2020, 1, 1) + dt.timedelta(days=n % 900),
        )

    path = tmp_path_factory.mktemp("mixed") / "index"
    news = NewsIndex.create(path)
    news.add([article(n) for n in range(900)])
    writer = SegmentWriter(news._index._ix)
    for n in range(900, 1800):
        writer.add_document(**to_document(article(n)))
    writer.commit(merge=False)
    news.close()
    return NewsIndex.open(path)


@pytest.mark.parametrize("query", ["ferry", "harbour", "body:ferry"])
@pytest.mark.parametrize("limit", [1, 10])
def test_a_segment_without_impacts_beside_one_with_them(mixed_news, monkeypatch, query, limit):
    """A segment Whoosh's own writer made has no impacts and is read as before, beside one
    that has them: the answers are Whoosh's."""
    searcher = mixed_news._index.searcher()
    readers = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
    assert [read_impacts(reader, b"ferri") is not None for reader in readers] == [True, False]
    _whoosh_agrees(mixed_news, monkeypatch, query, limit)
