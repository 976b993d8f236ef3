"""Web-style queries: parse what a user types into a public, engine-free tree (:mod:`.tree`).

The grammar, loosest binding first::

    query    := clause*                     words side by side are all required
    clause   := unary ("OR" unary)*         OR binds tighter than the implicit AND
    unary    := ("NOT" | "-") unary | primary
    primary  := "(" query ")" | PHRASE | FIELD ":" (WORD | PHRASE | "(" query ")" | RANGE) | WORD

A WORD ending in ``*`` is a prefix; a PHRASE is ``"..."`` with an optional ``~N`` slop. Unknown
``name:`` prefixes are plain text (people paste "Note: ..."), and an unclosed quote runs to the
end. Structural mistakes (a dangling ``OR``, an unclosed ``(``, ``title:`` with nothing after it)
raise :class:`QuerySyntaxError` naming the position.

Long plain queries are the exception to "all required": a typed query of five or more words
with no syntax at all, and any text parsed with ``syntax=False`` (prose), reads as a description
and is ranked by any-word matching instead (an engine's ``match`` setting decides).
"""

from newsindex.query.syntax import LONG_QUERY_WORDS, STOP_WORDS, parse_period, parse_query
from newsindex.query.tree import ParsedQuery

__all__ = [
    "LONG_QUERY_WORDS",
    "STOP_WORDS",
    "ParsedQuery",
    "parse_period",
    "parse_query",
]
