"""A page of hits: each match's stored fields, its score and its snippet with highlights."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.searching import Searcher

from newsindex.analysis.analyzer import NewsAnalyzer
from newsindex.engines.whoosh.postings import holds
from newsindex.engines.whoosh.snippets import MatchSpec, make_snippet
from newsindex.fields import DATE_FIELD, TEXT_FIELDS
from newsindex.models import Hit
from newsindex.query.tree import And, Node, Or, Phrase, Prefix, Term

__all__ = ["make_hits", "match_spec"]


def match_spec(node: Node) -> MatchSpec:
    """What to mark in body snippets: the positive terms aimed at the title/body fields."""
    terms: set[str] = set()
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []

    def visit(n: Node) -> None:
        if isinstance(n, (And, Or)):
            for item in n.items:
                visit(item)
        elif isinstance(n, Term) and n.field in (None, *TEXT_FIELDS):
            terms.add(n.text)
        elif isinstance(n, Phrase) and n.field in (None, *TEXT_FIELDS):
            if n.slop:
                terms.update(n.words)
            else:
                phrases.append(n.words)
        elif isinstance(n, Prefix) and n.field in (None, *TEXT_FIELDS):
            prefixes.extend(n.prefixes)

    visit(node)
    return MatchSpec(frozenset(terms), tuple(prefixes), tuple(phrases))


def _body_may_match(searcher: Searcher, docnum: int, spec: MatchSpec) -> Callable[[], bool]:
    """Whether the article's body holds a word ``spec`` marks, asked of the index (a word
    prefix: assumed so)."""

    def may_match() -> bool:
        if spec.prefixes:
            return True
        sub, offset = next((s, o) for s, o in reversed(searcher.leaf_searchers()) if o <= docnum)
        reader = sub.reader()
        for word in {*spec.terms, *(word for phrase in spec.phrases for word in phrase)}:
            if ("body", word) in reader:
                postings = reader.postings("body", word)
                if type(postings) is W3LeafMatcher:  # no deletions: read the ids it needs only
                    if holds(reader, postings, docnum - offset):
                        return True
                    continue
                if postings.is_active() and postings.id() < docnum - offset:
                    postings.skip_to(docnum - offset)
                if postings.is_active() and postings.id() == docnum - offset:
                    return True
        return False

    return may_match


def make_hits(
    searcher: Searcher,
    shown: Sequence[tuple[float, int]],
    scores: dict[int, float],
    *,
    first: int,
    spec: MatchSpec,
    analyzer: NewsAnalyzer,
    snippets: bool = True,
) -> tuple[Hit, ...]:
    """The hits of a page: ``shown`` as ``(key, docnum)`` in order, ranked from ``first`` + 1,
    each with its stored fields, its score and (unless ``snippets`` is false) its snippet."""
    hits = []
    for offset, (_key, docnum) in enumerate(shown):
        stored = searcher.stored_fields(docnum)
        snippet, highlights = (
            make_snippet(
                stored.get("body", ""),
                analyzer,
                spec,
                may_match=_body_may_match(searcher, docnum, spec),
            )
            if snippets
            else ("", ())
        )
        published = stored.get(DATE_FIELD)
        hits.append(
            Hit(
                id=stored["id"],
                title=stored.get("title", ""),
                published=published.replace(tzinfo=dt.timezone.utc) if published else None,
                source=stored.get("source"),
                url=stored.get("url"),
                authors=tuple(stored.get("author", ())),
                score=float(scores.get(docnum) or 0.0),
                rank=first + offset + 1,
                snippet=snippet,
                highlights=highlights,
            )
        )
    return tuple(hits)
