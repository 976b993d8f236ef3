"""What the probes share: the articles, index and queries they run on, one search as the
benchmark runs it, and swapping a function for a stand-in wherever newsindex has bound it."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from benchmarks.queries import KINDS, PAGE_SIZE, BenchQuery, generate_queries
from benchmarks.run import _percentile, _read_queries
from newsindex import Article, NewsIndex, SearchResults, read_paths
from newsindex.ingest import sample_paths

__all__ = [
    "KINDS",
    "add_corpus_options",
    "add_index_options",
    "load_articles",
    "open_index",
    "own_searcher",
    "percentile",
    "queries_of",
    "search",
    "swapped",
]

percentile = _percentile
"""The benchmark's percentile of a sorted list (linear between closest ranks)."""


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    """``--corpus`` and ``--scale``: the articles a probe reads or indexes."""
    group = parser.add_argument_group("articles")
    group.add_argument(
        "--corpus",
        type=Path,
        help="A JSON Lines file of articles [default: the bundled sample, 1,501 articles].",
    )
    group.add_argument(
        "--scale",
        type=int,
        default=1,
        help="The corpus this many times over, copy k > 0 under ids ending ~k, as the "
        "benchmark's --scale [1].",
    )


def add_index_options(parser: argparse.ArgumentParser, *, kinds: Sequence[str] = ()) -> None:
    """``--index``, ``--queries`` and the corpus options; ``--kinds`` when ``kinds`` is given
    (its default)."""
    group = parser.add_argument_group("index and queries")
    group.add_argument(
        "--index",
        type=Path,
        help="A newsindex index folder, such as WORK/scale-16/newsindex kept by "
        "'python -m benchmarks ... --work WORK --keep' [default: one built from --corpus "
        "and --scale in a temporary folder].",
    )
    group.add_argument(
        "--queries",
        type=Path,
        help="The benchmark's query file (WORK/queries.json) [default: drawn from --corpus "
        "as the benchmark draws them].",
    )
    group.add_argument(
        "--per-kind", type=int, default=50, help="Queries per kind when drawing them [50]."
    )
    if kinds:
        group.add_argument(
            "--kinds",
            default=",".join(kinds),
            help=f"Comma-separated query kinds, of {', '.join(KINDS)} [{','.join(kinds)}].",
        )
    add_corpus_options(parser)


def load_articles(args: argparse.Namespace) -> list[Article]:
    """The articles of ``--corpus`` (or the sample), ``--scale`` times over."""
    paths = [args.corpus] if args.corpus else list(sample_paths())
    articles = list(read_paths(paths))
    copies = [
        attrs.evolve(article, id=f"{article.id}~{copy}")
        for copy in range(1, args.scale)
        for article in articles
    ]
    return articles + copies


@contextlib.contextmanager
def open_index(args: argparse.Namespace, *, procs: int = 2) -> Iterator[NewsIndex]:
    """``--index``, or an index of ``--corpus`` built for the probe and removed afterwards."""
    if args.index:
        with NewsIndex.open(args.index) as index:
            yield index
        return
    folder = Path(tempfile.mkdtemp(prefix="newsindex-probe-"))
    try:
        articles = load_articles(args)
        print(f"building an index of {len(articles):,} articles ...", file=sys.stderr)
        with NewsIndex.create(folder / "index") as index:
            index.add(articles, procs=procs)
            yield index
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def queries_of(args: argparse.Namespace) -> list[BenchQuery]:
    """``--queries``, or the benchmark's queries drawn from ``--corpus`` at 1×; only the kinds
    in ``--kinds`` when the probe has that option."""
    if args.queries:
        queries = _read_queries(args.queries)
    else:
        paths = [args.corpus] if args.corpus else list(sample_paths())
        queries = list(generate_queries(list(read_paths(paths)), per_kind=args.per_kind))
    kinds = getattr(args, "kinds", None)
    if kinds:
        wanted = [kind.strip() for kind in kinds.split(",") if kind.strip()]
        unknown = sorted(set(wanted) - set(KINDS))
        if unknown:
            raise SystemExit(f"unknown kind(s) {', '.join(unknown)}: choose from {KINDS}")
        queries = [query for query in queries if query.kind in wanted]
    return queries


def search(index: NewsIndex, query: BenchQuery) -> SearchResults:
    """One benchmark query, as the benchmark runs it: one page of ten hits, with snippets."""
    return index.search(query.newsindex_query(), limit=PAGE_SIZE, page=query.page, sort=query.sort)


def own_searcher(index: NewsIndex) -> Any:
    """A Whoosh searcher on the index's latest commit for the probe's own reading (searches
    borrow others from the instance's pool)."""
    return index._index.searcher()


@contextlib.contextmanager
def swapped(original: Callable, replacement: Callable) -> Iterator[None]:
    """``replacement`` in every loaded newsindex module that binds ``original`` at module
    level while the block runs: a function is looked up where it was imported, so replacing
    it in its own module alone would miss the callers that imported it."""
    places = [
        (module, name)
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith("newsindex")
        for name, value in list(vars(module).items())
        if value is original
    ]
    if not places:
        raise LookupError(f"no newsindex module binds {original!r}")
    for module, name in places:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for module, name in places:
            setattr(module, name, original)
