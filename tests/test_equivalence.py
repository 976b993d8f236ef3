"""The fast paths give exactly Whoosh's own answers: the same ids, scores, ties and totals.

Each test runs a search with the fast paths, then with them off (``fast_paths(False)``:
Whoosh's own collector, matchers and scoring), and compares. What the fast paths read and
skip is tested in ``test_accumulate.py``; this file holds only their equivalence with Whoosh,
as bm25s keeps its comparison tests apart from its unit tests. The tests over the session's
``multi_segment`` index run in the everyday tier; those that build larger indexes of their own
are marked slow.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator

import pytest
from _engine import (
    TERM_AT_A_TIME,
    WHOOSH,
    answers,
    assert_whoosh_agrees,
    bounded_and_plain,
    by_date_and_whoosh,
    compiled,
    fast_and_whoosh,
    fast_paths,
    searcher,
    segments,
    top,
    write_with_whoosh,
)
from conftest import build_index
from whoosh import query as wq
from whoosh.matching import FilterMatcher

from newsindex import Article, NewsIndex
from newsindex.engines.whoosh import compile as compile_module
from newsindex.engines.whoosh import dense as dense_module
from newsindex.engines.whoosh.codec.impacts import read_impacts
from newsindex.engines.whoosh.compile import DateFiltered, DateFilterMatcher
from newsindex.ingest import read_paths, sample_paths

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

PHRASES = [
    '"prime minister"',
    '"the united states"',
    '"of the"',
    '"said that the"',
    'title:"prime minister"',
    '"police said" government',
    '"prime minister"~2',  # with slop: Whoosh's own matcher
]


@pytest.fixture(scope="module")
def two_segments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """800 sample articles in two segments, none deleted (its tests are marked slow)."""
    articles = list(itertools.islice(read_paths(sample_paths()), 800))
    news = build_index(tmp_path_factory.mktemp("bounded") / "index", articles[:400], articles[400:])
    assert len(segments(news)) == 2
    yield news
    news.close()


@pytest.fixture(scope="module")
def sample_news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """400 bundled sample articles in a few segments (its tests are marked slow)."""
    articles = itertools.islice(read_paths(sample_paths()), 400)
    news = build_index(tmp_path_factory.mktemp("compile") / "index", articles, memory_mb=2)
    yield news
    news.close()


@pytest.fixture(scope="module")
def mixed_news(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsIndex]:
    """900 articles written by newsindex (with impacts), then 900 by Whoosh's own writer
    (without, as a merge or an older newsindex leaves a segment); its tests are marked slow."""
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
    news = build_index(path, [article(n) for n in range(900)])
    write_with_whoosh(news, [article(n) for n in range(900, 1800)], merge=False)
    news.close()
    news = NewsIndex.open(path)
    yield news
    news.close()


# --- relevance and date order, term at a time --------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("match", ["auto", "any", "any, binary unions"])
def test_same_ids_scores_and_totals_as_whoosh(multi_segment, monkeypatch, query, match):
    """Ids, exact scores and totals equal those of Whoosh's own collector."""
    # Ranked any-word queries with a date clause keep Whoosh's date-range query, which adds a
    # tiny score, and are left to Whoosh. "binary unions": the matcher Whoosh uses for an OR
    # of three or more clauses in segments over 5,000 articles (these segments are smaller);
    # a setting of Whoosh's, not a fast path, so it is patched.
    if match == "any, binary unions":
        monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
        match = "any"
    fast, whoosh, taken = fast_and_whoosh(multi_segment, query, match=match)
    assert taken == [WHOOSH if match == "any" and "date:" in query else TERM_AT_A_TIME]
    assert fast == whoosh
    assert fast[2] > 0 or query in ("peacekeepers", "author:ivanyshyn")


@pytest.mark.parametrize("query", [query for query in QUERIES if '"' not in query])
@pytest.mark.parametrize("page", [1, 5])
@pytest.mark.parametrize("arrays", ["always", "by postings"])
def test_numpy_and_python_scoring_give_whooshs_answers(
    multi_segment, monkeypatch, query, page, arrays
):
    """Scored whole in NumPy and in Python, a query's pages (past the first pages that block
    bounds take too) have Whoosh's ids, exact scores and totals, and NumPy takes every
    query past those pages: in arrays always, or only where the query has many postings."""
    if arrays == "always":
        monkeypatch.setattr(dense_module, "_ARRAYS_FROM", 10**9)
    answered: list[bool] = []
    real = dense_module.top_documents

    def spying(*args: object) -> object:
        found = real(*args)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(dense_module, "top_documents", spying)
    numpy, whoosh, _taken = fast_and_whoosh(multi_segment, query, page=page)
    python, _whoosh, _taken = fast_and_whoosh(
        multi_segment, query, enabled={"numpy": False}, page=page
    )
    assert numpy == python == whoosh
    assert numpy[2] > 0 or query in ("peacekeepers", "author:ivanyshyn")
    if page == 5:
        assert answered == [True]


def counting_array_scores(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that receives, for each search scored in arrays, its number of segments."""
    scored: list[int] = []
    real = dense_module._best

    def counting(found: list, limit: int) -> tuple[list, int]:
        scored.append(len(found))
        return real(found, limit)

    monkeypatch.setattr(dense_module, "_best", counting)
    return scored


def test_without_numpy_python_scores_every_query(multi_segment, monkeypatch):
    """Without NumPy (the fast extra not installed), queries are scored in Python, with the
    same answers."""
    query = "police said"
    arrays = counting_array_scores(monkeypatch)
    with_numpy = answers(multi_segment, query)
    assert arrays == [len(segments(multi_segment))]
    monkeypatch.setattr(dense_module, "np", dense_module._ABSENT)
    assert not dense_module.available()
    assert answers(multi_segment, query) == with_numpy
    assert arrays == [len(segments(multi_segment))]
    assert len(with_numpy[0]) == with_numpy[2] == 29


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_order_same_as_whoosh_collector(multi_segment, query, sort):
    """In date order: the same ids, relevance scores and totals as Whoosh's collector gives."""
    fast, whoosh, taken = fast_and_whoosh(
        multi_segment, query, enabled={"first_by_date": False}, sort=sort
    )
    assert taken == [TERM_AT_A_TIME]
    assert fast == whoosh
    assert fast[2] > 0 or query in ("peacekeepers", "author:ivanyshyn")


@pytest.mark.slow
@pytest.mark.parametrize("query", ["said", "government", "police", "kyiv", "title:president"])
@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("limit", [1, 10, 45])
def test_date_order_from_block_ranges_is_whooshs(two_segments, query, sort, limit):
    """A word's first matches in date order, read block range by block range, and its total
    are those of Whoosh's collector."""
    fast, whoosh = by_date_and_whoosh(two_segments, query, sort, limit)
    assert fast == whoosh
    assert fast[0] > 0


@pytest.mark.slow
@pytest.mark.parametrize("query", ["said", "government", "police", "minister", "kyiv"])
@pytest.mark.parametrize("limit", [1, 10, 100])
def test_block_bounds_give_the_same_best_pages(two_segments, monkeypatch, query, limit):
    """With block bounds, a word's best pages and total are Whoosh's, score for score."""
    bounded, plain, _with, _without = bounded_and_plain(two_segments, monkeypatch, query, limit)
    assert bounded == plain
    assert bounded.total > 0
    assert_whoosh_agrees(two_segments, query, limit)


@pytest.mark.slow
@pytest.mark.parametrize("query", ["government", "police", "killed", "title:ministers"])
@pytest.mark.parametrize("limit", [1, 10, 100])
def test_block_bounds_with_exact_forms_give_the_same_best_pages(two_segments, query, limit):
    """A word with its exact forms, bounded blocks raised by the most the forms can add, has
    the same best pages and total as scored whole, score for score."""
    with fast_paths() as taken:
        bounded = top(two_segments, query, limit, exact=True)
    with fast_paths(block_max=False):
        plain = top(two_segments, query, limit, exact=True)
    assert taken == [TERM_AT_A_TIME]
    assert bounded == plain
    assert bounded.total > 0
    assert compiled(two_segments, query, exact=True)[1] != compiled(two_segments, query)[1]


@pytest.mark.parametrize(
    "query", ["ferry", "title:ferry OR body:sails", "title:ferry", "body:ferry", "timetable"]
)
def test_match_counts_from_frequencies_are_whooshs(make_index, query):
    """Totals counted from document frequencies (a word in title and body, a lone term) or by
    reading (two different terms; a segment with deleted articles) are Whoosh's."""
    articles = [
        Article(id=f"a-{n}", title="Ferry" if n % 3 else "News", body=f"The ferry {n} sails.")
        for n in range(300)
    ]
    headlines = [Article(id=f"h-{n}", title="Ferry timetable", body="Boats.") for n in range(30)]
    news = make_index([*articles, *headlines])
    assert_whoosh_agrees(news, query, 10)
    news.delete(["a-1", "h-2"])
    assert_whoosh_agrees(news, query, 10)


@pytest.mark.slow
@pytest.mark.parametrize("query", ["ferry", "harbour", "body:ferry"])
@pytest.mark.parametrize("limit", [1, 10])
def test_a_segment_without_impacts_beside_one_with_them(mixed_news, query, limit):
    """A segment Whoosh's own writer made has no impacts and is read as before, beside one
    that has them: the answers are Whoosh's."""
    readers = [sub.reader() for sub, _offset in searcher(mixed_news).leaf_searchers()]
    assert [read_impacts(reader, b"ferri") is not None for reader in readers] == [True, False]
    assert_whoosh_agrees(mixed_news, query, limit)


# --- phrases ------------------------------------------------------------------------------------


def test_phrase_checks_remembered_by_positions_stay_exact(make_index):
    """Articles repeating the same word places, and ones with the words apart or swapped,
    give Whoosh's phrase answers (the check is remembered per combination of places)."""
    texts = [
        "Vote of confidence in the cabinet.",  # matches, the same places 20 times
        "Confidence of vote in the cabinet.",  # swapped
        "A vote, of course, and confidence.",  # apart
        "The vote of confidence and a vote of confidence again.",  # twice
    ]
    news = make_index(
        Article(id=f"{kind}-{n}", title="Cabinet", body=text)
        for kind, text in enumerate(texts)
        for n in range(20)
    )
    for query in ('"vote of confidence"', '"confidence of vote"', '"vote confidence"'):
        fast, whoosh, taken = fast_and_whoosh(news, query)
        assert taken == [TERM_AT_A_TIME]
        assert fast == whoosh
    found = news.search('"vote of confidence"', limit=100, snippets=False)
    assert sorted({hit.id.split("-")[0] for hit in found.hits}) == ["0", "3"]
    assert found.total == 40


@pytest.mark.slow
@pytest.mark.parametrize("query", PHRASES)
def test_phrases_match_as_whooshs_own(sample_news, monkeypatch, query):
    """Exact phrases checked as position sets find the same articles with the same scores as
    Whoosh's phrase matcher under Whoosh's collector."""
    ours = sample_news.search(query, limit=100, snippets=False)
    # Whoosh's phrase query class in place of newsindex's: chosen when the query is compiled,
    # not a fast path the switch turns off.
    monkeypatch.setattr(compile_module.PhraseQuery, "matcher", wq.Phrase.matcher)
    with fast_paths(False):
        whoosh = sample_news.search(query, limit=100, snippets=False)
    assert ours.total == whoosh.total > 0
    assert [(h.id, h.score) for h in ours.hits] == [(h.id, h.score) for h in whoosh.hits]


@pytest.mark.parametrize(
    ("query", "from_pairs"),
    [
        ('"prime minister"', True),  # one pair: its term
        ('title:"prime minister"', True),
        ('"united states" -iraq', True),
        ('"the united states"', True),  # two pairs at their places
        ('"the prime minister"', True),
        ('title:"australia votes 2007"', True),
        ('"one of the most"', True),  # "of the" is no pair: "one of" and "the most" pin it
        ('"one of the"', False),  # "the" in no pair
        ('"said that the"', False),  # "that the" is no pair, and "the" in none
        ('"of the"', False),  # two common words: no pair, the positions answer
        ('"prime minister" "of the"', True),  # two phrases: Whoosh's collector
    ],
)
def test_phrases_from_pairs_match_as_the_positions_do(
    multi_segment, monkeypatch, query, from_pairs
):
    """An exact phrase whose every word is in an indexed pair is found from the pairs: the same
    articles and total as from its words' positions, scored by the pairs (so the scores
    differ); the same numbers on the fast paths and Whoosh's. Other phrases are positions."""
    compiled: list = []
    real = compile_module._phrase

    def spied(node, field, boost, reader):
        compiled.append(real(node, field, boost, reader))
        return compiled[-1]

    monkeypatch.setattr(compile_module, "_phrase", spied)
    fast, whoosh, _taken = fast_and_whoosh(multi_segment, query)
    assert fast == whoosh
    assert fast[2] > 0
    assert any(q.fieldname.endswith("_pairs") for q in compiled) == from_pairs
    ours = multi_segment.search(query, limit=10_000, snippets=False)

    def positions_only(node, field, boost, reader):
        return compile_module.PhraseQuery(field, list(node.words), slop=node.slop + 1, boost=boost)

    monkeypatch.setattr(compile_module, "_phrase", positions_only)
    positional = multi_segment.search(query, limit=10_000, snippets=False)
    assert {h.id for h in ours.hits} == {h.id for h in positional.hits}
    assert ours.total == positional.total == fast[2]
    same_scores = [h.score for h in ours.hits] == [h.score for h in positional.hits]
    assert same_scores == (not from_pairs)


# --- newsindex's own matchers -------------------------------------------------------------------


@pytest.mark.parametrize("query", ["said", "police said", "oil -iraq", "title:president"])
def test_term_lookups_once_same_answers_as_whooshs_term(multi_segment, monkeypatch, query):
    """Terms looked up once per segment give Whoosh's own term matchers' ids, scores, totals."""
    ours = answers(multi_segment, query)
    # Whoosh's term query class in place of newsindex's: chosen when the query is compiled.
    monkeypatch.setattr(compile_module.TermQuery, "matcher", wq.Term.matcher)
    monkeypatch.setattr(compile_module.TermQuery, "estimate_size", wq.Term.estimate_size)
    assert ours == answers(multi_segment, query)
    assert ours[2] > 0


def test_term_matchers_skip_deleted_articles(multi_segment):
    """A term's matcher in a segment with deletions leaves the deleted articles out, as
    Whoosh's does."""
    found = searcher(multi_segment)
    term = compile_module.TermQuery("body", "said")
    checked = 0
    for sub, _offset in found.leaf_searchers():
        sub_reader = sub.reader()
        if not sub_reader.has_deletions():
            continue
        ours = list(term.matcher(sub, found.context()).all_ids())
        theirs = list(wq.Term("body", "said").matcher(sub, found.context()).all_ids())
        assert ours == theirs
        assert ours and not set(ours) & sub_reader.deleted_docs_set
        checked += 1
    assert checked


@pytest.mark.parametrize("word", ["said", "oil", "government"])
@pytest.mark.parametrize("years", [("2005", "2005"), ("2006", "2008"), ("2030", "2031")])
def test_date_filter_skips_to_the_same_matches(multi_segment, word, years):
    """The date filter moving by ``skip_to`` stops at exactly the matches Whoosh's filter does."""
    found, query = compiled(multi_segment, f"{word} date:[{years[0]}-01-01 TO {years[1]}-12-31]")
    assert isinstance(query, DateFiltered)
    seen = 0
    for sub, _offset in found.leaf_searchers():
        skipping = query.matcher(sub, found.context())
        if not skipping.is_active():
            continue
        assert type(skipping) is DateFilterMatcher
        plain = FilterMatcher(query.child.matcher(sub, found.context()), skipping._ids)
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
