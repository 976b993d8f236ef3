"""Tests for the analyzer: tokens, spans, folding, stemming and the Whoosh protocol."""

from __future__ import annotations

import gzip
import itertools
import json
import pickle
import re
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser
from whoosh.query import Phrase, Term

from newsindex.analysis import marks
from newsindex.analysis.analyzer import (
    _DROPPED_OR_OTHER,
    _STRIP_WORD,
    _TOKEN,
    _UNMARKED_TOKEN,
    NewsAnalyzer,
    _candidate_words,
    _fold,
    _tokens_in,
    _tokens_starting_with,
    analyze,
    plain_analyzer,
    stemming_analyzer,
)
from newsindex.ingest import sample_paths

SEED = (
    'Meloni attended the U.K.-led virtual summit of the "coalition-of-the-willing" on '
    "March 15 alongside 24 other nations, after Ukraine's allies met at an EU-Western summit."
)

# Characters that exercise every branch of the tokenizer, for the property tests.
TRICKY = st.text(
    alphabet=st.sampled_from(list("aZé1.,'’-_ sS\u0301\u0306йΩ東ß\ufb01\ufdfa\u02bc\t"))
)


def spans_of(text: str, analyzer: NewsAnalyzer | None = None) -> list[tuple[str, str]]:
    """Return (term, original text under the span) pairs, the way a highlighter sees them."""
    analyzer = analyzer or stemming_analyzer()
    return [(term, text[start:end]) for term, start, end in analyzer.spans(text)]


def positions_of(text: str, analyzer: NewsAnalyzer | None = None) -> list[tuple[str, int]]:
    """Return (term, position) pairs from the Whoosh protocol."""
    analyzer = analyzer or stemming_analyzer()
    return [(t.text, t.pos) for t in analyzer(text, positions=True)]


def test_spans_are_offsets_into_the_original_text() -> None:
    """Each span slices the original word (case, accents and punctuation as written)."""
    text = "  Piñera's U.K.-led plan, 1,000 troops!"
    assert list(stemming_analyzer().spans(text)) == [
        ("pinera", 2, 8),
        ("uk", 11, 15),
        ("led", 16, 19),
        ("plan", 20, 24),
        ("1000", 26, 31),
        ("troop", 32, 38),
    ]
    assert spans_of(text) == [
        ("pinera", "Piñera"),
        ("uk", "U.K."),
        ("led", "led"),
        ("plan", "plan"),
        ("1000", "1,000"),
        ("troop", "troops"),
    ]


def test_span_of_a_possessive_covers_the_word_without_its_s() -> None:
    """The documented choice: "Ukraine's" and "Peacekeepers'" highlight as the bare word."""
    text = "Ukraine's and Ukraine’s peacekeepers' plans"
    assert spans_of(text) == [
        ("ukrain", "Ukraine"),
        ("and", "and"),
        ("ukrain", "Ukraine"),
        ("peacekeep", "peacekeepers"),
        ("plan", "plans"),
    ]


def test_seed_sentence_terms_and_positions() -> None:
    """The seed's tricky words become the expected terms at consecutive positions."""
    terms = (
        "meloni attend the uk led virtual summit of the coalit of the will on march 15 "
        "alongsid 24 other nation after ukrain alli met at an eu western summit"
    )
    assert positions_of(SEED) == [(term, pos) for pos, term in enumerate(terms.split(" "))]


def test_folds_accents_of_latin_letters() -> None:
    """Latin accents fold away, whether the text is composed or decomposed."""
    assert analyze("Piñera Concertación Zürich Straße Łódź Nguyễn", stem=False) == (
        "pinera",
        "concertacion",
        "zurich",
        "strasse",
        "lodz",
        "nguyen",
    )
    decomposed = "Pin\u0303era"
    assert spans_of(decomposed) == [("pinera", decomposed)]


def test_other_scripts_are_lowercased_but_not_folded() -> None:
    """Cyrillic keeps "й" and Greek keeps its accents; only the case changes."""
    assert analyze("Зеленський ЙОГО") == ("зеленський", "його")
    assert analyze("Αθήνα") == ("αθήνα",)


def test_cjk_and_devanagari_do_not_crash() -> None:
    """A CJK run is one term and a Hindi word with vowel marks stays whole."""
    assert spans_of("東京都で 会議") == [("東京都で", "東京都で"), ("会議", "会議")]
    assert analyze("हिन्दी") == ("हिन्दी",)


def test_strips_english_possessives() -> None:
    """Straight, curly and plural possessives give the same term as the bare word."""
    assert analyze("Ukraine's Ukraine’s Ukraine UKRAINE'S") == ("ukrain",) * 4
    assert analyze("Peacekeepers' peacekeepers") == ("peacekeep", "peacekeep")
    assert analyze("Ukraine's Peacekeepers'", stem=False) == ("ukraine", "peacekeepers")


def test_joins_other_apostrophes() -> None:
    """Apostrophes inside a word disappear instead of splitting it."""
    assert analyze("O'Brien don't O’Neill Об'єднання Обʼєднання", stem=False) == (
        "obrien",
        "dont",
        "oneill",
        "обєднання",
        "обєднання",
    )


def test_hyphenated_words_become_parts_at_consecutive_positions() -> None:
    """Hyphens split a compound into parts that a phrase query can match."""
    assert positions_of("coalition-of-the-willing") == [
        ("coalit", 0),
        ("of", 1),
        ("the", 2),
        ("will", 3),
    ]
    assert positions_of("EU-Western") == [("eu", 0), ("western", 1)]
    assert positions_of("U.K.-led") == [("uk", 0), ("led", 1)]


def test_dotted_acronyms_are_one_term() -> None:
    """Single letters joined by dots are one term without the dots."""
    assert spans_of("U.K. U.S. U.N.-backed e.g. U.S.Army") == [
        ("uk", "U.K."),
        ("us", "U.S."),
        ("un", "U.N."),
        ("back", "backed"),
        ("eg", "e.g."),
        ("us", "U.S."),
        ("armi", "Army"),
    ]


def test_a_sentence_end_is_not_an_acronym() -> None:
    """ "I.The" (a missing space) is two words, not an acronym."""
    assert analyze("I.The end.") == ("i", "the", "end")


def test_numbers_are_kept() -> None:
    """Years, counts, decimals, thousands and ordinals survive as written (minus commas)."""
    assert spans_of("In 2024, 24 of 1,000 (3.5%) came 5th; 1,000,000.50 in 2024.") == [
        ("in", "In"),
        ("2024", "2024"),
        ("24", "24"),
        ("of", "of"),
        ("1000", "1,000"),
        ("3.5", "3.5"),
        ("came", "came"),
        ("5th", "5th"),
        ("1000000.50", "1,000,000.50"),
        ("in", "in"),
        ("2024", "2024"),
    ]


def test_lists_of_numbers_are_not_glued_into_thousands() -> None:
    """A comma only joins digits in groups of three."""
    assert analyze("2024,2025 1,0000") == ("2024", "2025", "1", "0000")


def test_stop_words_are_kept() -> None:
    """Stop words stay so that phrases are exact."""
    assert analyze("coalition of the willing") == ("coalit", "of", "the", "will")
    assert analyze("coalition of willing") == ("coalit", "of", "will")


def test_snowball_stems_the_peacekeeping_family() -> None:
    """Pins what Snowball English really does to the seed's words."""
    words = "peacekeeper peacekeepers peacekeeping peace guarantees willing backed"
    assert analyze(words) == (
        "peacekeep",
        "peacekeep",
        "peacekeep",
        "peac",
        "guarante",
        "will",
        "back",
    )


def test_plain_analyzer_does_not_stem() -> None:
    """Name fields keep whole words, with the same tokenization."""
    assert plain_analyzer().terms("Peacekeeping U.K.-led Ukraine's") == (
        "peacekeeping",
        "uk",
        "led",
        "ukraine",
    )
    assert analyze("Peacekeeping", stem=False) == ("peacekeeping",)


def test_stemmer_is_injectable() -> None:
    """A custom stemmer replaces Snowball, sees folded words and is skipped when stem=False."""
    seen: list[str] = []

    def first_three(word: str) -> str:
        seen.append(word)
        return word[:3]

    assert NewsAnalyzer(stemmer=first_three).terms("Zürich Zürich peacekeepers") == (
        "zur",
        "zur",
        "pea",
    )
    assert seen == ["zurich", "peacekeepers"]
    assert NewsAnalyzer(stem=False, stemmer=first_three).terms("Zürich") == ("zurich",)


def test_empty_stem_falls_back_to_the_word() -> None:
    """A stemmer that returns "" cannot produce an empty term."""
    assert NewsAnalyzer(stemmer=lambda word: "").terms("news") == ("news",)


def test_memo_cache_is_bounded() -> None:
    """The memo never grows past cache_size and answers stay right after it is emptied."""
    analyzer = NewsAnalyzer(cache_size=3)
    text = "one two three four five six seven peacekeepers"
    assert analyzer.terms(text) == (
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "peacekeep",
    )
    assert len(analyzer._cache) <= 3


@pytest.mark.parametrize("mode", ["", "index", "query"])
def test_same_terms_in_every_mode(mode: str) -> None:
    """Index time and query time see the same terms."""
    assert [t.text for t in stemming_analyzer()(SEED, mode=mode)] == list(analyze(SEED))


@pytest.mark.parametrize("text", ["", " ", "...", "--- ,,, !?", "___", "'s", "’", "\u0301", "\n\t"])
def test_no_terms_without_words(text: str) -> None:
    """Empty and punctuation-only strings give no tokens."""
    assert analyze(text) == ()
    assert list(stemming_analyzer()(text, positions=True, chars=True)) == []


def test_whoosh_token_protocol() -> None:
    """Offsets honour start_pos/start_char, keeporiginal gives the surface, tokens are clean."""
    analyzer = stemming_analyzer()
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar, t.original, t.boost, t.stopped)
        for t in analyzer(
            "Ukraine's allies",
            positions=True,
            chars=True,
            keeporiginal=True,
            start_pos=10,
            start_char=100,
        )
    ]
    assert tokens == [
        ("ukrain", 10, 100, 107, "Ukraine", 1.0, False),
        ("alli", 11, 110, 116, "allies", 1.0, False),
    ]


def test_tokenize_false_gives_one_stemmed_token() -> None:
    """tokenize=False (Whoosh range query ends) treats the value as one term."""
    tokens = [
        (t.text, t.startchar, t.endchar)
        for t in stemming_analyzer()("Peacekeepers", tokenize=False, chars=True, start_char=5)
    ]
    assert tokens == [("peacekeep", 5, 17)]
    assert [t.text for t in stemming_analyzer()(" New York ", tokenize=False)] == ["newyork"]
    assert list(stemming_analyzer()("  ", tokenize=False)) == []


def test_no_morph_skips_stemming() -> None:
    """Whoosh's no_morph flag (used for spelling words) returns unstemmed terms."""
    analyzer = stemming_analyzer()
    assert analyzer.has_morph() and not plain_analyzer().has_morph()
    assert [t.text for t in analyzer("Peacekeepers' U.K.-led", no_morph=True)] == [
        "peacekeepers",
        "uk",
        "led",
    ]


def test_normalize_folds_without_stemming() -> None:
    """normalize() prepares one query word (a prefix) like the index does, minus the stem."""
    analyzer = stemming_analyzer()
    assert analyzer.normalize("Peacekeep") == "peacekeep"
    assert analyzer.normalize("Zürich") == "zurich"
    assert analyzer.normalize("U.K") == "uk"
    assert analyzer.normalize("Peacekeeping") == "peacekeeping"


def test_analyzers_with_the_same_settings_are_equal() -> None:
    """Whoosh compares schemas, so equality follows the settings, not the instance."""
    assert stemming_analyzer() == NewsAnalyzer()
    assert stemming_analyzer() != plain_analyzer()
    assert NewsAnalyzer(cache_size=5) != NewsAnalyzer()
    assert NewsAnalyzer(stemmer=str.upper) != NewsAnalyzer()
    assert stemming_analyzer() != "NewsAnalyzer()"
    assert repr(plain_analyzer()) == "NewsAnalyzer(stem=False, cache_size=100000)"


def test_pickle_keeps_only_the_settings() -> None:
    """A warmed-up analyzer pickles small, unpickles equal and stems again lazily."""
    analyzer = stemming_analyzer()
    analyzer.terms(SEED * 20)
    data = pickle.dumps(analyzer)
    assert len(data) < 200
    assert b"ukrain" not in data
    clone = pickle.loads(data)
    assert clone == analyzer
    assert clone._cache == {}
    assert clone.terms(SEED) == analyzer.terms(SEED)


def test_pickle_keeps_a_picklable_injected_stemmer() -> None:
    """An injected module-level stemmer survives the round trip."""
    clone = pickle.loads(pickle.dumps(NewsAnalyzer(stemmer=str.upper)))
    assert clone.terms("Zürich") == ("ZURICH",)


def test_whoosh_indexes_and_finds_with_the_analyzer() -> None:
    """A RAM index finds terms and phrases, stores char offsets and reopens an equal schema."""
    schema = Schema(
        id=ID(stored=True), body=TEXT(analyzer=stemming_analyzer(), chars=True, stored=True)
    )
    storage = RamStorage()
    index = storage.create_index(schema)
    with index.writer() as writer:
        writer.add_document(id="a", body=SEED)
        writer.add_document(id="b", body="A coalition of willing states and Ukraine.")
    index = storage.open_index()
    assert index.schema["body"].analyzer == stemming_analyzer()
    parser = QueryParser("body", index.schema)
    with index.searcher() as searcher:

        def ids(query: object) -> list[str]:
            return sorted(hit["id"] for hit in searcher.search(query))

        assert ids(Term("body", "ukrain")) == ["a", "b"]
        assert ids(Phrase("body", ["coalit", "of", "the", "will"])) == ["a"]
        assert ids(parser.parse('"Coalition of the Willing"')) == ["a"]
        assert ids(parser.parse("Ukraine's AND U.K.-led")) == ["a"]
        matcher = searcher.reader().postings("body", "ukrain")
        assert matcher.id() == 0
        assert [(pos, SEED[start:end]) for pos, start, end in matcher.value_as("characters")] == [
            (21, "Ukraine")
        ]
        [hit] = searcher.search(parser.parse("U.K. Ukraine's"), terms=True)
        assert hit["id"] == "a"
        assert hit.highlights("body", top=2) == (
            'Meloni attended the <b class="match term0">U.K.</b>-led virtual summit...'
            'other nations, after <b class="match term1">Ukraine</b>\'s allies met at an'
        )


@pytest.mark.slow
@settings(deadline=None)
@given(st.one_of(st.text(), TRICKY))
def test_spans_are_ordered_in_bounds_and_clean(text: str) -> None:
    """For any text, spans are ordered, disjoint, in bounds; terms are non-empty words."""
    spans = list(stemming_analyzer().spans(text))
    end_of_previous = 0
    for term, start, end in spans:
        assert end_of_previous <= start < end <= len(text)
        assert term and not any(char.isspace() for char in term)
        end_of_previous = end
    assert analyze(text) == tuple(term for term, _, _ in spans)


@settings(deadline=None)
@given(st.one_of(st.text(), TRICKY), st.integers(0, 1000))
def test_positions_are_consecutive(text: str, start_pos: int) -> None:
    """Positions count up by one from start_pos, and terms match spans()."""
    analyzer = plain_analyzer()
    tokens = [(t.text, t.pos) for t in analyzer(text, positions=True, start_pos=start_pos)]
    assert [pos for _, pos in tokens] == list(range(start_pos, start_pos + len(tokens)))
    assert tuple(term for term, _ in tokens) == analyzer.terms(text)


@settings(deadline=None)
@given(st.one_of(st.text(), TRICKY))
def test_pickled_analyzer_gives_the_same_terms(text: str) -> None:
    """A pickle round trip never changes the terms."""
    analyzer = stemming_analyzer()
    assert pickle.loads(pickle.dumps(analyzer)).terms(text) == analyzer.terms(text)


@pytest.mark.slow  # every code point
def test_every_character_folding_to_ascii_is_a_candidate_word_start():
    """A word starting with any non-ASCII word character that folds to an ASCII letter or
    digit is found by the highlighting scan for its term (so skipping other scripts never
    skips a match): every code point, grouped by the letter it folds to."""
    analyzer = stemming_analyzer()
    groups: dict[str, list[str]] = {}
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        folded = _fold(char)
        if re.match(r"\w", char) and folded and folded[0].isascii() and folded[0].isalnum():
            groups.setdefault(folded[0], []).append(char)
    assert len(groups) >= 36 and sum(map(len, groups.values())) > 1500
    missed = []
    for words in groups.values():
        text = " ".join(f"{char}zz" for char in words)
        heads = frozenset(term for word in text.split() for term in analyzer.terms(word))
        found = {text[s:e] for _t, s, e in analyzer.spans_starting(text, heads)}
        missed += [hex(ord(word[0])) for word in text.split() if word not in found]
    assert missed == []


def test_highlight_scan_skips_other_scripts_but_not_accents():
    """Scanning for words starting with ``s``: Devanagari is skipped, ``Ｓ`` and ``ſ`` are not."""
    analyzer = stemming_analyzer()
    text = "सरकार ने कहा Ｓtate ſtate Śtate स्टेट state"
    terms = [term for term, _start, _end in analyzer.spans_starting(text, frozenset("s"))]
    assert terms == ["state", "state", "state", "state"]
    # with a non-ASCII initial, every non-ASCII word start is scanned
    found = [term for term, _s, _e in analyzer.spans_starting(text, frozenset("स"))]
    assert "सरकार" in found


def test_mark_table_holds_this_pythons_unicode_version():
    """The table of combining marks has this Python's Unicode version, equal to a scan."""
    assert unicodedata.unidata_version in marks._RANGES
    assert marks.mark_ranges() == marks.scan()
    assert any(first <= 0x0303 <= last for first, last in marks.mark_ranges())  # a tilde


@pytest.mark.slow  # every text of the sample
def test_texts_without_combining_marks_are_read_with_the_unmarked_pattern() -> None:
    """The pattern without marks gives the same tokens as the full one on every text of the
    bundled sample that has no combining mark; a text with one is read with the full one."""
    assert min(first for first, _last in marks.mark_ranges()) > 0x7F  # ASCII has none
    (sample,) = [path for path in sample_paths() if path.name.endswith(".jsonl.gz")]
    unmarked = 0
    with gzip.open(sample, "rt", encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            text = f"{article['title']}\n{article['body']}"
            pattern = _tokens_in(text)
            if any(unicodedata.combining(c) for c in text):
                assert pattern is _TOKEN
            if pattern is _UNMARKED_TOKEN:
                unmarked += 1
                assert _UNMARKED_TOKEN.findall(text) == _TOKEN.findall(text)
    assert unmarked > 900
    for text in [
        "Pin\u0303era won",
        "ASCII first, then ka\u0301",
        "\u0915\u093f\u0924\u093e\u092c",
    ]:
        assert _tokens_in(text) is _TOKEN
        assert _UNMARKED_TOKEN.findall(text) != _TOKEN.findall(text)


@given(st.one_of(st.text(), TRICKY))
def test_the_pattern_chosen_for_a_text_finds_the_full_patterns_tokens(text: str) -> None:
    assert [m.span() for m in _tokens_in(text).finditer(text)] == [
        m.span() for m in _TOKEN.finditer(text)
    ]


def test_unicode_version_missing_from_the_table_is_scanned(monkeypatch):
    """A Unicode version the table lacks gets its marks by scanning, as before the table."""
    monkeypatch.setattr(marks, "_RANGES", {})
    assert marks.mark_ranges() == marks.scan()
    assert marks.entry().startswith(f'    "{unicodedata.unidata_version}": "300-36f ')


# --- importing Whoosh without its unused imports (_lean) ----------------------------------------

_LEAN_SEARCH = """
import sys, tempfile
import newsindex
deferred = ("asyncio", "urllib.request", "whoosh.lang.morph_en")
print(*[name in sys.modules for name in deferred])
news = newsindex.NewsIndex.create(tempfile.mkdtemp() + "/index")
news.add([newsindex.Article(id=f"a{n}", title=f"Truce {n}", body="Talks went on.") for n in (1, 2)])
news.delete(["a1"])
print(*[hit.id for hit in news.search("truce").hits])
print("asyncio" in sys.modules)
import cached_property, whoosh.compat, whoosh.query.terms
from whoosh.lang.morph_en import variations
print(whoosh.query.terms.variations("run") == variations("run"))
import asyncio
print(cached_property.asyncio.iscoroutinefunction is asyncio.iscoroutinefunction)
print(whoosh.compat.urlretrieve.__name__, sys.modules["urllib.request"].__file__ is not None)
"""


def run_python(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; its output's lines."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.splitlines()


def test_whoosh_imports_without_its_unused_modules():
    """`import newsindex` loads no asyncio, urllib.request or morph_en; all work when used."""
    # Searching a segment with a deleted article reads a cached property, which asks asyncio.
    assert run_python(_LEAN_SEARCH) == [
        "False False False",
        "a2",
        "True",
        "True",
        "True",
        "urlretrieve True",
    ]


def test_whoosh_imports_as_usual_beside_other_threads():
    """With another thread running, no stand-in is used: Whoosh's imports load at once."""
    code = (
        "import sys, threading\n"
        "done = threading.Event()\n"
        "threading.Thread(target=done.wait).start()\n"
        "import newsindex\n"
        "done.set()\n"
        "import cached_property, whoosh.compat\n"
        "print('asyncio' in sys.modules, 'urllib.request' in sys.modules)\n"
        "print(type(cached_property.asyncio).__name__, whoosh.compat.urlretrieve.__module__)\n"
    )
    assert run_python(code) == ["True True", "module urllib.request"]


_OLD_FOLDS_TO_ASCII = (
    "\u0080-\u02ff\u1d00-\u1eff\u2000-\u24ff\u2c60-\u2c7f\u3200-\u32ff\ua700-\ua7ff"
    "\uab30-\uab6f\ufb00-\ufb06\uff00-\uffef\U00010780-\U000107bf\U0001d400-\U0001d7ff"
    "\U0001f100-\U0001f1ff\U0001fbf0-\U0001fbf9"
)
"""The blocks of non-ASCII characters the scan by first letter alone took as candidates
(those that may fold to an ASCII letter or digit)."""


def _heads_of(terms: list[str]) -> st.SearchStrategy[frozenset[str]]:
    """Sets of the given terms' prefixes, and of a few others."""
    words = st.sampled_from([*terms, "a", "s", "é", "1", "sa", "ass", "use"])
    prefix = words.flatmap(lambda word: st.integers(1, len(word)).map(lambda n: word[:n]))
    return st.frozensets(prefix, min_size=1, max_size=3)


@settings(deadline=None)
@given(
    text=st.one_of(st.text(), TRICKY, st.text(alphabet=st.sampled_from(list("aSs.'’- ÉéŠ१Ａ")))),
    data=st.data(),
)
def test_highlight_scan_finds_every_word_that_may_start_with_a_head(text, data):
    """Each word the scan by first letter alone found (one pattern that looks ahead for a
    candidate letter and behind for the word start) and whose term starts with a head is
    still found when the next letters are checked, and by the patterns one per letter."""
    analyzer = stemming_analyzer()
    heads = data.draw(_heads_of(sorted(set(analyzer.terms(text)))))
    letters = "".join(sorted({c for head in heads for c in (head[0], head[0].upper())}))
    others = _OLD_FOLDS_TO_ASCII if letters.isascii() else "\u0080-\U0010ffff"
    one = re.compile(rf"(?=[{re.escape(letters)}{others}])(?<![^\W_])(?:{_TOKEN.pattern})")
    wanted = [
        match.span()
        for match in one.finditer(text)
        if any(term.startswith(tuple(heads)) for term in analyzer.terms(match.group()))
    ]
    for depth in (1, 3):
        found = {match.span() for match in _tokens_starting_with(text, heads, depth)}
        assert [span for span in wanted if span not in found] == []


@pytest.mark.slow  # every word of the sample
def test_highlight_scan_finds_every_word_of_the_sample_by_its_stem() -> None:
    """Every word of the bundled sample is a candidate for its own stem, checked on its first
    three letters: Snowball's changes there are allowed for (``dying`` -> ``die``)."""
    analyzer = stemming_analyzer()
    words: set[str] = set()
    (sample,) = [path for path in sample_paths() if path.name.endswith(".jsonl.gz")]
    with gzip.open(sample, "rt", encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            words.update(_TOKEN.findall(f"{article['title']}\n{article['body']}"))
    assert len(words) > 30_000
    stems = sorted((term, word) for word in words for term in analyzer.terms(word)[:1])
    missed = [
        (word, term)
        for term, word in stems
        if [m.span() for m in _tokens_starting_with(word, frozenset([term]), 3)] != [(0, len(word))]
    ]
    assert missed == []


@pytest.mark.slow  # every word of up to four letters of the alphabet
def test_snowball_keeps_the_first_three_letters_but_for_y_i_and_an_added_e() -> None:
    """All words of up to four letters from an alphabet of vowels and common consonants, and
    those letters before each ending Snowball removes: the candidate patterns for a word's
    stem (its first three letters) match the word, from the first letter on."""
    stem = stemming_analyzer().terms
    letters = "aeiouybcdlnrst"
    endings = [
        "s",
        "es",
        "ies",
        "ied",
        "ing",
        "ingly",
        "ed",
        "edly",
        "eed",
        "eedly",
        "ly",
        "li",
        "y",
        "e",
        "al",
        "ance",
        "ence",
        "er",
        "ic",
        "able",
        "ible",
        "ant",
        "ement",
        "ment",
        "ent",
        "ism",
        "ate",
        "iti",
        "ous",
        "ive",
        "ize",
        "ion",
        "ational",
        "tional",
        "ization",
        "ation",
        "ator",
        "alism",
        "aliti",
        "alli",
        "fulness",
        "ousli",
        "ousness",
        "iveness",
        "iviti",
        "biliti",
        "bli",
        "ogi",
        "fulli",
        "lessli",
        "entli",
        "enci",
        "anci",
        "abli",
        "izer",
        "alize",
        "icate",
        "iciti",
        "ical",
        "ful",
        "ness",
        "ative",
    ]
    words = {"".join(w) for n in range(1, 5) for w in itertools.product(letters, repeat=n)}
    words.update(
        "".join(w) + ending
        for n in range(3)
        for w in itertools.product("aeyst", repeat=n)
        for ending in endings
    )
    words.update(["dying", "lying", "tying", "skies", "skis", "using", "idly", "gently"])
    stems = sorted((term, word) for word in words for term in stem(word)[:1])
    assert ("die", "dying") in stems and ("sky", "skies") in stems and ("use", "using") in stems
    missed = [
        (word, term)
        for term, word in stems
        if not any(p.match(word) for p in _candidate_words((term[:3],), ""))
    ]
    assert missed == []


def test_a_candidate_lets_through_what_folding_drops_and_all_non_ascii():
    """The class written as ASCII ranges holds exactly the characters `_normalize` strips from
    a word and every non-ASCII one (checked here, since the two are written apart)."""
    dropped = re.compile(_DROPPED_OR_OTHER)
    stripped = {chr(code) for code in _STRIP_WORD}
    assert [c for c in map(chr, range(128)) if dropped.match(c)] == sorted(
        c for c in stripped if c.isascii()
    )
    assert all(dropped.match(chr(code)) for code in range(128, sys.maxunicode + 1, 97))
    assert all(dropped.match(c) for c in stripped)


def test_highlight_scan_checks_the_next_letters() -> None:
    """Only the words whose first three letters may lead to a head are matched and stemmed;
    a dot, an apostrophe or a non-ASCII letter lets the word through."""
    analyzer = stemming_analyzer()
    text = "Hariri had hard words; HARIRI's ally, H.A.R. and Ḥariri, Hāriri, har."
    found = [text[s:e] for _t, s, e in analyzer.spans_starting(text, frozenset(["harir"]))]
    assert found == ["Hariri", "hard", "HARIRI", "H.A.R.", "Ḥariri", "Hāriri", "har"]
    # a stemmer passed in is trusted with the first letter only
    custom = NewsAnalyzer(stemmer=str.upper)
    found = [text[s:e] for _t, s, e in custom.spans_starting(text, frozenset(["harir"]))]
    assert found[:3] == ["Hariri", "had", "hard"]
