"""Run the benchmark: newsindex against plain Whoosh, SQLite FTS5 and tantivy, side by side.

::

    python -m benchmarks --smoke                          # seconds: proves the harness works
    python -m benchmarks                                  # the bundled sample (1,501 articles)
    python -m benchmarks --corpus articles.jsonl --scale 1,4,16

Each engine builds its index in a fresh child process (so peak memory is that engine's alone)
and is queried from another fresh process. See ``benchmarks/README.md`` for what every number
means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

if not __package__:  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import peers, report
from benchmarks.queries import DEEP_PAGE, KINDS, PAGE_SIZE, SEED, BenchQuery, generate_queries
from newsindex import Article, read_path, read_paths
from newsindex.ingest import sample_paths

__all__ = ["main"]

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
SMOKE_ARTICLES = 120

_ROOT = Path(__file__).resolve().parent.parent
_PRELOAD = {
    # the stemmer newsindex's analyzer imports on first use (NLTK's package: 0.3-0.8 s)
    "newsindex": ("newsindex", "nltk.stem.snowball"),
    "whoosh": ("whoosh.index", "whoosh.analysis", "whoosh.qparser"),
    "fts5": ("sqlite3",),
    "tantivy": ("tantivy",),
}
"""Imported before a child starts its clock, so timings leave out library import time."""


# --- the parent: plan, run children, collect --------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure newsindex's indexing and query speed against plain Whoosh, "
        "SQLite FTS5 and tantivy on the same corpus and queries.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"A few seconds: {SMOKE_ARTICLES} sample articles, 3 queries per kind (for CI).",
    )
    parser.add_argument(
        "--corpus", type=Path, help="A JSON Lines file of articles [default: the bundled sample]."
    )
    parser.add_argument(
        "--scale",
        default="1",
        help="Comma-separated repeat factors: the corpus is indexed K times under new ids "
        "[default: 1].",
    )
    parser.add_argument(
        "--peers",
        default=",".join(peers.PEERS),
        help="Comma-separated peers to compare against (whoosh, fts5, tantivy; tantivy is "
        "skipped when not installed) [default: all].",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="Results folder [default: benchmarks/results].",
    )
    parser.add_argument("--queries", type=int, help="Queries per kind [default: 50; smoke: 3].")
    parser.add_argument(
        "--repeat", type=int, help="Timed passes over the queries [default: 3; smoke: 1]."
    )
    parser.add_argument(
        "--cold-runs", type=int, help="Fresh-process searches per engine [default: 5; smoke: 1]."
    )
    parser.add_argument(
        "--build-runs",
        default="1",
        help="Builds per engine: one number for every scale or one per scale (3,1,1 with "
        "--scale 1,4,16). The engines take turns and the median build is reported: at small "
        "scales a build takes seconds and one run is at the mercy of a busy machine "
        "[default: 1].",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="Query generation seed.")
    parser.add_argument(
        "--work", type=Path, help="Where indexes are built [default: a temporary folder]."
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the indexes and corpora in --work afterwards."
    )
    args = parser.parse_args(argv)
    try:
        given = [int(k) for k in args.scale.split(",") if k.strip()]
    except ValueError:
        parser.error(f"--scale takes whole numbers like 1,4,16, not {args.scale!r}")
    args.scales = sorted(set(given))
    if not args.scales or min(args.scales) < 1:
        parser.error("--scale takes whole numbers of at least 1")
    try:
        runs = [int(k) for k in args.build_runs.split(",") if k.strip()]
    except ValueError:
        runs = []
    if len(runs) == 1:
        runs *= len(given)
    if len(runs) != len(given) or min(runs) < 1:
        parser.error(
            "--build-runs takes one whole number of at least 1, or one per --scale, "
            f"not {args.build_runs!r}"
        )
    args.build_runs = dict(zip(given, runs, strict=True))
    wanted = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(wanted) - set(peers.PEERS))
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}: choose from {', '.join(peers.PEERS)}")
    available = peers.available_engines()
    args.skipped = [p for p in wanted if p not in available]
    args.engines = ["newsindex", *(p for p in peers.PEERS if p in wanted and p in available)]
    args.queries = args.queries or (3 if args.smoke else 50)
    args.repeat = args.repeat or (1 if args.smoke else 3)
    args.cold_runs = args.cold_runs or (1 if args.smoke else 5)
    return args


def _load_corpus(args: argparse.Namespace) -> tuple[list[Article], str]:
    if args.corpus is not None:
        articles = list(read_path(args.corpus))
        # The folder and file name only: results must not carry this machine's paths.
        name = f"{args.corpus.resolve().parent.name}/{args.corpus.name}"
    else:
        articles = list(read_paths(sample_paths()))
        name = "bundled sample"
    if args.smoke:
        articles = articles[:SMOKE_ARTICLES]
        name += f" (first {len(articles)})"
    if not articles:
        raise SystemExit("The corpus holds no articles.")
    return articles, name


def _write_scaled(articles: Sequence[Article], scale: int, path: Path) -> None:
    """The corpus ``scale`` times over as JSON Lines; copy k > 0 gets ids ending ``~k``."""
    with path.open("w", encoding="utf-8") as out:
        for copy in range(scale):
            for article in articles:
                data = article.to_dict()
                if copy:
                    data["id"] = f"{article.id}~{copy}"
                out.write(json.dumps(data, ensure_ascii=False) + "\n")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    return env


def _descendants(pid: int) -> set[int]:
    """``pid`` and every process below it (Linux ``/proc``; just ``pid`` elsewhere)."""
    parents: dict[int, int] = {}
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def _process_memory(folder: Path) -> int:
    """Bytes one process holds: its proportional set size (PSS) from ``smaps_rollup`` (Linux
    4.14+), else its resident set from ``statm``; 0 when it is gone.

    PSS splits pages shared between processes, such as those a forked worker inherits, instead
    of counting them once per process.
    """
    try:
        for line in (folder / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int((folder / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _run_child(task: dict, work: Path, *, sample_memory: bool = False) -> dict:
    """Run one task in a fresh interpreter; returns its result plus the process tree's memory."""
    task_file = work / f"task-{task['task']}-{task.get('engine', '')}.json"
    result_file = task_file.with_suffix(".out.json")
    task_file.write_text(json.dumps(task), encoding="utf-8")
    result_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.run", "_child", str(task_file), str(result_file)]
    child = subprocess.Popen(command, env=_child_env(), cwd=_ROOT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        # Five samples a second, the process list re-read every two seconds: reading PSS walks
        # the page tables, so sampling faster would take CPU from the engine being measured.
        nonlocal peak
        tree: set[int] = set()
        ticks = 0
        while not done.wait(0.2):
            if ticks % 10 == 0:
                tree = _descendants(child.pid)
            ticks += 1
            peak = max(peak, sum(_process_memory(Path("/proc", str(p))) for p in tree))

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        sampler.start()
    # wait4, not wait: it returns this child's own resource usage, its descendants included.
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    if sample_memory:
        sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"benchmark task {task['task']} {task.get('engine', '')} failed")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    # ru_maxrss is KiB on Linux, bytes on macOS: the largest single process of the tree.
    maxrss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    result["maxrss_mb"] = maxrss / 2**20
    if sample_memory:
        result["peak_mb"] = max(peak, maxrss) / 2**20
    return result


def _folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _time_cold(command: list[str], runs: int) -> dict:
    """Wall time of ``command`` as a fresh process, after one untimed run to warm the disk cache
    (none when only one run is asked for, as in the smoke mode).

    Bytecode caching is switched back on (Python's default) in case this shell turned it off:
    otherwise every run would compile newsindex's modules from source again.
    """
    env = _child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    times = []
    warm_up = 1 if runs > 1 else 0
    for run in range(runs + warm_up):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=_ROOT, check=True, capture_output=True)
        if run >= warm_up:
            times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "runs": runs}


def _overlap(mine: list[list[str]], theirs: list[list[str]]) -> float:
    """Mean share of newsindex's hits that the peer also returned, query by query."""
    shares = [
        len(set(a) & set(b)) / max(len(a), len(b))
        for a, b in zip(mine, theirs, strict=True)
        if a or b
    ]
    return statistics.fmean(shares) if shares else 1.0


def _run_scale(
    args: argparse.Namespace,
    articles: Sequence[Article],
    queries_file: Path,
    scale: int,
    work: Path,
) -> dict:
    scale_dir = work / f"scale-{scale}"
    scale_dir.mkdir(parents=True, exist_ok=True)
    corpus = scale_dir / "corpus.jsonl"
    _say(f"scale {scale}×: writing {len(articles) * scale:,} articles")
    _write_scaled(articles, scale, corpus)
    run: dict = {"scale": scale, "articles": len(articles) * scale, "engines": {}}
    _say("  floor: tokenizing and stemming, no index")
    run["floor"] = _run_child({"task": "floor", "corpus": str(corpus)}, scale_dir)
    run["tokens"] = run["floor"]["tokens"]
    builds: dict[str, list[dict]] = {name: [] for name in args.engines}
    runs = args.build_runs[scale]
    for attempt in range(runs):  # the engines take turns, so a busy spell hits them alike
        for name in args.engines:
            folder = scale_dir / name
            shutil.rmtree(folder, ignore_errors=True)
            _say(f"  {name}: indexing" + (f" ({attempt + 1} of {runs})" if runs > 1 else ""))
            task = {"task": "build", "engine": name, "folder": str(folder), "corpus": str(corpus)}
            builds[name].append(_run_child(task, scale_dir, sample_memory=True))
    for name in args.engines:
        times = [build["build_s"] for build in builds[name]]
        build = sorted(builds[name], key=lambda b: b["build_s"])[(runs - 1) // 2]  # the median
        build["build_runs_s"] = times
        build["articles_per_s"] = run["articles"] / build["build_s"]
        build["tokens_per_s"] = run["tokens"] / build["build_s"]
        run["engines"][name] = {"build": build}
    for name in args.engines:
        _say(f"  {name}: querying")
        task = {
            "task": "query",
            "engine": name,
            "folder": str(scale_dir / name),
            "queries": str(queries_file),
            "repeat": args.repeat,
            "seed": args.seed,
        }
        run["engines"][name]["query"] = _run_child(task, scale_dir)
    loaded = _read_queries(queries_file)
    first_word = next(q for q in loaded if q.kind == "word")
    for name in args.engines:
        _say(f"  {name}: cold start")
        command = peers.make_engine(name, scale_dir / name).cold_command(first_word, PAGE_SIZE)
        run["engines"][name]["cold_start"] = _time_cold(command, args.cold_runs)
    run["python_startup_s"] = _time_cold([sys.executable, "-c", "pass"], args.cold_runs)["median_s"]
    mine = run["engines"]["newsindex"]["query"]["ids"]
    for name in args.engines:
        theirs = run["engines"][name]["query"].pop("ids")
        run["engines"][name]["query"]["overlap_with_newsindex"] = {
            kind: _overlap(
                [ids for ids, q in zip(mine, loaded, strict=True) if q.kind == kind],
                [ids for ids, q in zip(theirs, loaded, strict=True) if q.kind == kind],
            )
            for kind in KINDS
        }
    if not args.keep:
        shutil.rmtree(scale_dir, ignore_errors=True)
    return run


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for dist in ("newsindex", "whoosh-reloaded", "tantivy", "nltk", "numpy"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            continue
    return found


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_child"]:
        _child(*argv[1:])
        return 0
    args = _parse_args(argv)
    for peer in args.skipped:
        _say(f"{peer} is not installed: skipped (pip install '.[bench]')")
    articles, corpus_name = _load_corpus(args)
    queries = generate_queries(articles, per_kind=args.queries, seed=args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="newsindex-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    queries_file = work / "queries.json"
    _write_queries(queries, queries_file)
    started = dt.datetime.now(dt.timezone.utc)
    try:
        runs = [_run_scale(args, articles, queries_file, k, work) for k in args.scales]
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    results = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "seconds": round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 1),
            "command": _command_line(args),
            "corpus": corpus_name,
            "corpus_articles": len(articles),
            "mode": "smoke" if args.smoke else ("corpus" if args.corpus else "sample"),
            "engines": args.engines,
            "seed": args.seed,
            "queries_per_kind": args.queries,
            "repeat": args.repeat,
            "page_size": PAGE_SIZE,
            "deep_page": DEEP_PAGE,
            "cpus": os.cpu_count(),
            "machine": f"{platform.system()} {platform.machine()}",
            "versions": _versions(),
        },
        "queries": [{"kind": q.kind, "query": q.label()} for q in queries],
        "runs": runs,
    }
    paths = report.write_all(results, args.out)
    print(report.headline(results))
    for path in paths:
        _say(f"wrote {path}")
    return 0


def _command_line(args: argparse.Namespace) -> str:
    parts = ["python -m benchmarks"]
    if args.smoke:
        parts.append("--smoke")
    if args.corpus:
        parts.append(f"--corpus {args.corpus.resolve().parent.name}/{args.corpus.name}")
    if args.scales != [1]:
        parts.append("--scale " + ",".join(map(str, args.scales)))
    if args.engines[1:] != list(peers.PEERS):
        parts.append("--peers " + ",".join(args.engines[1:]))
    if set(args.build_runs.values()) != {1}:
        parts.append("--build-runs " + ",".join(str(args.build_runs[k]) for k in args.scales))
    return " ".join(parts)


# --- queries through a file (children read the same set) ---------------------------------------


def _write_queries(queries: Sequence[BenchQuery], path: Path) -> None:
    path.write_text(json.dumps([peers.query_to_data(q) for q in queries]), encoding="utf-8")


def _read_queries(path: Path) -> list[BenchQuery]:
    return [peers.query_from_data(d) for d in json.loads(path.read_text(encoding="utf-8"))]


# --- the children ----------------------------------------------------------------------------


def _cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _child(task_file: str, result_file: str) -> None:
    task = json.loads(Path(task_file).read_text(encoding="utf-8"))
    handler = {"floor": _floor, "build": _build, "query": _query}[task["task"]]
    result = handler(task)
    Path(result_file).write_text(json.dumps(result), encoding="utf-8")


def _floor(task: dict) -> dict:
    """Read the corpus, then analyze every title and body with newsindex's analyzer, no index."""
    from newsindex import analyze

    analyze("warm up")  # builds the stemmer, so its import is not timed
    start = time.perf_counter()
    articles = list(read_path(task["corpus"]))
    read_s = time.perf_counter() - start
    tokens = 0
    start = time.perf_counter()
    for article in articles:
        tokens += len(analyze(article.title)) + len(analyze(article.body))
    analyze_s = time.perf_counter() - start
    count = len(articles)
    return {
        "articles": count,
        "tokens": tokens,
        "read_s": read_s,
        "analyze_s": analyze_s,
        "articles_per_s": count / analyze_s,
        "tokens_per_s": tokens / analyze_s,
    }


def _build(task: dict) -> dict:
    for module in _PRELOAD[task["engine"]]:
        importlib.import_module(module)
    engine = peers.make_engine(task["engine"], Path(task["folder"]))
    cpu = _cpu_seconds()
    start = time.perf_counter()
    engine.build(Path(task["corpus"]))
    build_s = time.perf_counter() - start
    return {
        "build_s": build_s,
        "cpu_s": _cpu_seconds() - cpu,
        "size_mb": _folder_size(Path(task["folder"])) / 2**20,
    }


def _percentile(ordered: Sequence[float], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _query(task: dict) -> dict:
    for module in _PRELOAD[task["engine"]]:
        importlib.import_module(module)
    queries = _read_queries(Path(task["queries"]))
    engine = peers.make_engine(task["engine"], Path(task["folder"]))
    start = time.perf_counter()
    engine.open()
    open_s = time.perf_counter() - start
    start = time.perf_counter()
    ids = [engine.search(q, PAGE_SIZE) for q in queries]  # warm-up pass, also the hits
    first_pass_s = time.perf_counter() - start
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    order = list(range(len(queries)))
    for attempt in range(task["repeat"]):
        # Kinds interleaved, in a fixed order per pass: no kind always runs after its twin.
        random.Random(f"{task['seed']}:{attempt}").shuffle(order)
        for i in order:
            begin = time.perf_counter()
            engine.search(queries[i], PAGE_SIZE)
            timings[queries[i].kind].append(time.perf_counter() - begin)
    engine.close()
    kinds = {}
    for kind, samples in timings.items():
        if not samples:
            continue
        ordered = sorted(samples)
        hits = [len(found) for found, q in zip(ids, queries, strict=True) if q.kind == kind]
        kinds[kind] = {
            "p50_ms": _percentile(ordered, 0.50) * 1000,
            "p95_ms": _percentile(ordered, 0.95) * 1000,
            "p99_ms": _percentile(ordered, 0.99) * 1000,
            "mean_ms": statistics.fmean(ordered) * 1000,
            "samples": len(ordered),
            "mean_hits": statistics.fmean(hits),
        }
    return {"open_s": open_s, "first_pass_s": first_pass_s, "kinds": kinds, "ids": ids}


if __name__ == "__main__":
    sys.exit(main())
