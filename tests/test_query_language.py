"""Tests for the query language's details: typographic quotes, boosts, fuzzy marks, date order,
pasted text of any length, and the forms words are typed in."""

from __future__ import annotations

import gzip
import itertools
import json
import math

import pytest

from newsindex import InvalidArgumentError, NewsIndex, QuerySyntaxError
from newsindex.analysis.analyzer import NewsAnalyzer, plain_analyzer, stemming_analyzer
from newsindex.engines.whoosh.ranked import frequencies_in
from newsindex.fields import NAME_FIELDS
from newsindex.ingest import sample_paths
from newsindex.query import parse_query
from newsindex.query.ranked import MAX_RANKED_ITEMS, RankedQuery, keep_selective, rank_items
from newsindex.query.tree import And, Phrase, Term

SEED_ID = "cf3f115601c28b53"


def ids(news: NewsIndex, query: str, **options) -> list[str]:
    """The ids of the first hits of ``query``."""
    return [hit.id for hit in news.search(query, limit=50, **options).hits]


@pytest.mark.parametrize(
    "query",
    [
        "“Prime Minister Giorgia Meloni”",
        "„Prime Minister Giorgia Meloni“",
        "«Prime Minister Giorgia Meloni»",
    ],
)
def test_typographic_quotes_are_quotes(news, query):
    """Curly quotes, German quotes and guillemets make a phrase, as straight quotes do."""
    results = news.search(query)
    assert results.query == '"prime minist giorgia meloni"'
    assert [hit.id for hit in results.hits] == ids(news, '"Prime Minister Giorgia Meloni"')
    assert news.search("title:“Italy does not plan”").query == 'title:"itali doe not plan"'


def test_a_boost_multiplies_the_score(news):
    """`word^2` finds what `word` finds, each score doubled; a phrase takes a boost too."""
    plain, boosted = news.search("meloni"), news.search("meloni^2")
    assert boosted.query == "meloni^2"
    assert [h.id for h in boosted.hits] == [h.id for h in plain.hits]
    assert [h.score for h in boosted.hits] == pytest.approx([2 * h.score for h in plain.hits])
    assert news.search('"prime minister"^3').query == '"prime minist"^3'
    assert ids(news, '"prime minister"^3') == ids(news, '"prime minister"')


@pytest.mark.parametrize(("query", "position"), [("meloni~2", 7), ("italy meloni~", 13)])
def test_fuzzy_marks_are_an_error_never_a_phrase(news, query, position):
    """`word~` and `word~N` are an error at the `~` (before, they became a phrase with N)."""
    with pytest.raises(QuerySyntaxError) as info:
        news.search(query)
    assert info.value.position == position - 1
    assert "fuzzy matching" in str(info.value)


def test_since_after_until_is_an_error(news):
    """`since` after `until` is an error, as `date:[2009 TO 2008]` is, not zero hits."""
    with pytest.raises(InvalidArgumentError) as info:
        news.search("meloni", since="2009", until="2008")
    assert str(info.value) == "since (2009) is after until (2008): the range starts after it ends."
    assert isinstance(info.value, ValueError)
    assert news.search("meloni", since="2025-03-16", until="2025-03-16").total == 1


@pytest.fixture(scope="module")
def prose() -> list[str]:
    """Words of real article bodies from the bundled sample, in order."""
    (jsonl,) = [path for path in sample_paths() if path.name.endswith(".jsonl.gz")]
    with gzip.open(jsonl, "rt", encoding="utf-8") as lines:
        bodies = [json.loads(line)["body"] for line in itertools.islice(lines, 200)]
    return " ".join(bodies).split()


@pytest.mark.parametrize("size", [100, 1_000, 10_000])
@pytest.mark.parametrize("syntax", [True, False])
def test_pasted_prose_of_any_length_is_a_search(news, prose, size, syntax):
    """Prose of 100, 1,000 and 10,000 words gives results, with syntax or without."""
    text = " ".join(prose[:size])
    results = news.search(text, syntax=syntax)
    assert results.total > 0 or (size == 100 and syntax)
    assert len(results.query.split(" OR ")) <= MAX_RANKED_ITEMS


def test_boolean_structure_keeps_its_cap(news, prose):
    """A query someone wrote with OR over more than 64 words is still refused, and so is
    requiring more than 64 words."""
    with pytest.raises(QuerySyntaxError, match="more than 64"):
        news.search(" OR ".join(prose[:300]))
    with pytest.raises(QuerySyntaxError, match="can all be required"):
        news.search(" ".join(prose[:300]), match="all")


class CountingReader:
    """Document frequencies by term, as a segment reader gives them."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        self.frequencies = frequencies

    def doc_frequency(self, field: str, text: str) -> int:
        return self.frequencies.get(text, 0) if field == "body" else 0

    def doc_count_all(self) -> int:
        return 1000


def test_keep_selective_keeps_the_rarest_and_repeated_words_in_order():
    """Phrases, then repeated and rare words are kept; words no article holds go first."""
    words = [(Term(None, f"w{n}"), 1.0) for n in range(10)]
    frequencies = {f"w{n}": 10 * (n + 1) for n in range(10)} | {"w9": 0}
    words[8] = (Term(None, "w8"), math.sqrt(4))  # w8 is common but repeated
    ranked = RankedQuery((*words, (Phrase(None, ("a", "b")), 1.0)), (), ())
    kept = keep_selective(ranked, frequencies_in(CountingReader(frequencies)), limit=4)
    assert [item for item, _ in kept.optional] == [
        Term(None, "w0"),
        Term(None, "w1"),
        Term(None, "w8"),
        Phrase(None, ("a", "b")),
    ]


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ('"peace talks"~1234', 13, "'~' after a phrase takes a number up to 999"),
        ('"peace talks"^2x', 13, "'^' takes a number, as in \"...\"^2"),
        ("(peace OR talks)^3", 16, "'^' applies to a word or a phrase, not to a group"),
    ],
)
def test_suffixes_never_change_meaning_silently(news, query, position, reason):
    """A malformed slop or boost is an error at its position, never a word of its own."""
    with pytest.raises(QuerySyntaxError) as info:
        news.search(query)
    assert (info.value.position, info.value.reason) == (position, reason)


@pytest.mark.parametrize("tail", [" Source: Reuters", " (unclosed", " approx~", " NOT"])
def test_pasted_text_with_stray_syntax_is_still_a_search(news, prose, tail):
    """Pasted text of more than 64 words that would be a syntax error is searched as prose."""
    results = news.search(" ".join(prose[:80]) + tail)
    assert results.total > 0


def test_an_id_that_is_not_text_is_a_caller_mistake(news):
    """get(123) is InvalidArgumentError (a ValueError), never Whoosh's TypeError."""
    with pytest.raises(InvalidArgumentError, match="An article id is text, not int"):
        news.get(123)


def test_a_pasted_lede_with_a_quotation_is_ranked(news):
    """Five or more words with a quoted phrase among them read as a paragraph: ranked by any
    of them (the phrase kept whole), not a list in which every word is required."""
    results = news.search('Meloni said "durable solutions" were needed for Ukraine')
    assert results.query == '(meloni OR said OR "durabl solut" OR need OR ukrain)'
    assert results.hits[0].id == SEED_ID
    assert news.search('"durable solutions" Meloni').query == '"durabl solut" AND meloni'


def analyzers(field: str | None) -> NewsAnalyzer:
    """The local engine's analyzers: plain for names, stemming for the rest."""
    return plain_analyzer() if field in NAME_FIELDS else stemming_analyzer()


def test_a_word_keeps_the_form_typed_in_title_and_body_only():
    """The parser keeps a text word's unstemmed, folded form beside its stem; a name field's
    word, a phrase's words and the description keep none."""
    parsed = parse_query('Willing U.K. title:Coalitions author:Smith "the willing"', analyzers)
    assert parsed.tree == And(
        (
            Term(None, "will", form="willing"),
            Term(None, "uk", form="uk"),
            Term("title", "coalit", form="coalitions"),
            Term("author", "smith"),
            Phrase(None, ("the", "will")),
        )
    )
    assert str(parsed) == 'will AND uk AND title:coalit AND author:smith AND "the will"'


def test_ranked_words_lose_their_forms_and_count_as_one():
    """A ranked query weighs a word typed in two forms as one word typed twice, formless."""
    tree = parse_query("coalition coalitions forces", analyzers).tree
    ranked = rank_items(tree, split=True, stop_terms=frozenset())
    assert ranked.optional == ((Term(None, "coalit"), math.sqrt(2)), (Term(None, "forc"), 1.0))
