"""Snippets: the passage of an article that best shows why it matched, with the matches marked.

Matches are found by running the index's own analyzer over the original text, so ``Ukraine's``
is marked for a query ``ukraine`` and the marks cover the original characters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

import attrs

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.engines.snippet_window import SNIPPET_CHARS, best_window, word_end, word_start

__all__ = ["MatchSpec", "make_snippet"]

_SCAN_CHARS = 200_000
"""Only this much of a very long article is scanned for matches, to bound the cost per hit."""

_FIRST_SCAN_CHARS = 3_000

_SPACE = re.compile(r"\s+")


@attrs.frozen
class MatchSpec:
    """What to mark: single terms, term prefixes, and phrases (marked only where they occur)."""

    terms: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes or self.phrases)

    @property
    def initials(self) -> frozenset[str]:
        """First letters of everything to mark: other words need no stemming to rule out."""
        words = [*self.terms, *self.prefixes, *(w for phrase in self.phrases for w in phrase)]
        return frozenset(word[0] for word in words if word)


def _matched_spans(
    tokens: Sequence[tuple[str, int, int]],
    spec: MatchSpec,
    following: Callable[[int, int], Sequence[tuple[str, int, int]]],
) -> list[tuple[int, int, str]]:
    """The marks: tokens that are a term or start with a prefix of ``spec``, and the words of
    each of its phrases where they occur. ``tokens``: at least every word that is one of
    ``spec``'s terms, starts with one of its prefixes or is a phrase's first word, in order;
    ``following(end, n)``: the next ``n`` words after offset ``end`` as tokens (term ``""``
    for a word not stemmed)."""
    marked: dict[int, tuple[int, int, str]] = {}
    prefixes = spec.prefixes
    for term, start, end in tokens:
        if term in spec.terms or (prefixes and term.startswith(prefixes)):
            marked[start] = (start, end, term)
    for phrase in spec.phrases:
        first, rest = phrase[0], list(phrase[1:])
        for term, start, end in tokens:
            if term != first:
                continue
            after = following(end, len(rest))
            if [t for t, _s, _e in after] == rest:
                marked[start] = (start, end, term)
                marked.update((s, (s, e, t)) for t, s, e in after)
    return [marked[start] for start in sorted(marked)]


def _covers(spans: list[tuple[int, int, str]], spec: MatchSpec) -> bool:
    """Whether ``spans`` already show every term, prefix and phrase of ``spec``."""
    found = {term for _s, _e, term in spans}
    return (
        spec.terms <= found
        and all(any(t.startswith(p) for t in found) for p in spec.prefixes)
        and all(found.issuperset(phrase) for phrase in spec.phrases)
    )


def _find_matches(
    text: str, analyzer: NewsAnalyzer, spec: MatchSpec, may_match: Callable[[], bool] | None
) -> list[tuple[int, int, str]]:
    """Matches in a growing head of ``text``, stopping once every query part has been seen.

    News puts the point of a story first, so the head usually suffices and long articles
    cost no more than short ones; the head grows fourfold up to ``_SCAN_CHARS``. If the first
    head holds no match and ``may_match()`` says the text holds none, the scan stops there.
    """
    limit, end = _FIRST_SCAN_CHARS, min(len(text), _SCAN_CHARS)
    initials = spec.initials

    def following(after: int, count: int) -> list[tuple[str, int, int]]:
        """The next ``count`` words after offset ``after``, within the scanned text."""
        words: list[tuple[str, int, int]] = []
        width = 64 * count
        while True:
            upto = word_end(text, min(after + width, end))
            found = analyzer.spans(text[after:upto], initials=initials)
            words = [(t, after + a, after + b) for t, a, b in itertools.islice(found, count)]
            if len(words) == count or upto >= end:
                return words
            width *= 4

    # Only the words that can be marked, or start a phrase, are kept (and looked at again as
    # the head grows): the rest of the words with the same initials are dropped at once.
    starts = spec.terms | {phrase[0] for phrase in spec.phrases if phrase}
    prefixes = spec.prefixes
    heads = starts.union(prefixes)
    tokens: list[tuple[str, int, int]] = []
    scanned = 0  # the head scanned so far ends here, at a space: words are not cut
    while True:
        upto = word_end(text, min(limit, end))
        # The regex engine skips the words that cannot match; a phrase's next words are read
        # after each place its first word is found.
        found = analyzer.spans_starting(text[scanned:upto], heads)
        tokens.extend(
            (term, scanned + start, scanned + stop)
            for term, start, stop in found
            if term in starts or (prefixes and term.startswith(prefixes))
        )
        scanned = upto
        spans = _matched_spans(tokens, spec, following)
        if scanned >= end or _covers(spans, spec):
            return spans
        if not spans and may_match is not None:
            if not may_match():
                return spans
            may_match = None  # it holds one: the answer stands for the rounds to come
        limit *= 4


def make_snippet(
    text: str,
    analyzer: NewsAnalyzer,
    spec: MatchSpec,
    *,
    width: int = SNIPPET_CHARS,
    may_match: Callable[[], bool] | None = None,
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A one-line passage of ``text`` around the best cluster of matches, and the match spans.

    Whitespace is collapsed; ``…`` marks text cut at either end. ``may_match``, if given,
    answers whether ``text`` can hold a match at all (from the index, say): a long text that
    cannot is not scanned past its head (an article found by its title alone).
    """
    spans = _find_matches(text, analyzer, spec, may_match) if spec else []
    if spans:
        # Lead in a little before the first match so it does not open the snippet cold.
        start = word_start(text, max(0, best_window(spans, width) - width // 5))
    else:
        start = 0
    while start < len(text) and text[start].isspace():
        start += 1
    end = min(len(text), word_end(text, min(len(text), start + width)))
    cut_before = start > 0 and not text[:start].isspace()
    pieces: list[str] = ["… "] if cut_before else []
    length = len(pieces[0]) if pieces else 0
    highlights: list[tuple[int, int]] = []
    cursor = start
    for span_start, span_end, _term in spans:
        if span_start < cursor or span_end > end:
            continue
        gap = _SPACE.sub(" ", text[cursor:span_start])
        pieces.append(gap)
        length += len(gap)
        highlights.append((length, length + span_end - span_start))
        pieces.append(text[span_start:span_end])
        length += span_end - span_start
        cursor = span_end
    tail = _SPACE.sub(" ", text[cursor:end])
    pieces.append(tail)
    snippet = "".join(pieces)
    stripped = snippet.lstrip()
    shift = len(snippet) - len(stripped)
    snippet = stripped.rstrip()
    if end < len(text):
        snippet += " …"
    return snippet, tuple((s - shift, e - shift) for s, e in highlights)
