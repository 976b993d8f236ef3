"""Tests for the Whoosh engine's snippets: the passage shown per hit and its matches' spans."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsindex import Article
from newsindex.analysis.analyzer import stemming_analyzer
from newsindex.engines.whoosh.snippets import SNIPPET_CHARS, MatchSpec, make_snippet

ANALYZER = stemming_analyzer()
SEED_ID = "cf3f115601c28b53"
LONG = " ".join(["filler"] * 100) + " the peacekeeping force " + " ".join(["more"] * 100)


def marked(text: str, spec: MatchSpec) -> list[str]:
    """The snippet's marked words, as they appear in the snippet."""
    snippet, spans = make_snippet(text, ANALYZER, spec)
    return [snippet[start:end] for start, end in spans]


def test_stemmed_match_marked():
    """A stem marks every form of the word, with the original characters."""
    text = "Peacekeepers met; the peacekeeping force grew."
    assert marked(text, MatchSpec(frozenset({"peacekeep"}))) == ["Peacekeepers", "peacekeeping"]


def test_possessive_span():
    """In `Ukraine's` the span covers `Ukraine`, without the possessive."""
    text = "Following the summit, Ukraine's allies reaffirmed their support."
    snippet, spans = make_snippet(text, ANALYZER, MatchSpec(frozenset({"ukrain"})))
    assert spans == ((22, 29),)
    assert snippet[22:29] == "Ukraine"


def test_acronym_span():
    """An acronym's span keeps its dots."""
    assert marked("The U.K. and France.", MatchSpec(frozenset({"uk"}))) == ["U.K."]


def test_prefix_marked():
    """A prefix marks every word starting with it."""
    text = "Peacemakers and peacekeepers met at the palace."
    assert marked(text, MatchSpec(prefixes=("peace",))) == ["Peacemakers", "peacekeepers"]


def test_phrase_marked_only_where_it_occurs():
    """Phrase words are marked only inside an occurrence of the whole phrase."""
    text = 'The coalition met first. A "coalition of the willing" formed; the willing few stayed.'
    snippet, spans = make_snippet(
        text, ANALYZER, MatchSpec(phrases=(("coalit", "of", "the", "will"),))
    )
    assert [snippet[s:e] for s, e in spans] == ["coalition", "of", "the", "willing"]
    assert spans[0][0] == snippet.index('"coalition') + 1


def test_ellipses_at_cut_ends():
    """A passage cut from the middle starts and ends with `…`, and holds the match."""
    snippet, spans = make_snippet(LONG, ANALYZER, MatchSpec(frozenset({"peacekeep"})))
    assert snippet.startswith("… filler")
    assert snippet.endswith("more …")
    assert [snippet[s:e] for s, e in spans] == ["peacekeeping"]
    assert len(snippet) <= SNIPPET_CHARS + 20


FAR = " ".join(["filler"] * 600)  # 4,200 characters: past the first head scanned


def test_match_far_into_a_long_text_found():
    """A match past the first head is found, and a phrase across the head's end too."""
    text = FAR + " the prime minister spoke " + FAR
    assert marked(text, MatchSpec(frozenset({"minist"}))) == ["minister"]
    head_end = FAR[: 3_000 + FAR[3_000:].index(" ")]  # the first head ends after this word
    text = head_end + " prime minister " + FAR
    assert marked(text, MatchSpec(phrases=(("prime", "minist"),))) == ["prime", "minister"]


def test_long_text_the_index_rules_out_is_not_scanned_further():
    """When the head holds no match and ``may_match`` says none, the scan stops (as asked)."""
    text = FAR + " the peacekeeping force " + FAR
    asked = []

    def may_match() -> bool:
        asked.append(True)
        return False

    snippet, spans = make_snippet(
        text, ANALYZER, MatchSpec(frozenset({"peacekeep"})), may_match=may_match
    )
    assert asked == [True]
    assert spans == ()
    assert snippet.startswith("filler filler")
    asked.clear()
    far_away = " ".join([FAR] * 12) + " the peacekeeping force"  # beyond three heads
    snippet, spans = make_snippet(
        far_away,
        ANALYZER,
        MatchSpec(frozenset({"peacekeep"})),
        may_match=lambda: asked.append(1) or True,
    )
    assert [snippet[s:e] for s, e in spans] == ["peacekeeping"]
    assert asked == [1]  # asked once: the answer stands while the head grows


def test_no_ellipsis_when_whole():
    """A short text is shown whole, without `…`."""
    snippet, _ = make_snippet("Short text about peace.", ANALYZER, MatchSpec(frozenset({"peac"})))
    assert snippet == "Short text about peace."


def test_whitespace_collapsed_and_spans_exact():
    """Runs of whitespace become one space, and the spans still point at the words."""
    text = "Alpha\n\n   beta    peacekeeping\tgamma U.K. peacekeepers"
    snippet, spans = make_snippet(text, ANALYZER, MatchSpec(frozenset({"peacekeep", "uk"})))
    assert snippet == "Alpha beta peacekeeping gamma U.K. peacekeepers"
    assert [snippet[s:e] for s, e in spans] == ["peacekeeping", "U.K.", "peacekeepers"]


def test_cut_inside_whitespace():
    """A cut that falls in a run of whitespace still leaves single spaces after `…`."""
    text = "Intro." + " " * 50 + "word word word peacekeeping"
    snippet, spans = make_snippet(text, ANALYZER, MatchSpec(frozenset({"peacekeep"})), width=100)
    assert "  " not in snippet
    assert snippet.endswith("word word word peacekeeping")
    assert [snippet[s:e] for s, e in spans] == ["peacekeeping"]


def test_no_match_leading_text():
    """Without a match the snippet is the start of the text, unmarked."""
    text = "  Leading   text\n\nhere. " + LONG
    snippet, spans = make_snippet(text, ANALYZER, MatchSpec(frozenset({"zzz"})))
    assert snippet.startswith("Leading text here. filler")
    assert snippet.endswith(" …")
    assert spans == ()


def test_empty_spec_leading_text():
    """An empty spec (a query on other fields) shows the leading text."""
    snippet, spans = make_snippet("First words. Then more.", ANALYZER, MatchSpec())
    assert (snippet, spans) == ("First words. Then more.", ())


def test_empty_text():
    """An article without a body gives an empty snippet."""
    assert make_snippet("", ANALYZER, MatchSpec(frozenset({"x"}))) == ("", ())


class TestThroughSearch:
    def test_seed_snippet(self, news):
        """The seed's snippet for `peacekeeping` opens the article and marks the word."""
        hit = news.search("peacekeeping").hits[0]
        assert hit.id == SEED_ID
        assert hit.snippet.startswith("Italy does not plan to participate in a peacekeeping force")
        assert hit.snippet[slice(*hit.highlights[0])] == "peacekeeping"

    def test_phrase_snippet(self, news):
        """A phrase query shows the phrase, with only its words marked."""
        hit = news.search('"coalition of the willing"').hits[0]
        words = [hit.snippet[s:e] for s, e in hit.highlights]
        assert words == ["coalition", "of", "the", "willing"]
        assert '"coalition of the willing"' in hit.snippet

    def test_field_query_marks_nothing(self, news):
        """A query on names only marks nothing in the body."""
        hit = news.search("author:ivanyshyn").hits[0]
        assert hit.highlights == ()
        assert hit.snippet.startswith("Italy does not plan to participate")

    def test_long_bodies_matched_far_in_or_in_the_title_only(self, empty_news):
        """A word far into a long body is marked; a title-only match shows the body's start."""
        empty_news.add(
            [
                Article(id="far", title="Harbour report", body=FAR + " a walrus surfaced. " + FAR),
                Article(id="title", title="Walrus seen", body="Harbour news. " + FAR + FAR),
            ]
        )
        hits = {hit.id: hit for hit in empty_news.search("walrus", sort="newest").hits}
        assert [hits["far"].snippet[s:e] for s, e in hits["far"].highlights] == ["walrus"]
        assert hits["title"].highlights == ()
        assert hits["title"].snippet.startswith("Harbour news. filler filler")

    def test_excluded_words_not_marked(self, news):
        """Words after `-` are not marked."""
        hit = news.search("meloni -zermatt").hits[0]
        assert {hit.snippet[s:e] for s, e in hit.highlights} == {"Meloni"}


_WORDS = st.sampled_from(
    ["peace", "peacekeeping", "Ukraine's", "U.K.", "the", "force", "and", "\n\n", "  ", "\t"]
)


@settings(max_examples=200, deadline=None)
@given(words=st.lists(_WORDS, max_size=120))
def test_spans_point_at_matches(words):
    """Every span covers a word that analyses to a matched term; the snippet is one line."""
    text = " ".join(words)
    spec = MatchSpec(frozenset({"peacekeep", "ukrain"}))
    snippet, spans = make_snippet(text, ANALYZER, spec)
    assert "\n" not in snippet
    assert "  " not in snippet
    assert snippet == snippet.strip()
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(snippet)
        assert ANALYZER.terms(snippet[start:end]) in (("peacekeep",), ("ukrain",))
        previous_end = end


@pytest.mark.parametrize("width", [40, 80, 220])
def test_width(width):
    """The snippet stays near the requested width."""
    snippet, _ = make_snippet(LONG, ANALYZER, MatchSpec(frozenset({"peacekeep"})), width=width)
    assert len(snippet) <= width + len("… ") + len(" …") + len("peacekeeping")


_PHRASE_WORDS = st.sampled_from(
    ["vote", "votes", "of", "Confidence", "confidence", "the", "no", "Élan", "\n", "vote-of"]
)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_PHRASE_WORDS, max_size=80))
def test_phrase_marks_are_every_occurrence_in_the_token_stream(words):
    """A phrase's words are marked exactly where the analyzer's tokens hold it in order."""
    text = " ".join(words)
    phrase = ANALYZER.terms("vote of confidence")
    tokens = list(ANALYZER.spans(text))
    expected = set()
    for i in range(len(tokens) - len(phrase) + 1):
        if tuple(term for term, _s, _e in tokens[i : i + len(phrase)]) == phrase:
            expected.update((start, end) for _t, start, end in tokens[i : i + len(phrase)])
    from newsindex.engines.whoosh.snippets import _find_matches

    found = _find_matches(text, ANALYZER, MatchSpec(phrases=(phrase,)), None)
    assert {(start, end) for start, end, _term in found} == expected
