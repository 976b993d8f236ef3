"""Where an import into OpenSearch spends its time: the node's CPU for the index as newsindex
makes it, without its phrase pairs, its exact forms or its proximity pairs, and with the writer
sending one request at a time with refresh left on; in interleaved rounds.

The node's CPU (``_nodes/stats``, every node summed) counts what the cluster did, the client's
(``time.process_time``) what this process did: on a machine shared with other jobs both drift
much less than the wall time, which is shown too.

    eval "$(bash .ci/opensearch-dist)"    # then start a node, or use any running cluster
    python -m benchmarks.probes.opensearch_bulk --url http://127.0.0.1:9200 \\
        --corpus wikinews/articles.jsonl --rounds 2

Imports of newsindex internals: the OpenSearch engine's module constant ``IN_FLIGHT`` and its
``_pause_refresh`` method, swapped for the "one request" variant; ``template.index_body``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from benchmarks.probes import _harness as harness
from newsindex import Article

VARIANTS = ("as-made", "no-pairs", "no-exact", "no-proximity", "one-request")
"""as-made: the index and the writer as they are; no-pairs: title and body without
``index_phrases``; no-exact: without the ``.exact`` sub-fields; no-proximity: without the
``.pairs`` sub-fields (the local engine's word pairs); one-request: as made, written one bulk
request at a time with the index's refresh left on."""


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("opensearch_bulk", __doc__)
    parser.add_argument("--url", required=True, help="A running cluster's node URL(s), commas.")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"Of {', '.join(VARIANTS)} [all]."
    )
    parser.add_argument("--rounds", type=int, default=2, help="Interleaved rounds [2].")
    harness.add_corpus_options(parser)
    args = parser.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if unknown := sorted(set(args.variants) - set(VARIANTS)):
        parser.error(f"unknown variant {', '.join(unknown)}")
    return args


def _body(variant: str, combined_fields: bool) -> dict[str, Any]:
    from newsindex.engines.opensearch.template import index_body

    body = index_body(combined_fields=combined_fields)
    properties = body["mappings"]["properties"]
    for field in ("title", "body"):
        if variant == "no-pairs":
            properties[field].pop("index_phrases")
        dropped = {"no-exact": "exact", "no-proximity": "pairs"}.get(variant)
        if dropped:  # a new dict: title and body share theirs
            fields = properties[field]["fields"]
            properties[field]["fields"] = {k: v for k, v in fields.items() if k != dropped}
    return body


@contextlib.contextmanager
def _writer(variant: str) -> Iterator[None]:
    """The engine's writer as it is, or sending one request at a time with refresh on."""
    from newsindex.engines.opensearch import engine

    if variant != "one-request":
        yield
        return
    in_flight, pause = engine.IN_FLIGHT, engine.OpenSearchEngine._pause_refresh
    engine.IN_FLIGHT = 1
    engine.OpenSearchEngine._pause_refresh = lambda self: {}  # type: ignore[method-assign]
    try:
        yield
    finally:
        engine.IN_FLIGHT = in_flight
        engine.OpenSearchEngine._pause_refresh = pause  # type: ignore[method-assign]


def _node_totals(stats: Callable[..., Any]) -> tuple[float, float, float]:
    """CPU seconds, indexing seconds and refresh seconds, every node summed."""
    nodes = stats(metric="process,indices")["nodes"].values()
    return (
        sum(n["process"]["cpu"]["total_in_millis"] for n in nodes) / 1000,
        sum(n["indices"]["indexing"]["index_time_in_millis"] for n in nodes) / 1000,
        sum(n["indices"]["refresh"]["total_time_in_millis"] for n in nodes) / 1000,
    )


def measure(urls: list[str], variant: str, articles: list[Article]) -> dict[str, float]:
    """Load ``articles`` into a new index of ``variant`` and delete it; what it cost."""
    from newsindex.engines.opensearch.client import connect
    from newsindex.engines.opensearch.engine import OpenSearchEngine

    connection = connect(urls, timeout=120)
    client = connection.client
    name = f"newsindex-probe-{variant}-{os.getpid()}"
    client.indices.create(index=name, body=_body(variant, connection.has_combined_fields))
    try:
        engine = OpenSearchEngine(connection, name)
        before = _node_totals(client.nodes.stats)
        wall, cpu = time.perf_counter(), time.process_time()
        with _writer(variant):
            engine.write(articles)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = _node_totals(client.nodes.stats)
    finally:
        client.indices.delete(index=name)
        connection.close()
    node, indexing, refresh = (b - a for a, b in zip(before, after, strict=True))
    return {"wall": wall, "client": cpu, "node": node, "indexing": indexing, "refresh": refresh}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    urls = [u.strip() for u in args.url.split(",") if u.strip()]
    articles = harness.load_articles(args)
    print(f"{len(articles):,} articles; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'round':>5} {'variant':<12} {'wall s':>7} {'per s':>6} {'client CPU s':>12} "
        f"{'node CPU s':>10} {'indexing s':>10} {'refresh s':>9}"
    )
    for round_number in range(1, args.rounds + 1):
        for variant in args.variants:
            found = measure(urls, variant, articles)
            print(
                f"{round_number:>5} {variant:<12} {found['wall']:>7.1f} "
                f"{len(articles) / found['wall']:>6.0f} {found['client']:>12.1f} "
                f"{found['node']:>10.1f} {found['indexing']:>10.1f} {found['refresh']:>9.1f}",
                flush=True,
            )
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
