"""What the probes share: their command lines, the articles, index and queries they run on,
one search as the benchmark runs it, timing it (best of several runs, or two versions of the
code against each other), and swapping a function for a stand-in wherever newsindex has bound
it.

Imports of newsindex internals: ``newsindex.engines.whoosh.pruning.top_documents``, inside
:func:`compiled_query` only (swapped for a spy that keeps the query a search compiled); it also
reads a Whoosh searcher's ``leaf_searchers`` and their readers (:func:`field_readers`).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from benchmarks.queries import KINDS, PAGE_SIZE, BenchQuery, generate_queries
from benchmarks.run import _percentile, _read_queries
from newsindex import IMPORT_MEMORY_MB, Article, NewsIndex, SearchResults, read_paths
from newsindex.ingest import sample_paths

__all__ = [
    "FIELDS",
    "KINDS",
    "add_corpus_options",
    "add_import_options",
    "add_index_options",
    "best_of",
    "compare_modes",
    "compiled_query",
    "field_readers",
    "load_articles",
    "open_index",
    "own_searcher",
    "percentile",
    "probe_parser",
    "queries_of",
    "scratch_index",
    "search",
    "swapped",
]

T = TypeVar("T")

percentile = _percentile
"""The benchmark's percentile of a sorted list (linear between closest ranks)."""

FIELDS = ("title", "body")
"""The fields a search looks for a word in."""


def probe_parser(name: str, doc: str | None) -> argparse.ArgumentParser:
    """The command line of ``python -m benchmarks.probes.NAME``, its docstring as the help."""
    return argparse.ArgumentParser(
        prog=f"python -m benchmarks.probes.{name}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


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


def add_import_options(parser: argparse.ArgumentParser) -> None:
    """The corpus options and ``--memory-mb``: the articles an import probe adds, and how."""
    add_corpus_options(parser)
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=IMPORT_MEMORY_MB,
        help=f"The import's memory setting; lower it to see runs written [{IMPORT_MEMORY_MB}].",
    )


def add_index_options(
    parser: argparse.ArgumentParser, *, kinds: Sequence[str] = (), queries: bool = True
) -> None:
    """``--index`` and the corpus options; with ``queries``, ``--queries`` and ``--per-kind``,
    and ``--kinds`` when ``kinds`` is given (its default)."""
    group = parser.add_argument_group("index and queries" if queries else "index")
    group.add_argument(
        "--index",
        type=Path,
        help="A newsindex index folder, such as WORK/scale-16/newsindex kept by "
        "'python -m benchmarks ... --work WORK --keep' [default: one built from --corpus "
        "and --scale in a temporary folder].",
    )
    if queries:
        group.add_argument(
            "--queries",
            type=Path,
            help="The benchmark's query file (WORK/queries.json) [default: drawn from --corpus "
            "as the benchmark draws them].",
        )
        group.add_argument(
            "--per-kind", type=int, default=50, help="Queries per kind when drawing them [50]."
        )
    if queries and kinds:
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
def scratch_index() -> Iterator[NewsIndex]:
    """A new, empty index in a temporary folder, closed and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="newsindex-probe-"))
    try:
        with NewsIndex.create(folder / "index") as index:
            yield index
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def open_index(args: argparse.Namespace, *, procs: int = 2) -> Iterator[NewsIndex]:
    """``--index``, or an index of ``--corpus`` built for the probe and removed afterwards."""
    if args.index:
        with NewsIndex.open(args.index) as index:
            yield index
        return
    articles = load_articles(args)
    print(f"building an index of {len(articles):,} articles ...", file=sys.stderr)
    with scratch_index() as index:
        index.add(articles, procs=procs)
        yield index


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


def best_of(runs: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """The least wall time in seconds of ``runs`` calls of ``function(*args, **kwargs)``, and
    what the last call returned."""
    best = float("inf")
    found: Any = None
    for _ in range(runs):
        start = time.perf_counter()
        found = function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, found


def _answer(found: SearchResults) -> tuple:
    return found.total, [(hit.id, hit.score, hit.snippet, hit.highlights) for hit in found.hits]


def compare_modes(
    index: NewsIndex,
    queries: Sequence[BenchQuery],
    modes: Mapping[str, Callable[[], contextlib.AbstractContextManager]],
    *,
    passes: int,
) -> None:
    """Two or more ways of running the same searches, in one process, printed side by side.

    ``modes`` maps a label to what sets that way up for a block (a context manager factory).
    First every mode answers every query (which also warms each), and whether the answers
    (totals, ids, scores, snippets and highlights) are the same in all is printed; then, for
    each of ``passes`` passes, every query, in an order shuffled per pass, runs in each mode in
    turn, the modes' order reversed every other pass, and p50 / p95 / p99 ms are printed per
    kind and mode. Both meet the same noise, which makes this steadier than separate runs."""
    labels = list(modes)
    answers = {}
    for label in labels:
        with modes[label]():
            answers[label] = [_answer(search(index, query)) for query in queries]
    print("same answers:", all(answers[label] == answers[labels[0]] for label in labels))
    times: dict[tuple[str, str], list[float]] = {}
    for number in range(passes):
        order = list(range(len(queries)))
        random.Random(number).shuffle(order)
        for i in order:
            for label in labels if number % 2 == 0 else labels[::-1]:
                with modes[label]():
                    start = time.perf_counter()
                    search(index, queries[i])
                    spent = (time.perf_counter() - start) * 1000
                times.setdefault((queries[i].kind, label), []).append(spent)
    for kind in dict.fromkeys(query.kind for query in queries):
        cells = []
        for label in labels:
            ms = sorted(times.get((kind, label), ()))
            figures = " / ".join(f"{percentile(ms, p):.2f}" for p in (0.5, 0.95, 0.99))
            cells.append(f"{label} {figures}" if ms else f"{label} -")
        print(f"{kind}: " + " | ".join(cells))


def own_searcher(index: NewsIndex) -> Any:
    """A Whoosh searcher on the index's latest commit for the probe's own reading (searches
    borrow others from the instance's pool)."""
    return index._index.searcher()


def field_readers(searcher: Any) -> Iterator[tuple[Any, Any, str]]:
    """``(leaf searcher, its reader, field)`` for every segment of ``searcher`` and each of
    :data:`FIELDS`."""
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        for field in FIELDS:
            yield sub, reader, field


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


def compiled_query(index: NewsIndex, text: str, *, page: int = 1) -> Any:
    """The Whoosh query ``index.search(text, page=page)`` evaluates, or ``None`` when that
    search does not go through newsindex's own top-documents evaluation."""
    # Imported here, so that only the probes that call this depend on the module's layout.
    from newsindex.engines.whoosh.pruning import top_documents

    seen = []

    def spy(searcher, query, limit):
        seen.append(query)
        return top_documents(searcher, query, limit)

    with swapped(top_documents, spy):
        index.search(text, limit=PAGE_SIZE, page=page)
    return seen[0] if seen else None
