"""Web-style queries: parse what a user types, run it over the index, and return ranked hits.

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
and is ranked by any-word matching instead; see :func:`run_search` for ``match``.
"""

from newsindex.query.search import MATCHES, SORTS, is_ranked, run_search
from newsindex.query.syntax import (
    LONG_QUERY_WORDS,
    STOP_WORDS,
    ParsedQuery,
    parse_period,
    parse_query,
)

__all__ = [
    "LONG_QUERY_WORDS",
    "MATCHES",
    "SORTS",
    "STOP_WORDS",
    "ParsedQuery",
    "is_ranked",
    "parse_period",
    "parse_query",
    "run_search",
]
