"""How hits are scored: BM25F over the text fields, times a mild recency prior.

News readers want the newest of equally relevant stories first, so each document's BM25F score
is multiplied by ``1 + weight * 0.5 ** (age / half_life)``, where ``age`` is measured back from
the newest article in the index (not from today, so a ranking never drifts with the clock).
Undated articles get no boost. The prior only reorders articles of similar textual relevance:
with the default weight an article can gain at most half its score.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections.abc import Sequence

from whoosh import scoring
from whoosh.util.times import datetime_to_long

from newsindex.engines.whoosh.codec.columns import dates, field_lengths, per_segment
from newsindex.engines.whoosh.codec.schema import EXACT_FIELDS, PAIR_FIELDS, UNDATED
from newsindex.fields import DATE_FIELD, TEXT_FIELDS

__all__ = ["BM25Scorer", "NewsWeighting", "default_weighting"]

BM25_B = 0.6
BM25_K1 = 1.2
RECENCY_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 730.0

_TICKS_PER_DAY = 86_400 * 10**6  # Whoosh stores datetimes as microseconds since year 1

_SHARED_IDF = {
    **dict.fromkeys(TEXT_FIELDS, TEXT_FIELDS),
    **dict.fromkeys(PAIR_FIELDS.values(), tuple(PAIR_FIELDS.values())),
    **dict.fromkeys(EXACT_FIELDS.values(), tuple(EXACT_FIELDS.values())),
}
"""The fields whose terms share one document frequency (see :meth:`NewsWeighting.idf`)."""


PRIOR_CHUNK = 64
"""Documents per entry of :meth:`NewsWeighting.prior_ceilings`."""


class NewsWeighting(scoring.WeightingModel):
    """BM25F with a recency prior; ``newest`` is the date the prior counts back from."""

    def __init__(
        self,
        *,
        newest: dt.datetime | None = None,
        B: float = BM25_B,
        K1: float = BM25_K1,
        recency_weight: float = RECENCY_WEIGHT,
        half_life_days: float = RECENCY_HALF_LIFE_DAYS,
        **field_b: float,
    ) -> None:
        self.bm25 = scoring.BM25F(B=B, K1=K1, **field_b)
        self.recency_weight = recency_weight if newest is not None else 0.0
        self.newest = datetime_to_long(newest) if newest is not None else 0
        self.half_life = half_life_days * _TICKS_PER_DAY

    def supports_block_quality(self) -> bool:
        return True

    def idf(self, searcher, fieldname: str, text: bytes) -> float:
        """BM25's idf, ``ln(1 + (N - df + 0.5) / (df + 0.5))``, as Lucene computes it.

        For title and body, ``df`` counts the articles with the word in either field (the larger
        of the two counts), so a word rare in headlines but common in bodies is not mistaken
        for a rare word; the same for a word pair in ``title_pairs`` and ``body_pairs``, and
        for a word's unstemmed form in ``title_exact`` and ``body_exact``.
        (Whoosh's own ``1 + ln(N / (df + 1))`` gives stop words a third of the weight of
        the rarest words, which long queries suffer from.)
        """
        parent = searcher.get_parent()
        fields = _SHARED_IDF.get(fieldname, (fieldname,))
        df = max(parent.doc_frequency(name, text) for name in fields)
        n = parent.doc_count_all()
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scorer(
        self, searcher, fieldname: str, text: bytes, qf: int = 1, terminfo=None
    ) -> scoring.BaseScorer:
        """The scorer of ``text`` in one segment; ``terminfo``: the term's info in that
        segment, if the caller has read it already."""
        reader = searcher.reader()
        recency = self.recency_weight and reader.has_column(DATE_FIELD)
        ceiling = 1.0 + self.recency_weight  # the largest factor: keeps block-max pruning right
        if not searcher.schema[fieldname].scorable:  # no lengths: Whoosh's weight scorer
            inner = self.bm25.scorer(searcher, fieldname, text, qf=qf)
            return _RecencyScorer(inner, self.priors(reader), ceiling) if recency else inner
        parent = searcher.get_parent()
        b = self.bm25._field_B.get(fieldname, self.bm25.B)
        k1 = self.bm25.K1
        # Whoosh sums every segment's field length for this on each call: once per search.
        avgfl = per_segment(
            parent.reader(),
            ("avgfl", fieldname),
            lambda: parent.avg_field_length(fieldname) or 1,
        )

        def norms() -> array:
            return array(
                "d", [k1 * ((1 - b) + b * fl / avgfl) for fl in field_lengths(reader, fieldname)]
            )

        return BM25Scorer(
            idf=parent.idf(fieldname, text),
            k1=k1,
            b=b,
            avgfl=avgfl,
            norms=per_segment(reader, ("bm25 norms", fieldname, b, k1, avgfl), norms),
            priors=self.priors(reader) if recency else None,
            ceiling=ceiling if recency else 1.0,
            terminfo=terminfo if terminfo is not None else searcher.term_info(fieldname, text),
        )

    def priors(self, reader) -> Sequence[float]:
        """Each document's recency factor in a segment, computed once per segment."""
        key = ("recency", self.newest, self.recency_weight, self.half_life)
        return per_segment(reader, key, lambda: array("d", [self.factor(t) for t in dates(reader)]))

    def prior_ceilings(self, reader) -> Sequence[float]:
        """The largest recency factor of each chunk of :data:`PRIOR_CHUNK` documents of a
        segment (for bounding a block's scores: see :mod:`.codec.impacts`)."""
        key = ("recency ceilings", self.newest, self.recency_weight, self.half_life)

        def build() -> array:
            priors = self.priors(reader)
            chunks = (priors[i : i + PRIOR_CHUNK] for i in range(0, len(priors), PRIOR_CHUNK))
            return array("d", map(max, chunks))

        return per_segment(reader, key, build)

    def factor(self, ticks: int) -> float:
        """The multiplier for an article published at ``ticks`` (0: undated)."""
        if ticks <= 0 or ticks >= UNDATED:
            return 1.0
        age = max(0, self.newest - ticks)
        return 1.0 + self.recency_weight * 0.5 ** (age / self.half_life)


class BM25Scorer(scoring.BaseScorer):
    """Whoosh's BM25F term scorer times the recency prior, in one step per document.

    Whoosh's version reads the document's field length through a column reader for every
    match; this one looks up the length part of the formula, computed once per segment, and
    the recency factor the same way. The scores are the same floating-point numbers.
    """

    def __init__(self, *, idf, k1, b, avgfl, norms, priors, ceiling, terminfo) -> None:
        self.idf, self.k1, self.b, self.avgfl = idf, k1, b, avgfl
        self.k1p1, self.norms, self.priors, self.ceiling = k1 + 1, norms, priors, ceiling
        self._max = self._bound(terminfo.max_weight(), terminfo.min_length())
        self.size = terminfo.doc_frequency()  # postings of the term, for planning evaluation

    def _bound(self, tf: float, length: int) -> float:
        """The best score a document with weight ``tf`` and ``length`` could get."""
        return scoring.bm25(self.idf, tf, length, self.avgfl, self.b, self.k1) * self.ceiling

    def score(self, matcher) -> float:
        tf = matcher.weight()
        docnum = matcher.id()
        score = self.idf * ((tf * self.k1p1) / (tf + self.norms[docnum]))
        return score * self.priors[docnum] if self.priors is not None else score

    def scores(self, docnums: Sequence[int], weights: Sequence[float]) -> list[float]:
        """``score`` for many postings at once (the same numbers)."""
        idf, k1p1, norms, priors = self.idf, self.k1p1, self.norms, self.priors
        if priors is None:
            return [
                idf * ((tf * k1p1) / (tf + norms[d]))
                for d, tf in zip(docnums, weights, strict=True)
            ]
        return [
            idf * ((tf * k1p1) / (tf + norms[d])) * priors[d]
            for d, tf in zip(docnums, weights, strict=True)
        ]

    def supports_block_quality(self) -> bool:
        return True

    def max_quality(self) -> float:
        return self._max

    def block_quality(self, matcher) -> float:
        return self._bound(matcher.block_max_weight(), matcher.block_min_length())


class _RecencyScorer(scoring.BaseScorer):
    """Wraps a scorer, multiplying each document's score by its recency factor."""

    def __init__(self, inner: scoring.BaseScorer, priors: Sequence[float], ceiling: float) -> None:
        self.inner, self.priors, self.ceiling = inner, priors, ceiling

    def supports_block_quality(self) -> bool:
        return self.inner.supports_block_quality()

    def score(self, matcher) -> float:
        return self.inner.score(matcher) * self.priors[matcher.id()]

    def max_quality(self) -> float:
        return self.inner.max_quality() * self.ceiling

    def block_quality(self, matcher) -> float:
        return self.inner.block_quality(matcher) * self.ceiling


def default_weighting(newest: dt.datetime | None = None) -> NewsWeighting:
    """The ranking newsindex uses unless told otherwise."""
    return NewsWeighting(newest=newest)
