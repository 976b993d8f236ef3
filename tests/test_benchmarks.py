"""The benchmark harness in its smoke mode: it runs, and reports every metric for every engine.

No timing is asserted: a benchmark prints numbers, it never fails on
one. This only proves that ``python -m benchmarks --smoke`` works end to end.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the smoke run builds every engine's index: half a minute

REPO = Path(__file__).resolve().parent.parent
KINDS = ("word", "words", "phrase", "title", "date", "sorted", "deep")
BUILD_METRICS = (
    "build_s",
    "cpu_s",
    "articles_per_s",
    "tokens_per_s",
    "peak_mb",
    "maxrss_mb",
    "size_mb",
)
LATENCY_METRICS = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "samples", "mean_hits")
ENGINES = ("newsindex", "whoosh", "fts5") + (
    ("tantivy",) if importlib.util.find_spec("tantivy") else ()
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    """One smoke run of the benchmark as a fresh process, results in a temporary folder."""
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--build-runs", "2", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, out


@pytest.fixture(scope="module")
def results(smoke: tuple[subprocess.CompletedProcess, Path]) -> dict:
    """The JSON the smoke run wrote."""
    done, out = smoke
    assert done.returncode == 0, done.stderr
    return json.loads((out / "smoke-x1.json").read_text(encoding="utf-8"))


def test_smoke_run_writes_json_and_markdown(smoke: tuple[subprocess.CompletedProcess, Path]):
    """The smoke run exits 0 and leaves the JSON and Markdown reports in --out."""
    done, out = smoke
    assert done.returncode == 0, done.stderr
    assert (out / "smoke-x1.json").is_file()
    assert (out / "smoke-x1.md").read_text(encoding="utf-8").startswith("# newsindex benchmark")


def test_headline_compares_newsindex_with_each_peer(
    smoke: tuple[subprocess.CompletedProcess, Path],
):
    """The printed headline has a ratio column for every peer that ran."""
    done, _out = smoke
    header = next(line for line in done.stdout.splitlines() if line.startswith("|  |"))
    for name in ("plain Whoosh", "SQLite FTS5"):
        assert f"vs {name}" in header


def test_every_engine_has_indexing_metrics(results: dict):
    """Throughput, memory and size are reported for newsindex and each peer."""
    (run,) = results["runs"]
    assert set(ENGINES) <= set(run["engines"])
    for name in ENGINES:
        build = run["engines"][name]["build"]
        for metric in BUILD_METRICS:
            assert build[metric] > 0, (name, metric)


def test_every_engine_has_latency_for_every_query_kind(results: dict):
    """p50/p95/p99 exist for all seven query kinds on every engine."""
    (run,) = results["runs"]
    for name in ENGINES:
        kinds = run["engines"][name]["query"]["kinds"]
        assert set(kinds) == set(KINDS), name
        for kind in KINDS:
            assert all(metric in kinds[kind] for metric in LATENCY_METRICS), (name, kind)
            assert kinds[kind]["p50_ms"] <= kinds[kind]["p99_ms"]


def test_floor_and_cold_start_are_measured(results: dict):
    """The analyzer-only floor and each engine's fresh-process search are in the results."""
    (run,) = results["runs"]
    assert run["floor"]["tokens"] > 0 and run["floor"]["articles_per_s"] > 0
    for name in ENGINES:
        assert run["engines"][name]["cold_start"]["median_s"] > 0


def test_queries_cover_every_kind_from_the_corpus(results: dict):
    """The query set has the same number of queries of each kind, with words in them."""
    counts = {kind: 0 for kind in KINDS}
    for query in results["queries"]:
        counts[query["kind"]] += 1
        assert query["query"].strip()
    assert len(set(counts.values())) == 1 and counts["word"] > 0


def test_builds_repeated_in_turn_report_the_median(smoke, results: dict):
    """With --build-runs 2 every engine is built twice and the faster (lower median) counts."""
    _done, out = smoke
    for name in ENGINES:
        build = results["runs"][0]["engines"][name]["build"]
        assert len(build["build_runs_s"]) == 2
        assert build["build_s"] == min(build["build_runs_s"])
    assert "--build-runs 2" in results["meta"]["command"]
    assert "the median of these builds" in (out / "smoke-x1.md").read_text(encoding="utf-8")


def test_build_runs_must_match_the_scales():
    """--build-runs with a count per scale must give one for each, else a usage error."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--scale", "1,4", "--build-runs", "3,1,1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--build-runs takes one whole number of at least 1, or one per --scale" in done.stderr


def test_threads_benchmark_runs_and_finds_no_wrong_answer(tmp_path):
    """`python -m benchmarks.threads` reports latency per kind and threads with zero failures."""
    command = [sys.executable, "-m", "benchmarks.threads", "--queries", "2", "--rounds", "1"]
    done = subprocess.run(
        [*command, "--threads", "1,4", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "threads.json").read_text())
    assert set(report["single"]["this tree"]) == set(KINDS)
    assert [(row["threads"], row["wrong"], row["failed"]) for row in report["threads"]] == [
        (1, 0, 0),
        (4, 0, 0),
    ]
    assert done.stdout.splitlines()[0].endswith("single-threaded p50 / p95 ms (median of rounds)")


def test_readers_benchmark_reads_every_article_in_every_format(tmp_path):
    """`python -m benchmarks.readers` reads the same articles back from every format."""
    command = [sys.executable, "-m", "benchmarks.readers", "--articles", "12", "--runs", "1"]
    done = subprocess.run(
        [*command, "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "readers.json").read_text())
    assert {row["reader"] for row in report["readers"]} >= {"jsonl", "json", "csv"}
    assert [row["articles"] for row in report["readers"]] == [12] * len(report["readers"])


def test_engines_benchmark_measures_both_engines_on_a_node(opensearch_url: str, tmp_path):
    """`python -m benchmarks.engines --smoke --url URL` times both engines on every query kind,
    and OpenSearch stores every article and finds the local engine's phrase hits."""
    command = [sys.executable, "-m", "benchmarks.engines", "--smoke", "--url", opensearch_url]
    done = subprocess.run(
        [*command, "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "| indexing, articles/s (1×) |" in done.stdout
    (run,) = json.loads((tmp_path / "engines-smoke-x1.json").read_text())["runs"]
    assert set(run["engines"]) == {"local", "given"}
    assert run["engines"]["given"]["build"]["stored"] == run["articles"] == 120
    for measured in run["engines"].values():
        assert measured["build"]["articles_per_s"] > 0
        kinds = measured["query"]["kinds"]
        assert set(kinds) == set(KINDS)
        assert all(kinds[k]["p50_ms"] <= kinds[k]["p99_ms"] for k in KINDS)
    assert run["engines"]["given"]["query"]["overlap_with_local"]["phrase"] == 1.0
