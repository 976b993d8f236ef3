"""Ranking quality on OpenSearch: the same documents and queries on both engines, side by side.

For every collection (the layout of ``benchmarks/eval.py``: ``docs.jsonl``, ``queries.jsonl``,
``qrels.tsv``) this indexes the documents with the local engine and into a new one-shard index
on OpenSearch, runs every query through ``NewsIndex.search`` on each (``evaluation.rank``: plain
text, 1,000 results), and prints MAP and nDCG@10 with the relative difference. Beside them it
measures OpenSearch's out-of-the-box setup on the same node: the built-in ``english`` analyzer
on title and body and a ``multi_match`` (``best_fields``) over both, query-syntax characters
stripped::

    python -m benchmarks.eval_engines --corpora ../corpora               # starts one 3.6 node
    python -m benchmarks.eval_engines --corpora ../corpora --url http://127.0.0.1:9200

Results go to ``benchmarks/results/eval-engines-<collections>.json`` and ``.md``. Nothing passes
or fails on a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: python benchmarks/eval_engines.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import engines
from benchmarks.eval import REPO, find_collections, run_newsindex
from newsindex import Article, EvalReport, Metrics, NewsIndex, Topic, score_rankings
from newsindex.evaluation import DEFAULT_DEPTH, rank, read_documents, read_judgments, read_topics

__all__ = ["main"]

LOCAL = "local engine"
OPENSEARCH = "OpenSearch engine"
OUT_OF_THE_BOX = "OpenSearch out of the box"
TOLERANCE = 0.02
"""The OpenSearch engine should score within 2% (relative) of the local engine."""

_SYNTAX = re.compile(r'[+\-=&|><!(){}\[\]^"~*?:\\/]')
"""Characters Lucene's query syntax reserves, stripped from the out-of-the-box queries."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _client(urls: list[str]) -> Any:
    from opensearchpy import OpenSearch

    return OpenSearch(hosts=urls, timeout=120)


def run_opensearch(
    urls: list[str], name: str, articles: list[Article], topics: list[Topic], depth: int
) -> dict[str, tuple[str, ...]]:
    """Rankings from the OpenSearch engine: a new one-shard index, as ``newsindex eval`` makes."""
    from newsindex.engines.opensearch.engine import OpenSearchEngine

    index = NewsIndex(OpenSearchEngine.create(urls, name, shards=1, replicas=0, timeout=120))
    try:
        index.add(articles)
        return {t.id: rank(index, t.text, depth=depth) for t in topics}
    finally:
        _client(urls).indices.delete(index=name)
        index.close()


def run_out_of_the_box(
    urls: list[str], name: str, articles: list[Article], topics: list[Topic], depth: int
) -> dict[str, tuple[str, ...]]:
    """Rankings from what a first OpenSearch user writes: ``english`` analyzer, ``multi_match``."""
    from opensearchpy import helpers

    client = _client(urls)
    text = {"type": "text", "analyzer": "english"}
    client.indices.create(
        index=name,
        body={
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {"title": text, "body": text}},
        },
    )
    try:
        helpers.bulk(
            client,
            ({"_index": name, "_id": a.id, "title": a.title, "body": a.body} for a in articles),
            refresh=True,
        )
        rankings = {}
        for topic in topics:
            words = _SYNTAX.sub(" ", topic.text).split()[:1024]
            query = {"multi_match": {"query": " ".join(words), "fields": ["title", "body"]}}
            answer = client.search(
                index=name, body={"query": query, "size": depth, "_source": False}
            )
            rankings[topic.id] = tuple(hit["_id"] for hit in answer["hits"]["hits"])
        return rankings
    finally:
        client.indices.delete(index=name)
        client.close()


def _values(report: EvalReport) -> dict[str, float]:
    return dict(zip(Metrics.NAMES, report.means.values(), strict=True))


def run_collection(urls: list[str], folder: Path, depth: int) -> dict:
    """Both engines and the out-of-the-box setup on one collection, as JSON-ready data."""
    name = folder.name
    articles = list(read_documents(folder / "docs.jsonl"))
    topics = list(read_topics(folder / "queries.jsonl"))
    judgments = read_judgments(folder / "qrels.tsv")
    ids = [t.id for t in topics]
    _say(f"{name}: local engine, {len(articles):,} documents, {len(topics)} queries")
    local, _rankings, _built, _searched = run_newsindex(articles, topics, judgments, depth)
    index_name = f"newsindex-eval-{name}-{os.getpid()}"
    _say(f"{name}: OpenSearch engine")
    mine = run_opensearch(urls, index_name, articles, topics, depth)
    remote = score_rankings(mine, judgments, depth=depth, query_ids=ids, documents=len(articles))
    _say(f"{name}: OpenSearch out of the box")
    plain = run_out_of_the_box(urls, index_name + "-plain", articles, topics, depth)
    stock = score_rankings(plain, judgments, depth=depth, query_ids=ids, documents=len(articles))
    by_query = {q.query_id: q.metrics for q in local.queries}
    return {
        "collection": name,
        "documents": len(articles),
        "queries": len(local.queries),
        "depth": depth,
        "systems": {
            LOCAL: _values(local),
            OPENSEARCH: _values(remote),
            OUT_OF_THE_BOX: _values(stock),
        },
        "per_query": {
            q.query_id: {
                "local": dict(zip(Metrics.NAMES, by_query[q.query_id].values(), strict=True)),
                "opensearch": dict(zip(Metrics.NAMES, q.metrics.values(), strict=True)),
            }
            for q in remote.queries
        },
    }


def _relative(mine: float, base: float) -> float:
    return (mine - base) / base if base else 0.0


def markdown(results: dict) -> str:
    """One table: per collection, MAP and nDCG@10 of each system and the relative difference."""
    lines = [
        f"Command: `{results['command']}`  ",
        f"Run: {results['started']}, {results['machine']}, OpenSearch {results['server']}",
        "",
        "| collection | local engine | OpenSearch engine | difference | within 2% | "
        "out of the box | above it |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for data in results["collections"]:
        systems = data["systems"]
        for measure in ("MAP", "nDCG@10"):
            local, remote = systems[LOCAL][measure], systems[OPENSEARCH][measure]
            stock = systems[OUT_OF_THE_BOX][measure]
            diff = _relative(remote, local)
            lines.append(
                f"| {data['collection']} {measure} | {local:.4f} | {remote:.4f} | {diff:+.2%} | "
                f"{'yes' if abs(diff) <= TOLERANCE else '**no**'} | {stock:.4f} | "
                f"{'yes' if remote > stock else '**no**'} |"
            )
    return "\n".join(lines) + "\n"


@contextmanager
def _nodes(url: str | None) -> Iterator[list[str]]:
    if url:
        yield [u.strip() for u in url.split(",") if u.strip()]
        return
    with engines.started("single") as urls:
        yield urls


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.eval_engines", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--corpora", type=Path, required=True, help="folder of collections")
    parser.add_argument("--collections", help="comma-separated folder names [default: all found]")
    parser.add_argument("--url", help="a running node's URL [default: start one]")
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="results per query")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results", help="where results go"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    folders = find_collections(
        args.corpora, args.collections.split(",") if args.collections else None
    )
    started = dt.datetime.now(dt.timezone.utc)
    try:
        with _nodes(args.url) as urls:
            server = _client(urls).info()["version"]["number"]
            collections = [run_collection(urls, folder, args.depth) for folder in folders]
    except engines.NoNodes as exc:
        _say(f"No OpenSearch node: {exc}")
        return 1
    shown = ["python -m benchmarks.eval_engines", f"--corpora {args.corpora.name}/"]
    if args.collections:
        shown.append(f"--collections {args.collections}")
    results = {
        "command": " ".join(shown),
        "started": started.isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "server": server,
        "collections": collections,
    }
    text = markdown(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / ("eval-engines-" + "-".join(d["collection"] for d in collections))
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(text, encoding="utf-8")
    _say(f"wrote {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
