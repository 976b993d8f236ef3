"""The exact-form boost: an article holding a query word in the very form typed scores higher.

Snowball makes one term of ``willing`` and ``will`` (``will``), so the word ``willing`` matches
every article with ``will`` and scores them alike. The index also keeps each text field's words
unstemmed (``title_exact``, ``body_exact``: :class:`~.codec.schema.Forms`), and a required
query word typed in a form other than its stem (:attr:`Term.form
<newsindex.query.tree.Term.form>`) adds that form looked up there, scored with BM25 like a word,
weighted :data:`EXACT_WEIGHT`, in the title with the title's boost, where the form
is in few of its stem's articles (:data:`MAX_FORM_SHARE`). Like the word pairs of
:mod:`.proximity` it is optional evidence (Whoosh's ``AndMaybe``): it adds to the score of
articles the query matches and never changes which match (an article holding a word's form
holds its stem as well). This is Elasticsearch's stemmed field queried together with an
unstemmed sub-field; the OpenSearch engine queries its ``exact`` sub-fields the same way.

Ranked any-word queries (a description, pasted prose) get no boost: the form a word takes in a
description says little about the articles wanted, and on the test collections, whose queries
are all descriptions, the boost lost more than it gained (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from whoosh import query as wq

from newsindex.engines.whoosh.codec.schema import EXACT_FIELDS
from newsindex.engines.whoosh.compile import TITLE_BOOST, ProximityQuery, TermQuery, either
from newsindex.query.tree import And, Node, Or, Term

__all__ = ["EXACT_WEIGHT", "MAX_FORM_SHARE", "query_forms", "with_exact"]

MAX_FORM_SHARE = 0.25
"""A form adds its score only where at most this share of the articles holding its stem hold
it (document frequencies, the larger of title's and body's, as for words): ``willing`` is in
about 4% of the Wikinews articles stemmed ``will``, and telling them apart is the point;
``minister`` is in most of those stemmed ``minist``, where the boost would reorder little and
read a second posting list as long as the word's (at 16×, page 50 of such a word took twice
the time)."""

EXACT_WEIGHT = 0.1
"""A form's BM25 score counts this much against a word's (measured in
``benchmarks/RESULTS.md``)."""


def _words(node: Node) -> Iterable[Term]:
    """The words a query tree requires or allows (not those it excludes)."""
    if isinstance(node, (And, Or)):
        for item in node.items:
            yield from _words(item)
    elif isinstance(node, Term):
        yield node


def query_forms(tree: Node, reader: Any = None) -> tuple[tuple[str | None, str, float], ...]:
    """``(field, form, boost)`` of each word of ``tree`` (not excluded) typed in title or
    body in another form than its stem, each form once; with a ``reader``, only where the
    form tells its articles apart: in at most :data:`MAX_FORM_SHARE` of its stem's."""
    found: dict[tuple[str | None, str], float] = {}
    for word in _words(tree):
        if word.form is not None and word.form != word.text and word.field in (None, *EXACT_FIELDS):
            if (word.field, word.form) in found:
                continue
            if reader is None or _telling(reader, word):
                found[(word.field, word.form)] = word.boost
    return tuple((field, form, boost) for (field, form), boost in found.items())


def _telling(reader: Any, word: Term) -> bool:
    """Whether ``word``'s form is in few enough of its stem's articles to be worth its cost."""
    assert word.form is not None
    names = (word.field,) if word.field else tuple(EXACT_FIELDS)
    form = max(reader.doc_frequency(EXACT_FIELDS[name], word.form) for name in names)
    stem = max(reader.doc_frequency(name, word.text) for name in names)
    return 0 < form <= MAX_FORM_SHARE * stem


def with_exact(query: wq.Query, forms: tuple[tuple[str | None, str, float], ...]) -> wq.Query:
    """``query`` with ``forms`` (see :func:`query_forms`) adding to the scores of its matches:
    each form in the exact field of each field its word is searched in."""
    if not forms:
        return query
    clauses = [
        TermQuery(EXACT_FIELDS[name], form, boost=weight * boost * EXACT_WEIGHT)
        for field, form, boost in forms
        for name, weight in (((field, 1.0),) if field else (("title", TITLE_BOOST), ("body", 1.0)))
    ]
    return ProximityQuery(query, either(clauses))
