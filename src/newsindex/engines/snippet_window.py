"""Where a snippet sits in an article's text: engine-free, so both engines place theirs alike.

The window of :data:`SNIPPET_CHARS` characters holding the most distinct matched terms (then
the most matches), and word boundaries to cut at.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["SNIPPET_CHARS", "best_window", "word_end", "word_start"]

SNIPPET_CHARS = 220
"""About how long a snippet is, in characters."""


def best_window(spans: Sequence[tuple[int, int, str]], width: int) -> int:
    """Start offset of the window of ``width`` characters holding the most distinct matched
    terms, then the most matches; ``spans``: ``(start, end, term)`` of each match, in order."""
    best_start, best_score = spans[0][0], (-1, -1)
    right = 0
    for left, (start, _end, _term) in enumerate(spans):
        right = max(right, left)
        while right + 1 < len(spans) and spans[right + 1][1] <= start + width:
            right += 1
        window = spans[left : right + 1]
        score = (len({term for _s, _e, term in window}), len(window))
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def word_start(text: str, offset: int) -> int:
    """``offset`` moved back to the start of the word it falls in."""
    while offset > 0 and not text[offset - 1].isspace():
        offset -= 1
    return offset


def word_end(text: str, offset: int) -> int:
    """``offset`` moved on to the end of the word it falls in."""
    while offset < len(text) and not text[offset].isspace():
        offset += 1
    return offset
