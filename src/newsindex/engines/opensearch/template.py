"""The index an OpenSearch engine writes to: settings, analyzers that mirror newsindex's, mappings.

Queries reach OpenSearch already analysed by newsindex's own analyzer (one source of truth), so
the text fields search with ``news_terms``, which passes terms through as they are; the index
side, ``news_text``, must make the same terms from an article as
:func:`newsindex.analysis.analyze` does. It is built from OpenSearch's built-ins:

- a ``pattern_replace`` character filter drops possessives (``Ukraine's`` -> ``Ukraine``);
- a ``pattern`` tokenizer with the same expression as newsindex's finds words, dotted acronyms
  (``U.K.``), numbers with separators (``1,000``, ``3.5``) and inner apostrophes (``O'Brien``),
  and splits hyphenated words into their parts;
- ``lowercase`` and ``asciifolding`` fold case and Latin accents;
- two ``pattern_replace`` filters drop apostrophes and commas, and the dots of acronyms (numbers
  keep theirs);
- ``snowball`` English stems, after a rule for short words with a doubled consonant
  (``added`` -> ``ad``), where NLTK's Snowball and Lucene's differ. No stop filter: phrases
  keep their stop words.

Name fields (author, source, section, tag, url) use ``news_plain``, the same without
stemming, and keep the whole value in a ``raw`` keyword sub-field for terms aggregations and
``collapse``. Title and body have an ``exact`` sub-field of unstemmed forms, and a ``pairs``
sub-field holding the local engine's word pairs (:mod:`newsindex.analysis.pairs`): ``news_pairs``
is ``news_text`` followed by a ``shingle`` filter making each two neighbouring terms one term,
joined by a space (no filler: no filter before it drops a word, so no shingle spans a gap), and
a ``stop`` filter whose stop words are every pair of two common terms.
"""

from __future__ import annotations

import itertools
from typing import Any

from newsindex.analysis.pairs import PAIR_SEPARATOR
from newsindex.engines.opensearch.proximity import COMMON_TERMS

__all__ = [
    "ANALYZER_SETTINGS",
    "BM25_B",
    "BM25_K1",
    "COMMON_PAIRS",
    "TEMPLATE_VERSION",
    "index_body",
]

TEMPLATE_VERSION = 2
"""The version of the index layout, kept in the mapping's ``_meta``: an index made with another
version is refused rather than searched wrongly."""

BM25_B = 0.6
"""BM25's length normalisation, the local engine's."""

BM25_K1 = 1.2
"""BM25's term frequency saturation, the local engine's."""

COMMON_PAIRS = tuple(
    first + PAIR_SEPARATOR + second
    for first, second in itertools.product(sorted(COMMON_TERMS), repeat=2)
)
"""The pairs of two common terms, which the local engine does not index: the ``pairs``
sub-fields' stop words."""

_WORD = r"[\p{L}\p{N}]+(?:\p{M}+[\p{L}\p{N}]*)*"
_NOT_WORD_NEXT = r"(?![\p{L}\p{N}])"
_TOKEN = "|".join(
    [
        # U.K. / e.g. / U.S (single letters joined by dots)
        rf"\p{{L}}(?=\.\p{{L}})(?:\.\p{{L}})+{_NOT_WORD_NEXT}\.?",
        # 1,000 / 1,000.5 / 3.5 / 3.5bn: the separators belong to the number
        r"(?=\p{Nd}+[.,]\p{Nd})(?:\p{Nd}{1,3}(?:,\p{Nd}{3})+(?!\p{Nd})(?:\.\p{Nd}+)?"
        r"|\p{Nd}+(?:\.\p{Nd}+)+)[\p{L}\p{N}]*",
        # words, with inner apostrophes joined (O'Brien, don't)
        rf"{_WORD}(?:['\u2019](?![sS]{_NOT_WORD_NEXT}){_WORD})*",
    ]
)

_PLAIN_FILTERS = ("lowercase", "asciifolding", "news_separators", "news_dots")
"""The token filters every analyzer of newsindex's text starts with (all of ``news_plain``)."""

_TEXT_FILTERS = (*_PLAIN_FILTERS, "news_short_doubled", "news_snowball")
"""``news_text``'s token filters: the plain ones, then stemming."""


def _chain(*filters: str) -> dict[str, Any]:
    """A custom analyzer: newsindex's tokenizer and possessive rule, then ``filters``."""
    return {
        "type": "custom",
        "char_filter": ["news_possessive"],
        "tokenizer": "news_words",
        "filter": list(filters),
    }


ANALYZER_SETTINGS: dict[str, Any] = {
    "char_filter": {
        "news_possessive": {
            "type": "pattern_replace",
            "pattern": rf"['\u2019][sS]{_NOT_WORD_NEXT}",
            "replacement": "",
        }
    },
    "tokenizer": {"news_words": {"type": "pattern", "pattern": _TOKEN, "group": 0}},
    "filter": {
        "news_separators": {
            "type": "pattern_replace",
            "pattern": "['\u2019\u02bc,]",
            "replacement": "",
        },
        # A dot stays only in a number (3.5); in a word it comes from an acronym (U.K.).
        "news_dots": {
            "type": "pattern_replace",
            "pattern": r"^(\p{Nd}.*)$|\.",
            "replacement": "$1",
        },
        # NLTK undoubles the consonant of a short stem (added -> ad), Lucene's Snowball keeps
        # it (add): the word is cut to the stem NLTK gives, which Snowball leaves alone.
        "news_short_doubled": {
            "type": "pattern_replace",
            "pattern": r"^([aeiouy])([bdfgmnprt])\2(?:ed|edly|ing|ingly)$",
            "replacement": "$1$2",
        },
        "news_snowball": {"type": "snowball", "language": "English"},
        "news_shingles": {
            "type": "shingle",
            "min_shingle_size": 2,
            "max_shingle_size": 2,
            "output_unigrams": False,
            "token_separator": PAIR_SEPARATOR,
            "filler_token": "",
        },
        "news_common_pairs": {"type": "stop", "stopwords": list(COMMON_PAIRS)},
    },
    "analyzer": {
        "news_text": _chain(*_TEXT_FILTERS),
        "news_pairs": _chain(*_TEXT_FILTERS, "news_shingles", "news_common_pairs"),
        "news_plain": _chain(*_PLAIN_FILTERS),
        # Query terms come analysed by newsindex: they are searched as they are.
        "news_terms": {"type": "custom", "tokenizer": "whitespace"},
    },
}
"""The analysis section of the index settings."""


def _text(analyzer: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": analyzer,
        "search_analyzer": "news_terms",
        **extra,
    }


def _name() -> dict[str, Any]:
    return _text("news_plain", fields={"raw": {"type": "keyword", "ignore_above": 1024}})


def index_body(
    *,
    shards: int = 1,
    replicas: int = 0,
    combined_fields: bool = True,
    percolator: bool = False,
) -> dict[str, Any]:
    """The body of a create-index request for articles.

    ``combined_fields``: the server has the query of that name (3.2 and later); without it,
    title and body are also copied to a ``text`` field that ranked queries score as one.
    ``percolator``: the server has the percolator module; saved searches then go in the
    ``saved_query`` field and are matched against new articles.
    """
    sub_fields = {
        "exact": _text("news_plain"),
        # The proximity clauses' terms: counts, lengths and document frequencies as the local
        # pairs fields have them (index_phrases keeps every pair, two common terms too).
        "pairs": {
            "type": "text",
            "analyzer": "news_pairs",
            "search_analyzer": "keyword",
            "index_options": "freqs",
        },
    }
    # index_phrases: neighbouring terms also indexed as one, so an exact two-word phrase is
    # one term lookup.
    copy: dict[str, Any] = {"index_phrases": True}
    if not combined_fields:
        copy["copy_to"] = "text"
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "title": _text("news_text", fields=sub_fields, **copy),
        "body": _text("news_text", fields=sub_fields, **copy),
        "url": _name(),
        "author": _name(),
        "source": _name(),
        "section": _name(),
        "tag": _name(),
        "published": {"type": "date"},
        "language": {"type": "keyword"},
    }
    if not combined_fields:
        properties["text"] = _text("news_text")
    if percolator:
        properties["saved_query"] = {"type": "percolator"}
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # The default similarity, not one per field: combined_fields scores with the
                # index's default and ignores a field's own.
                "similarity": {"default": {"type": "BM25", "b": BM25_B, "k1": BM25_K1}},
            },
            "analysis": ANALYZER_SETTINGS,
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"newsindex_template": TEMPLATE_VERSION},
            "properties": properties,
        },
    }
