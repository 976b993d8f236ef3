"""The benchmark's query set: drawn from the corpus itself with a fixed seed.

Every engine runs the same :class:`BenchQuery` objects, each turned into that engine's syntax by
its adapter (``benchmarks.peers``). Words are taken from real articles (so most queries have hits)
and are plain ASCII letters, so that every engine's tokenizer sees the same word.

The kinds, in report order:

- ``word``: one word from a random article's body.
- ``words``: two or three words from the same article (all required).
- ``phrase``: two or three consecutive words of a real sentence, as an exact phrase.
- ``title``: one word from a random article's title, searched in the title field only.
- ``date``: a word plus the calendar year of the article it came from.
- ``sorted``: one word, newest first instead of by relevance.
- ``deep``: one of the corpus's most frequent words, page ``DEEP_PAGE`` of the results.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:  # the peers' fresh-process search must not pay for importing newsindex
    from newsindex import Article

__all__ = [
    "DEEP_PAGE",
    "KINDS",
    "PAGE_SIZE",
    "SEED",
    "STOP_WORDS",
    "BenchQuery",
    "generate_queries",
]

KINDS = ("word", "words", "phrase", "title", "date", "sorted", "deep")
"""Query kinds, in the order reports list them."""

SEED = 20250316
"""The default seed: the same corpus always gives the same queries."""

PAGE_SIZE = 10
"""Results read per query, by every engine."""

DEEP_PAGE = 50
"""The page the ``deep`` kind asks for (results 491-500 with ten per page)."""

# Short and engine-neutral: plain Whoosh drops its own stop words, the others keep every word,
# so picking none of these keeps all four engines searching for the same terms.
_STOP_WORDS = """
    a about after against all also an and any are as at be been before being between both
    but by can could did do does during each for from had has have he her here hers him his
    how i if in into is it its just more most my no nor not now of off on once only or other
    our out over own same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your said says say
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

Draw = Callable[[random.Random, Sequence["Article"]], "BenchQuery | None"]

# Whole words only: "didn't" or "Obama's" would be split differently by each tokenizer.
_WORD = re.compile(r"(?<![\w'\u2019])[A-Za-z]+(?![\w'\u2019])")
_PURE_WORD = re.compile(r"[A-Za-z]{2,}")


@attrs.frozen
class BenchQuery:
    """One benchmark query, independent of any engine's syntax."""

    kind: str
    """One of :data:`KINDS`."""
    words: tuple[str, ...]
    """The words searched for, lowercase; a phrase in order."""
    phrase: bool = False
    """The words must occur consecutively."""
    field: str | None = None
    """``"title"`` to search the title only; ``None`` for title and body."""
    since: dt.date | None = None
    """First day of the date filter (inclusive)."""
    until: dt.date | None = None
    """Last day of the date filter (inclusive)."""
    sort: str = "relevance"
    """``relevance`` or ``newest``."""
    page: int = 1
    """1-based page of :data:`PAGE_SIZE` results."""

    def text(self) -> str:
        """The words in the query syntax that newsindex, Whoosh and tantivy share."""
        text = '"' + " ".join(self.words) + '"' if self.phrase else " ".join(self.words)
        return f"{self.field}:{text}" if self.field else text

    def newsindex_query(self) -> str:
        """The query string for ``NewsIndex.search`` (sort and page go as arguments)."""
        if self.since is None:
            return self.text()
        return f"{self.text()} date:[{self.since.isoformat()} TO {self.until.isoformat()}]"

    def label(self) -> str:
        """A readable form for reports: the newsindex query plus sort and page."""
        extra = f" sort={self.sort}" if self.sort != "relevance" else ""
        extra += f" page={self.page}" if self.page != 1 else ""
        return self.newsindex_query() + extra


def _content_words(text: str) -> list[str]:
    return [w for w in (m.group().lower() for m in _WORD.finditer(text)) if _is_content_word(w)]


def _is_content_word(word: str) -> bool:
    return 3 <= len(word) <= 15 and word.isascii() and word not in STOP_WORDS


def _phrases(body: str) -> list[tuple[str, ...]]:
    """Runs of 2-3 whitespace-separated pure-letter words that start and end on a content word."""
    tokens = body.split()
    found = []
    for size in (2, 3):
        for i in range(len(tokens) - size + 1):
            window = tokens[i : i + size]
            if not all(_PURE_WORD.fullmatch(t) and t.isascii() for t in window):
                continue
            words = tuple(t.lower() for t in window)
            if _is_content_word(words[0]) and _is_content_word(words[-1]):
                found.append(words)
    return found


def generate_queries(
    articles: Sequence[Article], *, per_kind: int = 50, seed: int = SEED
) -> tuple[BenchQuery, ...]:
    """``per_kind`` queries of every kind in :data:`KINDS`, the same for the same corpus and seed.

    Kinds are drawn from independent random streams, so changing one kind's rules leaves the
    other kinds' queries as they were.
    """
    if not articles:
        raise ValueError("cannot draw queries from an empty corpus")
    queries: list[BenchQuery] = []
    for kind in KINDS:
        rng = random.Random(f"{seed}:{kind}")
        draw = _deep_draw(articles) if kind == "deep" else _DRAWS[kind]
        made = 0
        for _attempt in range(per_kind * 50):
            query = draw(rng, articles)
            if query is not None:
                queries.append(query)
                made += 1
                if made == per_kind:
                    break
    return tuple(queries)


def _body_word(rng: random.Random, article: Article) -> str | None:
    words = _content_words(article.body)
    return rng.choice(words) if words else None


def _draw_word(rng: random.Random, articles: Sequence[Article]) -> BenchQuery | None:
    word = _body_word(rng, rng.choice(articles))
    return BenchQuery("word", (word,)) if word else None


def _draw_words(rng: random.Random, articles: Sequence[Article]) -> BenchQuery | None:
    words = sorted(set(_content_words(rng.choice(articles).body)))
    size = rng.choice((2, 3))
    if len(words) < size:
        return None
    return BenchQuery("words", tuple(rng.sample(words, size)))


def _draw_phrase(rng: random.Random, articles: Sequence[Article]) -> BenchQuery | None:
    phrases = _phrases(rng.choice(articles).body)
    return BenchQuery("phrase", rng.choice(phrases), phrase=True) if phrases else None


def _draw_title(rng: random.Random, articles: Sequence[Article]) -> BenchQuery | None:
    words = _content_words(rng.choice(articles).title)
    return BenchQuery("title", (rng.choice(words),), field="title") if words else None


def _draw_date(rng: random.Random, articles: Sequence[Article]) -> BenchQuery | None:
    article = rng.choice(articles)
    word = _body_word(rng, article)
    if word is None or article.published is None:
        return None
    year = article.published.astimezone(dt.timezone.utc).year
    return BenchQuery("date", (word,), since=dt.date(year, 1, 1), until=dt.date(year, 12, 31))


def _draw_sorted(rng: random.Random, articles: Sequence[Article]) -> BenchQuery | None:
    word = _body_word(rng, rng.choice(articles))
    return BenchQuery("sorted", (word,), sort="newest") if word else None


def _frequent_words(articles: Sequence[Article], count: int = 50) -> list[str]:
    """The ``count`` content words found in the most articles, alphabetically."""
    df: Counter[str] = Counter()
    for article in articles:
        df.update(set(_content_words(article.title + " " + article.body)))
    return sorted(word for word, _ in df.most_common(count))


def _deep_draw(articles: Sequence[Article]) -> Draw:
    frequent = _frequent_words(articles)

    def draw(rng: random.Random, _articles: Sequence[Article]) -> BenchQuery | None:
        return BenchQuery("deep", (rng.choice(frequent),), page=DEEP_PAGE)

    return draw


_DRAWS = {
    "word": _draw_word,
    "words": _draw_words,
    "phrase": _draw_phrase,
    "title": _draw_title,
    "date": _draw_date,
    "sorted": _draw_sorted,
}
