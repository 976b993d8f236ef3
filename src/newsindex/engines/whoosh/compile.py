"""Compiling a parsed query tree to Whoosh queries.

Besides Whoosh's own query classes, six of newsindex's: :class:`TermQuery` (Whoosh's, looking the
term up once per segment), :class:`AndQuery` and :class:`ProximityQuery` (Whoosh's ``And`` and
``AndMaybe``, with matchers that do no work when built for term-at-a-time evaluation),
:class:`DateFiltered` (a date clause checked against each candidate's date instead of expanded
into index terms), :class:`AndNotQuery` (Whoosh's, with the first candidate checked too) and
:class:`PhraseQuery` (Whoosh's, checking an exact phrase's positions as sets).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3TermsReader
from whoosh.matching import AndMaybeMatcher, IntersectionMatcher
from whoosh.query.spans import Span, SpanNear2
from whoosh.reading import TermNotFound
from whoosh.util.times import datetime_to_long

from newsindex.analysis.pairs import common_terms, pair_term
from newsindex.engines.whoosh.codec.columns import date_order, dates
from newsindex.engines.whoosh.codec.schema import PAIR_FIELDS, UNDATED
from newsindex.engines.whoosh.ranking import NewsWeighting
from newsindex.fields import DATE_FIELD
from newsindex.query.tree import And, Dates, Node, Not, Or, Phrase, Prefix, Term, has_positive

__all__ = [
    "MAX_PREFIX_TERMS",
    "TITLE_BOOST",
    "AndNotQuery",
    "AndQuery",
    "DateFiltered",
    "LazyAndMaybeMatcher",
    "LazyIntersectionMatcher",
    "PhraseQuery",
    "ProximityQuery",
    "TermQuery",
    "compile_tree",
    "either",
    "phrase_starts",
]

TITLE_BOOST = 1.5
"""How much a match in the title outweighs the same match in the body.

Title and body are scored as separate BM25 fields, so a headline word already counts on its
own. 1.5 keeps a headline match ahead of an equal body match and measured best over the test
collections with titles (``benchmarks/RESULTS.md``): 1.0 lost on ADI, 2.0 lost P@10 on ADI
and MAP on Cranfield."""


MAX_PREFIX_TERMS = 512
"""A prefix expands to at most this many index terms (the most frequent), bounding its cost."""


def _fields(field: str | None) -> tuple[tuple[str, float], ...]:
    if field is None:
        return (("title", TITLE_BOOST), ("body", 1.0))
    return ((field, 1.0),)


def _expand_prefix(reader, field: str, prefixes: tuple[str, ...]) -> list[str]:
    terms: set[str] = set()
    for prefix in prefixes:
        terms.update(
            t.decode("utf-8") if isinstance(t, bytes) else t
            for t in reader.expand_prefix(field, prefix)
        )
    if len(terms) > MAX_PREFIX_TERMS:
        ranked = sorted(terms, key=lambda t: -reader.doc_frequency(field, t))
        return sorted(ranked[:MAX_PREFIX_TERMS])
    return sorted(terms)


def _phrase(node: Phrase, field: str, boost: float, reader) -> wq.Query:
    """A phrase in one field. An exact phrase whose every word is in a pair the index keeps
    (see :mod:`newsindex.analysis.pairs`) is found from its pairs: two words are their pair's
    term, more are their pairs at their places (pairs of two common words, not indexed, are
    skipped: their neighbours' pairs pin their words). Either way the same articles match as
    from the words' positions; they are scored by the pairs, as one term each (OpenSearch's
    ``index_phrases`` scores a phrase from its pairs too). Any other phrase is Whoosh's phrase
    of positions."""
    pairs_field = PAIR_FIELDS.get(field)
    schema = reader.schema
    if node.slop == 0 and len(node.words) >= 2 and pairs_field and pairs_field in schema:
        common = common_terms(schema[field].analyzer)
        words = node.words
        places = [i for i in range(len(words) - 1) if not {words[i], words[i + 1]} <= common]
        if {j for i in places for j in (i, i + 1)} == set(range(len(words))):
            pairs = [pair_term(words[i], words[i + 1]) for i in places]
            if len(pairs) == 1:
                return TermQuery(pairs_field, pairs[0], boost=boost)
            return PhraseQuery(pairs_field, pairs, slop=1, boost=boost, offsets=places)
    return PhraseQuery(field, list(node.words), slop=node.slop + 1, boost=boost)


def compile_tree(node: Node, reader) -> wq.Query:
    """The Whoosh query for a parsed query tree (``reader`` expands prefixes)."""
    if isinstance(node, Term):
        if node.field == "id":
            return TermQuery("id", node.text)
        return either(TermQuery(f, node.text, boost=b * node.boost) for f, b in _fields(node.field))
    if isinstance(node, Phrase):
        return either(_phrase(node, f, b * node.boost, reader) for f, b in _fields(node.field))
    if isinstance(node, Prefix):
        return either(
            wq.Or(
                [
                    TermQuery(f, t, boost=b * node.boost)
                    for t in _expand_prefix(reader, f, node.prefixes)
                ]
            )
            for f, b in _fields(node.field)
        )
    if isinstance(node, Dates):
        # A filter, not evidence of relevance: a tiny constant keeps it (almost) out of the score.
        # (Whoosh drops documents whose score is exactly zero, so the boost cannot be 0.)
        return wq.DateRange(DATE_FIELD, node.start, node.end, endexcl=True, boost=1e-6)
    if isinstance(node, Not):
        return wq.Not(compile_tree(node.item, reader))
    if isinstance(node, Or):
        return either(compile_tree(item, reader) for item in dict.fromkeys(node.items))
    assert isinstance(node, And)
    items: list[Node] = []
    for item in dict.fromkeys(node.items):  # a repeated clause adds nothing but cost
        if isinstance(item, And) and not has_positive(item):
            items.extend(item.items)  # "x (-y -z)": the group's exclusions are the parent's
        else:
            items.append(item)
    items = list(dict.fromkeys(items))
    dates = [i for i in items if isinstance(i, Dates)]
    others: Sequence[Node] = [i for i in items if not isinstance(i, (Not, Dates))]
    negative = [compile_tree(i.item, reader) for i in items if isinstance(i, Not)]
    if not others and not dates:  # only exclusions, as in "x -(-y -z)": everything but them
        return wq.Not(either(negative))
    if not others:  # dates alone: the range query is the whole search
        others, dates = dates, []
    positive = [compile_tree(i, reader) for i in others]
    query = positive[0] if len(positive) == 1 else AndQuery(positive)
    if negative:
        query = AndNotQuery(query, negative[0] if len(negative) == 1 else wq.Or(negative))
    for clause in dates:
        query = DateFiltered(query, clause.start, clause.end)
    return query


TERM_AT_A_TIME = "term_at_a_time"
"""The search context's flag for matchers built to be read term at a time (by
:mod:`.accumulate`), not moved a document at a time."""


def _term_at_a_time(context: Any) -> bool:
    return bool(getattr(context, TERM_AT_A_TIME, False))


class TermQuery(wq.Term):
    """Whoosh's term query, looking the term up once per segment.

    Whoosh reads the term's entry in the segment's term table three or four times for one
    matcher: to estimate its size, to see if it is there, for its scorer and for its postings.
    Here the entry read first serves all of them (for this query object, which lives for one
    search). The matcher is the one Whoosh builds.
    """

    def _info(self, reader: Any) -> tuple[bytes, Any] | None:
        """The term as bytes and its info in ``reader``'s segment; None if not there."""
        infos = self.__dict__.setdefault("_infos", {})
        if reader not in infos:
            try:
                tbytes = reader.schema[self.fieldname].to_bytes(self.text)
                infos[reader] = (tbytes, reader.term_info(self.fieldname, tbytes))
            except (KeyError, ValueError, TermNotFound):
                infos[reader] = None
        return infos[reader]

    def __deepcopy__(self, memo: dict) -> TermQuery:
        # Whoosh deep-copies a query to change its boost. The attributes are immutable but
        # the looked-up entries, which hold segment readers: the copy shares those.
        copied = self.__class__.__new__(self.__class__)
        copied.__dict__.update(self.__dict__)
        return copied

    def estimate_size(self, ixreader: Any) -> int:
        if not ixreader.is_atomic():
            return super().estimate_size(ixreader)
        found = self._info(ixreader)
        return found[1].doc_frequency() if found else 0

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        terms = getattr(reader, "_terms", None)
        if not searcher.is_atomic() or type(terms) is not W3TermsReader or reader.is_closed:
            return super().matcher(searcher, context)
        found = self._info(reader)
        if found is None:
            return matching.NullMatcher()
        tbytes, info = found
        fieldname = self.fieldname
        # No weighting in the context (a boolean one) means the searcher's, as in Whoosh.
        weighting = (context.weighting if context else None) or searcher.weighting
        if isinstance(weighting, NewsWeighting):
            scorer = weighting.scorer(searcher, fieldname, tbytes, terminfo=info)
        else:
            scorer = weighting.scorer(searcher, fieldname, tbytes)
        # What reader.postings(fieldname, tbytes, scorer) builds, from the entry read above.
        m = terms._codec.postings_reader(
            terms._postfile,
            info,
            reader.schema[fieldname].format,
            term=(fieldname, tbytes),
            scorer=scorer,
        )
        deleted = reader.deleted_docs_set if reader.has_deletions() else None
        if deleted:
            m = matching.FilterMatcher(m, deleted, exclude=True)
        if self.minquality:
            m.set_min_quality(self.minquality)
        if self.boost != 1.0:
            m = matching.WrappingMatcher(m, boost=self.boost)
        return m


class LazyIntersectionMatcher(IntersectionMatcher):
    """Whoosh's intersection matcher without its search for the first common document when
    built: only for term-at-a-time evaluation, which reads its two sides, never the matcher
    itself (the search it skips is most of the cost of building a query's matchers)."""

    def __init__(self, a, b) -> None:
        matching.AdditiveBiMatcher.__init__(self, a, b)


class AndQuery(wq.And):
    """Whoosh's intersection query; built for term-at-a-time evaluation, its matchers are
    :class:`LazyIntersectionMatcher` (the same tree)."""

    def _matcher(self, subs, searcher, context):
        if not _term_at_a_time(context):
            return super()._matcher(subs, searcher, context)
        reader = searcher.reader()
        return self._tree_matcher(
            subs,
            LazyIntersectionMatcher,
            searcher,
            context,
            lambda q: 0 - q.estimate_size(reader),  # as Whoosh's AndQuery weighs its clauses
        )


class LazyAndMaybeMatcher(AndMaybeMatcher):
    """Whoosh's ``AndMaybe`` matcher without moving its optional side to the first match when
    built: only for term-at-a-time evaluation, which reads its two sides, never the matcher."""

    def __init__(self, a, b) -> None:
        matching.AdditiveBiMatcher.__init__(self, a, b)


class ProximityQuery(wq.AndMaybe):
    """Whoosh's ``AndMaybe``: ``a``'s matches, with ``b``'s score added where it matches too
    (evidence that changes no match: see :mod:`.proximity` and :mod:`.exact`); built for
    term-at-a-time evaluation, its matcher is a :class:`LazyAndMaybeMatcher`."""

    def matcher(self, searcher, context=None):
        a, b = self.a.matcher(searcher, context), self.b.matcher(searcher, context)
        if _term_at_a_time(context):
            return LazyAndMaybeMatcher(a, b)
        return AndMaybeMatcher(a, b)


def phrase_starts(
    positions: Sequence[Sequence[int]], offsets: Sequence[int] | None = None
) -> set[int]:
    """Where words with these positions occur side by side, in order: the positions where the
    phrase starts (empty: nowhere). ``offsets``: each word's place in the phrase, if the
    words given are not the whole phrase in order."""
    if offsets is None:
        offsets = range(len(positions))
    starts = {p - offsets[0] for p in positions[0]}
    for offset, found in zip(offsets[1:], positions[1:], strict=True):
        starts.intersection_update([p - offset for p in found])
        if not starts:
            break
    return starts


class AdjacentWordsMatcher(SpanNear2.SpanNear2Matcher):
    """Whoosh's matcher for words side by side (an exact phrase), checking positions as sets.

    Whoosh builds a ``Span`` for every position of every word and chains them pair by pair;
    here the positions where the phrase could start are intersected. The same documents and
    spans, at a fraction of the cost per candidate document.
    """

    def __init__(self, ms: list, *, offsets: Sequence[int] | None = None, **options: Any) -> None:
        self.offsets = offsets  # before Whoosh's constructor, which finds the first match
        super().__init__(ms, **options)

    def _get_spans(self) -> list[Span]:
        starts = phrase_starts([m.value_as("positions") for m in self.ms], self.offsets)
        last = self.offsets[-1] if self.offsets else len(self.ms) - 1
        return [Span(start, start + last) for start in sorted(starts)]


class PhraseQuery(wq.Phrase):
    """Whoosh's phrase query; exact phrases (``slop`` 1) match through
    :class:`AdjacentWordsMatcher`. ``offsets``: each word's place in the phrase, where the
    words are not side by side (a phrase of pairs leaving out a pair between two of them)."""

    def __init__(
        self,
        fieldname: str,
        words: list,
        *,
        slop: int = 1,
        boost: float = 1.0,
        offsets: Sequence[int] | None = None,
    ) -> None:
        super().__init__(fieldname, words, slop=slop, boost=boost)
        self.offsets = tuple(offsets) if offsets is not None else None

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and self.offsets == getattr(other, "offsets", None)

    def __hash__(self) -> int:
        return super().__hash__() ^ hash(self.offsets)

    def is_exact(self, schema) -> bool:
        """Whether this is an exact phrase on a field with positions (else Whoosh's own)."""
        if self.slop != 1 or self.fieldname not in schema:
            return False
        field = schema[self.fieldname]
        return bool(field.format and field.format.supports("positions"))

    def segment_terms(self, searcher) -> list[bytes] | None:
        """The words as the segment's terms; None if one is not there (nothing matches)."""
        field, reader = searcher.schema[self.fieldname], searcher.reader()
        terms = []
        for word in self.words:
            try:
                term = field.to_bytes(word)
            except ValueError:
                return None
            if (self.fieldname, term) not in reader:
                return None
            terms.append(term)
        return terms

    def matcher(self, searcher, context=None):
        if not self.is_exact(searcher.schema):
            return super().matcher(searcher, context)  # with Whoosh's error for no positions
        # Whoosh's PhraseQuery.matcher, with the faster span check.
        terms = self.segment_terms(searcher)
        if terms is None:
            return matching.NullMatcher()
        words = [TermQuery(self.fieldname, term).matcher(searcher, context) for term in terms]
        found = AdjacentWordsMatcher(words, slop=1, ordered=True, mindist=1, offsets=self.offsets)
        return matching.WrappingMatcher(found, boost=self.boost) if self.boost != 1.0 else found


class ExcludingMatcher(matching.AndNotMatcher):
    """Whoosh's ``AndNotMatcher`` with its start fixed.

    Whoosh's version checks the first document only when both sides start on the same one: when
    the excluded side starts earlier, its first positive document is kept even if excluded
    (``iraq -war`` returned an article about the Iraq war whenever an article about another war
    came before it in the segment). Built with ``find_first=False`` (for term-at-a-time
    evaluation, which reads its two sides), it does not move to its first match.
    """

    def __init__(self, a, b, *, find_first: bool = True) -> None:
        self._find_first_match = find_first
        super().__init__(a, b)

    def _find_first(self) -> None:
        if self._find_first_match and self.a.is_active() and self.b.is_active():
            self._find_next()


class AndNotQuery(wq.AndNot):
    """``a`` without the documents ``b`` matches, through :class:`ExcludingMatcher`."""

    def matcher(self, searcher, context=None):
        scored = self.a.matcher(searcher, context)
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return ExcludingMatcher(scored, excluded, find_first=not _term_at_a_time(context))


class InRange:
    """Document numbers whose date lies in [low, high): a set-like for filtering."""

    def __init__(self, reader: Any, low: int, high: int) -> None:
        self.dates, self.low, self.high = dates(reader), low, high
        self._documents: list[int] | None = None
        keys, self._by_date = date_order(reader)
        # Where the range's documents lie in the segment's documents in date order.
        self._start, self._end = bisect.bisect_left(keys, low), bisect.bisect_left(keys, high)

    def __contains__(self, docnum: int) -> bool:
        return self.low <= self.dates[docnum] < self.high

    def __len__(self) -> int:
        return self._end - self._start

    def documents(self) -> list[int]:
        """All of them, ascending."""
        if self._documents is None:
            self._documents = sorted(self._by_date[self._start : self._end])
        return self._documents

    def document_set(self) -> set[int]:
        """All of them, as a set (no sorting)."""
        return set(self._by_date[self._start : self._end])

    def in_date_order(self) -> Sequence[int]:
        """All of them, in date order (no sorting)."""
        return self._by_date[self._start : self._end]

    def following(self, docnum: int) -> int:
        """The first of them after ``docnum``; past the last document if there is none."""
        documents = self.documents()
        i = bisect.bisect_right(documents, docnum)
        return documents[i] if i < len(documents) else len(self.dates)


class DateFilterMatcher(matching.FilterMatcher):
    """Whoosh's filter for a date range, moving its child from one match to the next dated in
    range with ``skip_to`` (whole blocks skipped) instead of a posting at a time. Built with
    ``find_first=False`` (for term-at-a-time evaluation, which reads its child), it does not
    move to its first match."""

    def __init__(self, child, ids, exclude=False, boost=1.0, *, find_first: bool = True) -> None:
        matching.WrappingMatcher.__init__(self, child)
        self._ids, self._exclude, self.boost = ids, exclude, boost
        if find_first:
            self._find_next()

    def _find_next(self) -> None:
        child, inside = self.child, self._ids
        while child.is_active():
            docnum = child.id()
            if docnum in inside:
                return
            child.skip_to(inside.following(docnum))


class DateFiltered(wq.WrappingQuery):
    """The child query, keeping only documents published in [start, end).

    Reads each candidate's date from the date column instead of expanding the range into
    index terms: the cost follows the child's matches, not the number of dated articles.
    """

    def __init__(self, child: wq.Query, start: dt.datetime | None, end: dt.datetime | None):
        super().__init__(child)
        self.start, self.end = start, end

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self.child == other.child
            and (self.start, self.end) == (other.start, other.end)
        )

    def __hash__(self) -> int:
        return hash((type(self), self.child, self.start, self.end))

    def _rewrap(self, child: wq.Query) -> wq.Query:
        return self.__class__(child, self.start, self.end)

    def bounds(self) -> tuple[int, int]:
        """The range as date-column values: ``low <= date < high`` (undated: never)."""
        low = datetime_to_long(self.start) if self.start else 0
        high = datetime_to_long(self.end) if self.end else UNDATED
        return low, high

    def matcher(self, searcher, context=None):
        child = self.child.matcher(searcher, context)
        reader = searcher.reader()
        if not reader.has_column(DATE_FIELD):
            return matching.NullMatcher()
        inside = InRange(reader, *self.bounds())
        return DateFilterMatcher(child, inside, find_first=not _term_at_a_time(context))


def either(queries) -> wq.Query:
    """One query matching any of ``queries`` (the query itself if there is one)."""
    queries = list(queries)
    return queries[0] if len(queries) == 1 else wq.Or(queries)
