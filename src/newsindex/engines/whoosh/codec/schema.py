"""The Whoosh schema, and the mapping between an :class:`Article` and a stored index document."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from whoosh import fields, formats

from newsindex.analysis.analyzer import NewsAnalyzer, plain_analyzer, stemming_analyzer
from newsindex.analysis.pairs import common_terms, pair_positions
from newsindex.fields import DATE_FIELD
from newsindex.models import Article

__all__ = [
    "ARRAY_BLOCKS_FROM",
    "BLOCK_PROTOCOL",
    "EXACT_FIELDS",
    "META_FILE",
    "PAIR_FIELDS",
    "SCHEMA_VERSION",
    "TITLE_ONLY_FIELD",
    "UNDATED",
    "build_schema",
    "form_counts",
    "from_stored",
    "to_document",
]

META_FILE = "newsindex.json"
"""Beside Whoosh's files: which newsindex schema version wrote the index."""

SCHEMA_VERSION = 6
"""Bumped whenever the fields, the analysis or the way ids are made change in a way old
indexes cannot serve (2: the ``title_only`` field; 3: ids from URLs leave out tracking
parameters and fragments, so ``reindex`` makes such ids again; 4: the ``title_pairs`` and
``body_pairs`` fields; 5: the pairs' positions; 6: the ``title_exact`` and ``body_exact``
fields)."""


TITLE_ONLY_FIELD = "title_only"
"""The terms of an article's title that its body does not hold, document numbers only. With it
the number of articles a bare word matches in title or body is known without reading the body's
postings: the body's document frequency plus this field's (see :class:`TitleOnly`)."""

PAIR_FIELDS = {"title": "title_pairs", "body": "body_pairs"}
"""The field holding the adjacent word pairs of each text field (see :class:`Pairs`)."""

EXACT_FIELDS = {"title": "title_exact", "body": "body_exact"}
"""The field holding the unstemmed words of each text field (see :class:`Forms`)."""

UNDATED = 2**63
"""Date-column values at or above this mean "no date": Whoosh fills the column of an undated
article with 2**64 - 1 (its largest date)."""

BLOCK_PROTOCOL = 4
"""The pickle protocol of newsindex's posting blocks, each a pickled ``(ids, weights, values)``
tuple. Whoosh writes protocol 2, which stores each position value (a bytes object) as a call
to ``_codecs.encode``; from protocol 3 on bytes are stored as bytes. Protocol 4 makes
Wikinews's blocks 36% smaller before zlib and 46% after, 4 times as fast to pickle and 5 times
as fast to unpickle. Whoosh's reader unpickles any protocol."""

ARRAY_BLOCKS_FROM = 32
"""Posting blocks with at least this many postings keep their delta-coded ids and their
weights in arrays, which the query layer reads without unpickling the position values
(``.blocks``); smaller blocks keep them in tuples, as Whoosh's writer does.
An array pickles as a call to its reconstructor, which costs the same for one posting as for
a hundred: tuples of fewer than 32 take a quarter to a half of the time to pickle and to
unpickle, and fewer bytes after zlib. Most terms have a few postings, in one block."""


class TitleOnly(fields.FieldType):
    """The ``title_only`` field: indexed from ``(title, body)``, the terms of the title the body
    lacks; not stored, not scored. newsindex's writer derives the same terms from the title's
    and body's postings instead of analysing the text again."""

    def __init__(self, analyzer: NewsAnalyzer) -> None:
        super().__init__(formats.Existence(), analyzer)

    def index(self, value: tuple[str, str], **kwargs: Any):
        title, body = value
        inside = set(self.analyzer.terms(body))
        for term in dict.fromkeys(self.analyzer.terms(title)):
            if term not in inside:
                yield term.encode("utf-8"), 1, 1.0, b""


class Pairs(fields.FieldType):
    """A ``*_pairs`` field: indexed from a text field's value, its adjacent terms joined as one
    term (:func:`newsindex.analysis.pairs.pair_positions`) with the positions of the pair's
    first term, weighted by how often the pair occurs, with the number of pairs as the field's
    length (scored with BM25 like a word); not stored. newsindex's writer derives the same
    terms from the text field's analysed terms instead of analysing the text again."""

    def __init__(self, analyzer: NewsAnalyzer) -> None:
        super().__init__(formats.Positions(), analyzer, scorable=True)

    def index(self, value: str, **kwargs: Any):
        where = pair_positions(self.analyzer.terms(value), common_terms(self.analyzer))
        for pair in sorted(where):
            found = where[pair]
            yield pair.encode("utf-8"), len(found), float(len(found)), self.format.encode(found)


class Forms(fields.FieldType):
    """An ``*_exact`` field: indexed from a text field's value, its words folded as the text
    field folds them but not stemmed (the analyzer given is the unstemmed one), each weighted
    by how often it occurs, with the number of words as the field's length (scored with BM25
    like a word); no positions, not stored. A query word adds its score here as an exact-form
    boost (:mod:`newsindex.engines.whoosh.exact`)."""

    def __init__(self, analyzer: NewsAnalyzer) -> None:
        super().__init__(formats.Existence(), analyzer, scorable=True)

    def index(self, value: str, **kwargs: Any):
        for form, count in form_counts(self.analyzer, value).items():
            yield form.encode("utf-8"), count, float(count), b""


def form_counts(analyzer: NewsAnalyzer, text: str) -> dict[str, int]:
    """Each word of ``text`` as ``analyzer`` makes it a term, and how often it occurs."""
    counts: dict[str, int] = {}
    for form in analyzer.terms(text):
        counts[form] = counts.get(form, 0) + 1
    return counts


# A table of contents pickles the schema, naming each field's and analyzer's class by module.
# They are written under fixed names, whatever module defines the class now, so that moving a
# module never makes an index unreadable: ``newsindex.schema`` (this module's name when the
# first indexes were written, kept importable here) and ``newsindex.analysis``.
TitleOnly.__module__ = Pairs.__module__ = Forms.__module__ = "newsindex.schema"
sys.modules.setdefault("newsindex.schema", sys.modules[__name__])


def build_schema(
    text_analyzer: NewsAnalyzer | None = None, name_analyzer: NewsAnalyzer | None = None
) -> fields.Schema:
    """The schema of a newsindex index; analyzers are injectable for tests and other languages."""
    text = text_analyzer or stemming_analyzer()
    names = name_analyzer or plain_analyzer()
    # The text fields' analysis without its stemmer: the forms a query word is typed in.
    forms = NewsAnalyzer(stem=False, cache_size=text.cache_size)
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        title=fields.TEXT(analyzer=text, stored=True, phrase=True),
        body=fields.TEXT(analyzer=text, stored=True, phrase=True),
        title_only=TitleOnly(text),
        title_pairs=Pairs(text),
        body_pairs=Pairs(text),
        title_exact=Forms(forms),
        body_exact=Forms(forms),
        author=fields.TEXT(analyzer=names, stored=True, phrase=True),
        source=fields.TEXT(analyzer=names, stored=True, phrase=True),
        section=fields.TEXT(analyzer=names, stored=True, phrase=True),
        tag=fields.TEXT(analyzer=names, stored=True, phrase=True),
        url=fields.TEXT(analyzer=names, stored=True, phrase=True),
        published=fields.DATETIME(stored=True, sortable=True),
        language=fields.ID(stored=True),
    )


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def to_document(article: Article) -> dict[str, Any]:
    """Keyword arguments for ``writer.add_document``.

    Multi-valued fields are indexed as newline-joined text and stored as tuples; the date is
    indexed and stored as naive UTC (Whoosh's DATETIME has no zones), so it reads back in UTC.
    """
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        TITLE_ONLY_FIELD: (article.title, article.body),
        PAIR_FIELDS["title"]: article.title,
        PAIR_FIELDS["body"]: article.body,
        EXACT_FIELDS["title"]: article.title,
        EXACT_FIELDS["body"]: article.body,
        "language": article.language,
        "author": "\n".join(article.authors),
        "_stored_author": article.authors,
        "tag": "\n".join(article.tags),
        "_stored_tag": article.tags,
    }
    for name in ("source", "section", "url"):
        value = getattr(article, name)
        if value:
            doc[name] = value
    if article.published is not None:
        doc[DATE_FIELD] = _naive_utc(article.published)
    return doc


def from_stored(stored: dict[str, Any]) -> Article:
    """Rebuild the :class:`Article` from a document's stored fields."""
    return Article(
        id=stored["id"],
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        url=stored.get("url"),
        published=stored.get(DATE_FIELD),
        authors=stored.get("author", ()),
        source=stored.get("source"),
        section=stored.get("section"),
        tags=stored.get("tag", ()),
        language=stored.get("language", "en"),
    )
