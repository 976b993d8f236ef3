"""One NewsIndex shared by threads: single-threaded latency, throughput, and correctness.

Every search borrows a searcher no other thread is using (``engines.whoosh.searchers``). This
measures what that costs a single thread and what threads gain, on the benchmark's query set:

- single-threaded p50/p95 per query kind, optionally side by side with another source tree
  (``--baseline-src``, e.g. a checkout of the commit before a change), the two measured in
  alternating child processes so that a noisy machine weighs on both alike;
- for each thread count, searches per second and the answers that differ from the
  single-threaded ones or raise (both must be zero).

    python -m benchmarks.threads --corpus wikinews/articles.jsonl --threads 1,4,16 \\
        --baseline-src BEFORE/src

Prints a table and writes ``threads.json`` into ``--out``; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.queries import KINDS, PAGE_SIZE, SEED, generate_queries

_ROOT = Path(__file__).resolve().parent.parent


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.threads", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="JSON Lines articles [default: the sample].")
    parser.add_argument("--queries", type=int, default=30, help="Queries per kind [30].")
    parser.add_argument("--threads", default="1,4,16", help="Thread counts [1,4,16].")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds [3].")
    parser.add_argument("--baseline-src", type=Path, help="Another tree's src/ to compare.")
    parser.add_argument("--out", type=Path, default=_ROOT / "benchmarks" / "results")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _percentile(ordered: Sequence[float], share: float) -> float:
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _answer(news, query) -> tuple:
    results = news.search(
        query.newsindex_query(), limit=PAGE_SIZE, page=query.page, sort=query.sort
    )
    return results.total, tuple((hit.id, hit.snippet) for hit in results.hits)


def _single(folder: Path, queries_file: Path) -> dict:
    """Child process: single-threaded latency per kind (one warm-up pass, two timed)."""
    from newsindex import NewsIndex

    queries = _load_queries(queries_file)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with NewsIndex.open(folder) as news:
        for query in queries:
            _answer(news, query)
        for _pass in range(2):
            for query in queries:
                begin = time.perf_counter()
                _answer(news, query)
                timings[query.kind].append(time.perf_counter() - begin)
    return {
        kind: {
            "p50_ms": _percentile(sorted(samples), 0.5) * 1000,
            "p95_ms": _percentile(sorted(samples), 0.95) * 1000,
        }
        for kind, samples in timings.items()
        if samples
    }


def _threaded(folder: Path, queries: Sequence, counts: Sequence[int]) -> list[dict]:
    """Searches per second with N threads sharing one instance, and wrong or failed answers."""
    from newsindex import NewsIndex

    rows = []
    with NewsIndex.open(folder) as news:
        expected = [_answer(news, query) for query in queries]
        for count in counts:
            wrong, failed = [0], [0]

            def work(start: int, wrong=wrong, failed=failed) -> None:
                for n in range(len(queries)):
                    i = (start + n) % len(queries)
                    try:
                        if _answer(news, queries[i]) != expected[i]:
                            wrong[0] += 1
                    except Exception:  # counted: a search that raises is a failure
                        failed[0] += 1

            threads = [
                threading.Thread(target=work, args=(k * len(queries) // count,))
                for k in range(count)
            ]
            begin = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - begin
            searches = count * len(queries)
            rows.append(
                {
                    "threads": count,
                    "searches": searches,
                    "per_second": searches / elapsed,
                    "wrong": wrong[0],
                    "failed": failed[0],
                }
            )
    return rows


def _load_queries(path: Path) -> list:
    import pickle

    return pickle.loads(path.read_bytes())


def _run_child(src: Path | None, folder: Path, queries_file: Path, work: Path) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), str(_ROOT)])
    out = work / "child.json"
    command = [
        sys.executable,
        "-m",
        "benchmarks.threads",
        "--child",
        str(folder),
        str(queries_file),
    ]
    subprocess.run(command, env=env, cwd=_ROOT, check=True, stdout=out.open("w"))
    return json.loads(out.read_text())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.child:
        print(json.dumps(_single(Path(args.child[0]), Path(args.child[1]))))
        return 0
    import pickle

    from newsindex import NewsIndex, read_paths
    from newsindex.ingest import sample_paths

    paths = [args.corpus] if args.corpus else list(sample_paths())
    articles = list(read_paths(paths))
    queries = generate_queries(articles, per_kind=args.queries, seed=SEED)
    with tempfile.TemporaryDirectory(prefix="newsindex-threads-") as tmp:
        work = Path(tmp)
        folder = work / "index"
        with NewsIndex.create(folder) as news:
            news.add(articles)
        queries_file = work / "queries.pickle"
        queries_file.write_bytes(pickle.dumps(list(queries)))
        trees = {"this tree": None}
        if args.baseline_src:
            trees["baseline"] = args.baseline_src.resolve()
        rounds: dict[str, list[dict]] = {label: [] for label in trees}
        for _round in range(args.rounds):
            for label, src in trees.items():
                rounds[label].append(_run_child(src, folder, queries_file, work))
        single = {
            label: {
                kind: {
                    stat: statistics.median(r[kind][stat] for r in runs)
                    for stat in ("p50_ms", "p95_ms")
                }
                for kind in runs[0]
            }
            for label, runs in rounds.items()
        }
        counts = [int(n) for n in args.threads.split(",")]
        threaded = _threaded(folder, queries, counts)
    report = {"articles": len(articles), "single": single, "threads": threaded}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "threads.json").write_text(json.dumps(report, indent=2) + "\n")
    print(_table(report))
    return 0


def _table(report: dict) -> str:
    labels = list(report["single"])
    lines = [f"{report['articles']:,} articles; single-threaded p50 / p95 ms (median of rounds)"]
    lines.append("kind      " + "".join(f"{label:>22}" for label in labels))
    for kind in report["single"][labels[0]]:
        figures = [report["single"][label][kind] for label in labels]
        cells = "".join(f"{f['p50_ms']:>11.2f} /{f['p95_ms']:>8.2f}" for f in figures)
        lines.append(f"{kind:<10}{cells}")
    lines.append("threads  searches/s  wrong  failed")
    for row in report["threads"]:
        figures = (row["threads"], row["per_second"], row["wrong"], row["failed"])
        lines.append("{:>7}  {:>10.0f}  {:>5}  {:>6}".format(*figures))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
