"""HTML in a title or body, turned into the plain text the index stores.

Only text holding something that looks like an HTML tag (a known element name, or a comment) is
treated as HTML, so plain text such as ``x < y and y > z`` is left as it is. Tags are removed,
block elements (``p``, ``div``, ``li``, ``h1`` ...) become paragraph breaks and ``br`` a line
break, runs of white space inside a paragraph become one space, entities are decoded, and the
contents of ``script``, ``style``, ``noscript`` and ``template`` are dropped. Attributes never
reach the text, so ``href`` is not a searchable word.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text", "looks_like_html"]

_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_DROPPED = frozenset({"script", "style", "noscript", "template"})
_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "big",
        "br",
        "cite",
        "code",
        "del",
        "em",
        "font",
        "i",
        "iframe",
        "img",
        "ins",
        "kbd",
        "mark",
        "picture",
        "q",
        "s",
        "samp",
        "small",
        "source",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
        "video",
        "audio",
        "body",
        "head",
        "html",
        "meta",
        "link",
    ]
)
_TAG = re.compile(
    r"<!--|</?(?:" + "|".join(sorted(_BLOCKS | _DROPPED | _INLINE)) + r")(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_BREAK = "\x00"  # never in cleaned text: control characters are stripped before this runs
_LINE = "\x01"


def looks_like_html(text: str) -> bool:
    """Whether ``text`` holds an HTML tag of a known element, or an HTML comment."""
    return "<" in text and _TAG.search(text) is not None


def html_to_text(text: str, *, paragraphs: bool = True) -> str:
    """The text of an HTML fragment; with ``paragraphs=False`` (for titles) all on one line."""
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    raw = "".join(parser.parts)
    blocks = []
    for block in raw.split(_BREAK):
        lines = [" ".join(line.split()) for line in block.split(_LINE)]
        joined = "\n".join(line for line in lines if line)
        if joined:
            blocks.append(joined)
    if not paragraphs:
        return " ".join(" ".join(blocks).split())
    return "\n\n".join(blocks)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag in _BLOCKS:
            self.parts.append(_BREAK)
        elif tag == "br":
            self.parts.append(_LINE)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append(_BREAK)
        elif tag == "br":
            self.parts.append(_LINE)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCKS:
            self.parts.append(_BREAK)

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)
