"""The OpenSearch engine next to the local one: bulk indexing rate and query latency.

::

    python -m benchmarks.engines --smoke --url http://127.0.0.1:9200   # seconds, a running node
    python -m benchmarks.engines --corpus wikinews/articles.jsonl --scale 1,16

Same corpus, same queries (:func:`benchmarks.queries.generate_queries`, as ``benchmarks/run.py``
draws them), same scaled copies (ids ending ``~k``), both engines through ``NewsIndex``:

- **local**: the Whoosh engine in a folder, built and queried in fresh child processes by
  ``benchmarks/run.py``'s own ``build`` and ``query`` tasks, so its figures are that
  benchmark's;
- **OpenSearch**: ``NewsIndex.add_files`` into a new index on one node (1 shard, no replica) and
  on a three-node cluster (2 shards × 1 replica), then the same timed passes, measured at the
  client: each search is the HTTP round trip (or two: long queries ask for term frequencies)
  plus building the page of hits with snippets.

Without ``--url`` the nodes are started from the distribution ``.ci/opensearch-dist`` prepares
(``eval "$(bash .ci/opensearch-dist)"`` first), by the test suite's own node code
(``tests/_opensearch.py``, with the JVM's full compiler, not the tests' quick one), and stopped
at the end. Nothing passes or fails on a number.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: python benchmarks/engines.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import peers, report, run
from benchmarks.queries import DEEP_PAGE, KINDS, PAGE_SIZE, SEED, BenchQuery, generate_queries
from newsindex import NewsIndex, read_path

__all__ = ["TOPOLOGIES", "main"]

TOPOLOGIES = {
    "single": ("OpenSearch, 1 node", 1, 1, 0),
    "cluster": ("OpenSearch, 3 nodes", 3, 2, 1),
}
"""Name → (label, nodes, shards, replicas)."""

LOCAL = "local"
LOCAL_LABEL = "local (Whoosh)"
SMOKE_ARTICLES = run.SMOKE_ARTICLES
_TESTS = Path(__file__).resolve().parent.parent / "tests"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.engines",
        description="Measure the OpenSearch engine's bulk indexing rate and query latency next "
        "to the local engine, on the same corpus and queries.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"Seconds: {SMOKE_ARTICLES} sample articles, 3 queries per kind, one pass, one "
        "node; skipped (exit 0) when no node can be had.",
    )
    parser.add_argument(
        "--corpus", type=Path, help="A JSON Lines file of articles [default: the bundled sample]."
    )
    parser.add_argument("--scale", default="1", help="Comma-separated repeat factors [1].")
    parser.add_argument(
        "--topologies",
        default=",".join(TOPOLOGIES),
        help="single (1 node, 1 shard) and/or cluster (3 nodes, 2 shards × 1 replica) "
        "[default: both; smoke: single].",
    )
    parser.add_argument(
        "--url",
        help="Use this running cluster (node URLs, commas between) instead of starting nodes; "
        "its indexes get 1 shard and no replica.",
    )
    parser.add_argument("--queries", type=int, help="Queries per kind [default: 50; smoke: 3].")
    parser.add_argument("--repeat", type=int, help="Timed passes [default: 3; smoke: 1].")
    parser.add_argument("--seed", type=int, default=SEED, help="Query generation seed.")
    parser.add_argument(
        "--out", type=Path, default=run.DEFAULT_OUT, help="Results folder [benchmarks/results]."
    )
    args = parser.parse_args(argv)
    try:
        args.scales = sorted({int(k) for k in args.scale.split(",") if k.strip()})
    except ValueError:
        parser.error(f"--scale takes whole numbers like 1,16, not {args.scale!r}")
    if not args.scales or min(args.scales) < 1:
        parser.error("--scale takes whole numbers of at least 1")
    wanted = [t.strip() for t in args.topologies.split(",") if t.strip()]
    if unknown := sorted(set(wanted) - set(TOPOLOGIES)):
        parser.error(f"unknown topology {', '.join(unknown)}: choose from {', '.join(TOPOLOGIES)}")
    if args.url:
        args.topologies = ["given"]
    elif args.smoke:
        args.topologies = ["single"]
    else:
        args.topologies = [t for t in TOPOLOGIES if t in wanted]
    args.queries = args.queries or (3 if args.smoke else 50)
    args.repeat = args.repeat or (1 if args.smoke else 3)
    return args


# --- nodes -------------------------------------------------------------------------------------


class NoNodes(Exception):
    """No OpenSearch node can be started here; the message says why."""


@contextmanager
def started(topology: str) -> Iterator[list[str]]:
    """The node URLs of ``topology``, started with the test suite's node code and stopped
    (their folders removed) on leaving."""
    sys.path.insert(0, str(_TESTS))
    try:
        import _opensearch  # the test fixtures' nodes: same distribution, ports and settings
        import pytest
    finally:
        sys.path.remove(str(_TESTS))
    # The test nodes use only the quick compiler, which starts them sooner but costs a long
    # bulk load 1.6-2.1 times the node's CPU (python -m benchmarks.probes.opensearch_bulk
    # --variants as-made, on two such nodes in turn): a benchmark's nodes compile as a
    # deployed node does.
    _opensearch.JIT = "-XX:+TieredCompilation"
    nodes = _opensearch.Nodes()
    try:
        group = nodes.nodes("single" if topology == "single" else "cluster")
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        nodes.stop()
        raise NoNodes(str(exc.msg)) from None
    try:
        for node in group:
            node.wait_until_answering(lambda url: _opensearch.plain_get(url)[0])
        if len(group) > 1:
            _opensearch.Cluster(group).wait_for_green()
        yield [node.url for node in group]
    finally:
        nodes.stop()


# --- OpenSearch: build and query from this process ----------------------------------------------


def _opensearch_index(urls: list[str], name: str, shards: int, replicas: int) -> NewsIndex:
    from newsindex.engines.opensearch.engine import OpenSearchEngine

    engine = OpenSearchEngine.create(urls, name, shards=shards, replicas=replicas, timeout=120)
    return NewsIndex(engine)


def _drop(index: NewsIndex, name: str) -> None:
    engine: Any = index._engine  # the benchmark removes what it made; NewsIndex has no drop
    engine.connection.client.indices.delete(index=name)


def _load() -> tuple[float, ...]:
    return tuple(round(x, 1) for x in os.getloadavg())


def _search(index: NewsIndex, query: BenchQuery) -> list[str]:
    """One page of hits, as ``benchmarks.peers.NewsIndexEngine`` asks the local engine."""
    results = index.search(
        query.newsindex_query(), limit=PAGE_SIZE, page=query.page, sort=query.sort
    )
    return [hit.id for hit in results.hits]


def time_queries(
    search: Callable[[BenchQuery], list[str]], queries: Sequence[BenchQuery], repeat: int, seed: int
) -> dict:
    """``benchmarks/run.py``'s query task over ``search``: one untimed pass (the hits), then
    ``repeat`` passes in a shuffled, seeded order; percentiles per kind."""
    start = time.perf_counter()
    ids = [search(q) for q in queries]
    first_pass_s = time.perf_counter() - start
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    order = list(range(len(queries)))
    for attempt in range(repeat):
        random.Random(f"{seed}:{attempt}").shuffle(order)
        for i in order:
            begin = time.perf_counter()
            search(queries[i])
            timings[queries[i].kind].append(time.perf_counter() - begin)
    kinds = {}
    for kind, samples in timings.items():
        if not samples:
            continue
        ordered = sorted(samples)
        hits = [len(found) for found, q in zip(ids, queries, strict=True) if q.kind == kind]
        kinds[kind] = {
            "p50_ms": run._percentile(ordered, 0.50) * 1000,
            "p95_ms": run._percentile(ordered, 0.95) * 1000,
            "p99_ms": run._percentile(ordered, 0.99) * 1000,
            "mean_ms": statistics.fmean(ordered) * 1000,
            "samples": len(ordered),
            "mean_hits": statistics.fmean(hits),
        }
    return {"first_pass_s": first_pass_s, "kinds": kinds, "ids": ids}


def measure_opensearch(
    urls: list[str],
    topology: str,
    corpus: Path,
    articles: int,
    queries: Sequence[BenchQuery],
    args: argparse.Namespace,
    scale: int,
) -> dict:
    """Bulk-load ``corpus`` into a new index on ``urls``, then time the queries."""
    _label, _nodes, shards, replicas = TOPOLOGIES.get(topology, ("", 0, 1, 0))
    name = f"newsindex-bench-x{scale}-{os.getpid()}"
    index = _opensearch_index(urls, name, shards, replicas)
    try:
        load = _load()
        start = time.perf_counter()
        index.add(read_path(corpus))  # read while sending: one bulk stream, as the CLI sends it
        build_s = time.perf_counter() - start
        stored = len(index)
        size = index.stats().size_bytes
        _say(f"    {stored:,} articles in {build_s:.1f} s ({stored / build_s:,.0f}/s); querying")
        timed = time_queries(lambda q: _search(index, q), queries, args.repeat, args.seed)
    finally:
        _drop(index, name)
        index.close()
    return {
        "build": {
            "build_s": build_s,
            "articles_per_s": articles / build_s,
            "stored": stored,
            "size_mb": size / 2**20,
            "shards": shards,
            "replicas": replicas,
            "load_before": load,
            "load_after": _load(),
        },
        "query": timed,
    }


# --- the local engine: benchmarks/run.py's own child tasks ----------------------------------------


def measure_local(corpus: Path, queries_file: Path, args: argparse.Namespace, work: Path) -> dict:
    """Build and query the local engine in fresh processes, exactly as ``benchmarks/run.py``."""
    folder = work / "local"
    shutil.rmtree(folder, ignore_errors=True)
    load = _load()
    task = {"task": "build", "engine": "newsindex", "folder": str(folder), "corpus": str(corpus)}
    build = run._run_child(task, work)
    build["load_before"], build["load_after"] = load, _load()
    query = {
        "task": "query",
        "engine": "newsindex",
        "folder": str(folder),
        "queries": str(queries_file),
        "repeat": args.repeat,
        "seed": args.seed,
    }
    timed = run._run_child(query, work)
    shutil.rmtree(folder, ignore_errors=True)
    return {"build": build, "query": timed}


# --- the run -----------------------------------------------------------------------------------


def _scaled(articles: Sequence, scale: int, work: Path) -> Path:
    corpus = work / f"corpus-x{scale}.jsonl"
    if not corpus.exists():
        run._write_scaled(articles, scale, corpus)
    return corpus


def _finish(results: dict) -> None:
    """Per engine and scale: the rate, and the share of the local engine's hits found."""
    loaded = [peers.query_from_data(q) for q in results["query_set"]]
    for scale_run in results["runs"]:
        engines = scale_run["engines"]
        if LOCAL not in engines:  # a scale not reached yet
            continue
        mine = engines[LOCAL]["query"]["ids"]
        for measured in engines.values():
            measured["build"]["articles_per_s"] = (
                scale_run["articles"] / measured["build"]["build_s"]
            )
            theirs = measured["query"].pop("ids")
            measured["query"]["overlap_with_local"] = {
                kind: run._overlap(
                    [ids for ids, q in zip(mine, loaded, strict=True) if q.kind == kind],
                    [ids for ids, q in zip(theirs, loaded, strict=True) if q.kind == kind],
                )
                for kind in KINDS
            }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; returns the exit status."""
    args = _parse_args(list(sys.argv[1:] if argv is None else argv))
    articles, corpus_name = run._load_corpus(args)
    queries = generate_queries(articles, per_kind=args.queries, seed=args.seed)
    work = Path(tempfile.mkdtemp(prefix="newsindex-engines-"))
    queries_file = work / "queries.json"
    run._write_queries(queries, queries_file)
    started_at = dt.datetime.now(dt.timezone.utc)
    runs = [{"scale": k, "articles": len(articles) * k, "engines": {}} for k in args.scales]

    def results() -> dict:
        """What is measured so far, ready to write: a long run keeps every finished part."""
        found = {
            "meta": {
                "started": started_at.isoformat(timespec="seconds"),
                "seconds": round(
                    (dt.datetime.now(dt.timezone.utc) - started_at).total_seconds(), 1
                ),
                "command": _command_line(args),
                "corpus": corpus_name,
                "corpus_articles": len(articles),
                "topologies": args.topologies,
                "seed": args.seed,
                "queries_per_kind": args.queries,
                "repeat": args.repeat,
                "page_size": PAGE_SIZE,
                "deep_page": DEEP_PAGE,
                "cpus": os.cpu_count(),
                "machine": f"{platform.system()} {platform.machine()}",
                "versions": {**run._versions(), **_server_versions()},
            },
            "query_set": [peers.query_to_data(q) for q in queries],
            "runs": copy.deepcopy(runs),
        }
        _finish(found)
        return found

    try:
        with contextlib.ExitStack() as nodes:
            clusters: dict[str, list[str]] = {}
            for scale_run in runs:
                scale = scale_run["scale"]
                _say(f"scale {scale}×: {scale_run['articles']:,} articles; {LOCAL_LABEL}")
                corpus = _scaled(articles, scale, work)
                scale_run["engines"][LOCAL] = measure_local(corpus, queries_file, args, work)
                for topology in args.topologies:
                    if topology not in clusters:  # started once, kept for every scale
                        clusters[topology] = nodes.enter_context(_nodes(args, topology))
                    _say(f"scale {scale}×: {_label(topology)}: bulk loading")
                    scale_run["engines"][topology] = measure_opensearch(
                        clusters[topology],
                        topology,
                        corpus,
                        scale_run["articles"],
                        queries,
                        args,
                        scale,
                    )
                    write(results(), args.out)
    except NoNodes as exc:
        _say(f"OpenSearch skipped: {exc}")
        return 0 if args.smoke else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    final = results()
    paths = write(final, args.out)
    print(markdown(final, tables_only=True))
    for path in paths:
        _say(f"wrote {path}")
    return 0


_SERVER: dict[str, str] = {}


def _server_versions() -> dict[str, str]:
    return dict(_SERVER)


def _note_server(urls: list[str]) -> None:
    from importlib.metadata import version

    from newsindex.engines.opensearch.client import connect

    connection = connect(urls)
    try:
        _SERVER["opensearch"] = connection.client.info()["version"]["number"]
    finally:
        connection.close()
    _SERVER["opensearch-py"] = version("opensearch-py")


@contextmanager
def _nodes(args: argparse.Namespace, topology: str) -> Iterator[list[str]]:
    if args.url:
        urls = [u.strip() for u in args.url.split(",") if u.strip()]
        _note_server(urls)
        yield urls
        return
    _say(f"{_label(topology)}: starting")
    with started(topology) as urls:
        _note_server(urls)
        yield urls


def _label(topology: str) -> str:
    return TOPOLOGIES[topology][0] if topology in TOPOLOGIES else "OpenSearch (given)"


def _command_line(args: argparse.Namespace) -> str:
    parts = ["python -m benchmarks.engines"]
    if args.smoke:
        parts.append("--smoke")
    if args.corpus:
        parts.append(f"--corpus {args.corpus.resolve().parent.name}/{args.corpus.name}")
    if args.scales != [1]:
        parts.append("--scale " + ",".join(map(str, args.scales)))
    if args.url:
        parts.append("--url URL")
    elif not args.smoke and args.topologies != list(TOPOLOGIES):
        parts.append("--topologies " + ",".join(args.topologies))
    return " ".join(parts)


# --- report ------------------------------------------------------------------------------------


def _engines(results: dict) -> list[str]:
    return [LOCAL, *results["meta"]["topologies"]]


def _name(engine: str) -> str:
    return LOCAL_LABEL if engine == LOCAL else _label(engine)


def _latency_cell(measured: dict, kind: str) -> str:
    numbers = measured["query"]["kinds"].get(kind)
    if numbers is None:
        return "–"
    return " / ".join(report._ms(numbers[f"p{p}_ms"]) for p in (50, 95, 99))


def markdown(results: dict, *, tables_only: bool = False) -> str:
    """The indexing table and one latency table per scale."""
    meta = results["meta"]
    engines = _engines(results)
    runs = results["runs"]
    scales = " / ".join(f"{r['scale']}×" for r in runs)
    lines: list[str] = []
    if not tables_only:
        lines += [
            "# newsindex: the OpenSearch engine next to the local one",
            "",
            f"{meta['corpus']}, {meta['queries_per_kind']} queries per kind, "
            f"{meta['repeat']} timed passes; {meta['cpus']} CPUs ({meta['machine']}); "
            f"{meta['seconds']:.0f} s. Command: `{meta['command']}`",
            "",
            "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
            "",
        ]
    header = ["", *(_name(e) for e in engines)]
    rows = [
        [
            f"indexing, articles/s ({scales})",
            *(
                " / ".join(
                    report._fmt(r["engines"][e]["build"]["articles_per_s"])
                    if e in r["engines"]
                    else "–"
                    for r in runs
                )
                for e in engines
            ),
        ]
    ]
    lines += _table_lines(header, rows)
    for scale_run in runs:
        lines += [
            "",
            f"Query latency, ms, p50 / p95 / p99, client side: {scale_run['articles']:,} "
            f"articles ({scale_run['scale']}×)",
            "",
        ]
        rows = [
            [
                report.KIND_NAMES[kind],
                *(
                    _latency_cell(scale_run["engines"][e], kind)
                    if e in scale_run["engines"]
                    else "–"
                    for e in engines
                ),
            ]
            for kind in KINDS
        ]
        lines += _table_lines(header, rows)
    if not tables_only:
        lines += ["", "Share of the local engine's hits also returned, per kind:", ""]
        header = ["scale", "engine", *(report.KIND_NAMES[k] for k in KINDS)]
        rows = []
        for scale_run in runs:
            for engine in engines[1:]:
                measured = scale_run["engines"].get(engine)
                if measured is None:
                    continue
                overlap = measured["query"]["overlap_with_local"]
                rows.append(
                    [
                        f"{scale_run['scale']}×",
                        _name(engine),
                        *(f"{overlap[k]:.0%}" for k in KINDS),
                    ]
                )
        lines += _table_lines(header, rows, "ll" + "r" * len(KINDS))
        lines += ["", "Load average (1 min) before and after each build:", ""]
        for scale_run in runs:
            for engine in engines:
                build = scale_run["engines"].get(engine, {}).get("build")
                if build:
                    lines.append(
                        f"- {scale_run['scale']}×, {_name(engine)}: "
                        f"{build['load_before'][0]} → {build['load_after'][0]}"
                    )
    return "\n".join(lines) + "\n"


def _table_lines(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    return report._table(header, rows, align)


def write(results: dict, out: Path) -> list[Path]:
    """``engines-STEM.json`` and ``engines-STEM.md`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    if results["meta"]["corpus"].startswith("bundled sample ("):
        base = "smoke"
    elif results["meta"]["corpus"] == "bundled sample":
        base = "sample"
    else:
        base = results["meta"]["corpus"].replace("/", "-").rsplit(".", 1)[0]
    stem = out / ("engines-" + base + "-x" + "-".join(str(r["scale"]) for r in results["runs"]))
    paths = [stem.with_suffix(".json"), stem.with_suffix(".md")]
    paths[0].write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(results), encoding="utf-8")
    return paths


if __name__ == "__main__":
    sys.exit(main())
