"""The parsed query: a public tree of words, phrases, prefixes, dates and boolean operators.

Engine-free: :func:`newsindex.query.parse_query` builds it from what a user types, and each
engine compiles it into its own queries (the Whoosh engine in
:mod:`newsindex.engines.whoosh.compile`). Leaves hold analysed terms, as the index has them.
"""

from __future__ import annotations

import datetime as dt

import attrs

__all__ = [
    "And",
    "Dates",
    "Node",
    "Not",
    "Or",
    "ParsedQuery",
    "Phrase",
    "Prefix",
    "Term",
    "describe",
    "has_positive",
    "leaves",
]


@attrs.frozen
class Term:
    """One analysed word."""

    field: str | None
    """The field searched; None: the default text fields (title and body)."""
    text: str
    """The term, as the index holds it (stemmed in the text fields)."""
    boost: float = 1.0
    """How much a match weighs against the query's other items (``word^2``)."""
    form: str | None = None
    """The word as typed, folded like the unstemmed analysis (lowercase, accents, dots and
    apostrophes removed) but not stemmed: ``willing`` where ``text`` is ``will``. Set by the
    parser for words in title and body; engines add a little score to articles holding this
    very form (an exact-form boost), which never changes which articles match. None: no form
    known (a name field, an id, a word taken out of a phrase)."""


@attrs.frozen
class Phrase:
    """Words in order, ``slop`` positions apart at most."""

    field: str | None
    """The field searched; None: the default text fields."""
    words: tuple[str, ...]
    """The terms, in order."""
    slop: int = 0
    """How many positions the words may stray (0: adjacent)."""
    boost: float = 1.0
    """How much a match weighs against the query's other items (``"..."^2``)."""


@attrs.frozen
class Prefix:
    """Words starting with any of ``prefixes``."""

    field: str | None
    """The field searched; None: the default text fields."""
    prefixes: tuple[str, ...]
    """The normalised prefixes (one per form the typed prefix takes)."""
    boost: float = 1.0
    """How much a match weighs against the query's other items (``peace*^2``)."""


@attrs.frozen
class Dates:
    """Articles published in ``[start, end)`` (naive UTC; None leaves an end open)."""

    start: dt.datetime | None
    """The first instant included."""
    end: dt.datetime | None
    """The first instant excluded."""
    label: str
    """The period as the user wrote it, for descriptions."""


@attrs.frozen
class And:
    """Every item must match."""

    items: tuple[Node, ...]
    """The required items (a :class:`Not` among them excludes)."""


@attrs.frozen
class Or:
    """Any item may match."""

    items: tuple[Node, ...]
    """The alternatives."""


@attrs.frozen
class Not:
    """Excludes what ``item`` matches (only inside an :class:`And`)."""

    item: Node
    """What is excluded."""


Node = Term | Phrase | Prefix | Dates | And | Or | Not
"""Any node of the tree."""


@attrs.frozen
class ParsedQuery:
    """A query string parsed and analysed, ready to compile against an index."""

    text: str
    """What the user typed."""
    tree: Node
    """The parsed query tree."""
    plain: bool = False
    """True when the text uses no syntax at all (or was parsed with ``syntax=False``)."""
    prose: bool = False
    """True when parsed with ``syntax=False``: the text is a description, not a typed query."""

    def __str__(self) -> str:
        return describe(self.tree)


def leaves(node: Node) -> set[Node]:
    """The distinct words, phrases, prefixes and date clauses of a query tree."""
    if isinstance(node, (And, Or)):
        return set().union(*(leaves(item) for item in node.items))
    if isinstance(node, Not):
        return leaves(node.item)
    return {node}


def has_positive(node: Node) -> bool:
    """Whether the tree matches something rather than only excluding."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(has_positive(item) for item in node.items)
    if isinstance(node, Or):
        return all(has_positive(item) for item in node.items)
    return True


def describe(node: Node) -> str:
    """The tree as query text (how the query was understood)."""
    if isinstance(node, (Term, Phrase, Prefix)) and node.boost != 1.0:
        return f"{describe(attrs.evolve(node, boost=1.0))}^{node.boost:g}"
    if isinstance(node, Term):
        return f"{node.field}:{node.text}" if node.field else node.text
    if isinstance(node, Phrase):
        slop = f"~{node.slop}" if node.slop else ""
        text = '"' + " ".join(node.words) + '"' + slop
        return f"{node.field}:{text}" if node.field else text
    if isinstance(node, Prefix):
        text = " OR ".join(p + "*" for p in node.prefixes)
        text = f"({text})" if len(node.prefixes) > 1 else text
        return f"{node.field}:{text}" if node.field else text
    if isinstance(node, Dates):
        return f"date:{node.label}"
    if isinstance(node, Not):
        return "-" + describe(node.item)
    if isinstance(node, And):
        return " AND ".join(describe(item) for item in node.items)
    assert isinstance(node, Or)
    return "(" + " OR ".join(describe(item) for item in node.items) + ")"
