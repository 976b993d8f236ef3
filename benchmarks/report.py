"""Turn a benchmark run into JSON, a Markdown report and (with matplotlib) a PNG chart.

The headline is ratios, newsindex against each peer, measured in the same run: absolute times
on a shared machine drift from run to run, ratios taken side by side hold much better.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.queries import KINDS

__all__ = ["file_stem", "headline", "markdown", "write_all", "write_chart"]

ENGINE_NAMES = {
    "newsindex": "newsindex",
    "whoosh": "plain Whoosh",
    "fts5": "SQLite FTS5",
    "tantivy": "tantivy",
}

KIND_NAMES = {
    "word": "one word",
    "words": "several words",
    "phrase": "exact phrase",
    "title": "`title:` field",
    "date": "word + date range",
    "sorted": "word, newest first",
    "deep": "deep page (50)",
}


def file_stem(results: dict) -> str:
    """``smoke``, ``sample`` or the corpus's folder and name, then the scales: ``sample-x1``."""
    meta = results["meta"]
    if meta["mode"] == "corpus":
        base = meta["corpus"].replace("/", "-").rsplit(".", 1)[0]
    else:
        base = meta["mode"]
    return base + "-x" + "-".join(str(run["scale"]) for run in results["runs"])


def write_all(results: dict, out: Path) -> list[Path]:
    """Write ``STEM.json``, ``STEM.md`` and, if matplotlib is installed, ``STEM.png``."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / file_stem(results)
    written = [stem.with_suffix(".json"), stem.with_suffix(".md")]
    written[0].write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    written[1].write_text(markdown(results), encoding="utf-8")
    chart = stem.with_suffix(".png")
    if write_chart(results, chart):
        written.append(chart)
    return written


# --- ratios ------------------------------------------------------------------------------------


def _compare(mine: float, theirs: float, *, lower_is_better: bool, words=("faster", "slower")):
    """``"4.2× faster"``: how newsindex's number compares with a peer's."""
    if not mine or not theirs:
        return "–"
    ratio = theirs / mine if lower_is_better else mine / theirs
    if 0.95 <= ratio <= 1.05:
        return "same"
    return f"{_x(ratio)} {words[0]}" if ratio > 1 else f"{_x(1 / ratio)} {words[1]}"


def _x(ratio: float) -> str:
    return f"{ratio:.0f}×" if ratio >= 9.95 else f"{ratio:.1f}×"


def _peers(results: dict) -> list[str]:
    return [e for e in results["meta"]["engines"] if e != "newsindex"]


def _ratio_rows(run: dict, peers: list[str]) -> list[list[str]]:
    engines = run["engines"]
    mine = engines["newsindex"]
    rows = [
        ["indexing, articles/s"]
        + [
            _compare(
                mine["build"]["articles_per_s"],
                engines[p]["build"]["articles_per_s"],
                lower_is_better=False,
            )
            for p in peers
        ],
        ["peak memory indexing"]
        + [
            _compare(
                mine["build"]["peak_mb"],
                engines[p]["build"]["peak_mb"],
                lower_is_better=True,
                words=("less", "more"),
            )
            for p in peers
        ],
        ["index size"]
        + [
            _compare(
                mine["build"]["size_mb"],
                engines[p]["build"]["size_mb"],
                lower_is_better=True,
                words=("smaller", "larger"),
            )
            for p in peers
        ],
    ]
    for kind in KINDS:
        if kind not in mine["query"]["kinds"]:
            continue
        rows.append(
            [f"{KIND_NAMES[kind]}, p50"]
            + [
                _compare(
                    mine["query"]["kinds"][kind]["p50_ms"],
                    engines[p]["query"]["kinds"][kind]["p50_ms"],
                    lower_is_better=True,
                )
                for p in peers
            ]
        )
    rows.append(
        ["fresh-process search"]
        + [
            _compare(
                mine["cold_start"]["median_s"],
                engines[p]["cold_start"]["median_s"],
                lower_is_better=True,
            )
            for p in peers
        ]
    )
    return rows


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _run_title(run: dict) -> str:
    return f"{run['articles']:,} articles ({run['scale']}×)"


def headline(results: dict) -> str:
    """The ratio tables (newsindex against each peer, per scale) as Markdown."""
    peers = _peers(results)
    lines = []
    for run in results["runs"]:
        lines += [f"### newsindex against its peers: {_run_title(run)}", ""]
        header = ["", *(f"vs {ENGINE_NAMES[p]}" for p in peers)]
        lines += _table(header, _ratio_rows(run, peers), "l" + "r" * len(peers))
        lines.append("")
    return "\n".join(lines)


# --- the full report ---------------------------------------------------------------------------


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _indexing_lines(results: dict) -> list[str]:
    header = [
        "engine",
        "articles",
        "articles/s",
        "tokens/s",
        "wall s",
        "CPU s",
        "per CPU s",
        "peak MB",
        "index MB",
        "of floor",
    ]
    rows = []
    for run in results["runs"]:
        floor = run["floor"]["articles_per_s"]
        for name in results["meta"]["engines"]:
            build = run["engines"][name]["build"]
            rows.append(
                [
                    ENGINE_NAMES[name],
                    _fmt(run["articles"]),
                    _fmt(build["articles_per_s"]),
                    _fmt(build["tokens_per_s"]),
                    _fmt(build["build_s"], 1),
                    _fmt(build["cpu_s"], 1),
                    _fmt(run["articles"] / build["cpu_s"]),
                    _fmt(build["peak_mb"]),
                    _fmt(build["size_mb"], 1),
                    f"{build['articles_per_s'] / floor:.0%}",
                ]
            )
    lines = _table(header, rows, "llrrrrrrrr")
    for run in results["runs"]:
        repeated = {
            ENGINE_NAMES[name]: run["engines"][name]["build"].get("build_runs_s", [])
            for name in results["meta"]["engines"]
        }
        if any(len(times) > 1 for times in repeated.values()):
            each = "; ".join(
                f"{name} {' / '.join(_fmt(t, 1) for t in times)}"
                for name, times in repeated.items()
            )
            lines += ["", f"{_run_title(run)}: the median of these builds, s (in turn): {each}."]
    lines += [
        "",
        "Per CPU s: articles per second of CPU time (all processes and threads), which a busy "
        "machine disturbs less than wall time.",
        "",
        "The floor: newsindex's analyzer alone, no index, one process.",
        "",
    ]
    floor_rows = [
        [
            _fmt(run["articles"]),
            _fmt(run["floor"]["articles_per_s"]),
            _fmt(run["floor"]["tokens_per_s"]),
            _fmt(run["floor"]["analyze_s"], 1),
            _fmt(run["floor"]["read_s"], 1),
            _fmt(run["tokens"]),
        ]
        for run in results["runs"]
    ]
    header = ["articles", "articles/s", "tokens/s", "analyze s", "read s (JSONL → Article)"]
    lines += _table([*header, "tokens"], floor_rows)
    return lines


def _latency_lines(results: dict, run: dict) -> list[str]:
    engines = results["meta"]["engines"]
    header = ["query kind", *(f"{ENGINE_NAMES[e]} p50 / p95 / p99" for e in engines)]
    rows = []
    for kind in KINDS:
        if kind not in run["engines"]["newsindex"]["query"]["kinds"]:
            continue
        row = [KIND_NAMES[kind]]
        for name in engines:
            k = run["engines"][name]["query"]["kinds"][kind]
            row.append(" / ".join(_ms(k[p]) for p in ("p50_ms", "p95_ms", "p99_ms")))
        rows.append(row)
    lines = _table(header, rows)
    agreement = [
        [ENGINE_NAMES[name]]
        + [
            f"{run['engines'][name]['query']['overlap_with_newsindex'][kind]:.0%}"
            for kind in KINDS
            if kind in run["engines"][name]["query"]["kinds"]
        ]
        + [f"{run['engines'][name]['query']['open_s'] * 1000:.0f}"]
        for name in engines
        if name != "newsindex"
    ]
    lines += [
        "",
        "Same hits as newsindex (share of its top results the peer also returned; stemmers and "
        "ranking differ, so 100% is not expected), and time to open the index (ms):",
        "",
    ]
    kinds = [k for k in KINDS if k in run["engines"]["newsindex"]["query"]["kinds"]]
    lines += _table(["engine", *kinds, "open ms"], agreement)
    return lines


def _cold_lines(results: dict) -> list[str]:
    engines = results["meta"]["engines"]
    header = ["articles", *(ENGINE_NAMES[e] for e in engines), "`python -c pass`"]
    rows = [
        [_fmt(run["articles"])]
        + [f"{run['engines'][e]['cold_start']['median_s']:.2f}" for e in engines]
        + [f"{run['python_startup_s']:.2f}"]
        for run in results["runs"]
    ]
    return _table(header, rows)


def _goal_lines(results: dict) -> list[str]:
    """The project's speed targets, each with the number measured here (information, not a
    verdict)."""
    runs = results["runs"]
    if "whoosh" not in results["meta"]["engines"]:
        return []
    big = runs[-1]
    mine = big["engines"]["newsindex"]
    kinds = mine["query"]["kinds"]
    rows = []
    for run in runs:
        ratio = (
            run["engines"]["newsindex"]["build"]["articles_per_s"]
            / run["engines"]["whoosh"]["build"]["articles_per_s"]
        )
        rows.append(
            [f"indexing ≥ 4× plain Whoosh ({run['scale']}×)", f"{ratio:.1f}×", _met(ratio >= 4)]
        )
    if len(runs) > 1 and runs[0]["scale"] == 1:
        share = (
            mine["build"]["articles_per_s"]
            / runs[0]["engines"]["newsindex"]["build"]["articles_per_s"]
        )
        rows.append([f"{big['scale']}× rate ≥ 80% of 1× rate", f"{share:.0%}", _met(share >= 0.8)])
    peak = mine["build"]["peak_mb"]
    rows.append([f"peak memory ≤ 400 MB ({big['scale']}×)", f"{peak:.0f} MB", _met(peak <= 400)])
    worst95 = max(k["p95_ms"] for k in kinds.values())
    worst99 = max(k["p99_ms"] for k in kinds.values())
    rows.append(
        [f"every kind p95 ≤ 10 ms ({big['scale']}×)", f"{_ms(worst95)} ms", _met(worst95 <= 10)]
    )
    rows.append(
        [f"every kind p99 ≤ 20 ms ({big['scale']}×)", f"{_ms(worst99)} ms", _met(worst99 <= 20)]
    )
    word = kinds.get("word", {}).get("p50_ms")
    for kind in ("date", "phrase"):
        if word and kind in kinds:
            ratio = kinds[kind]["p50_ms"] / word
            rows.append(
                [
                    f"{KIND_NAMES[kind]} p50 ≤ 3× one word ({big['scale']}×)",
                    f"{ratio:.1f}×",
                    _met(ratio <= 3),
                ]
            )
    cold = runs[0]["engines"]["newsindex"]["cold_start"]["median_s"]
    rows.append(
        [
            f"`newsindex search` fresh process ≤ 0.5 s ({runs[0]['scale']}×)",
            f"{cold:.2f} s",
            _met(cold <= 0.5),
        ]
    )
    return _table(["target", "measured", ""], rows, "lrl")


def _met(ok: bool) -> str:
    return "met" if ok else "not yet"


def markdown(results: dict) -> str:
    """The whole report: headline ratios, then every number behind them."""
    meta = results["meta"]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    lines = [
        f"# newsindex benchmark: {meta['corpus']}",
        "",
        f"`{meta['command']}` — {meta['started']}, {meta['seconds']:.0f} s, "
        f"{meta['machine']}, {meta['cpus']} CPUs; {versions}.",
        f"{meta['queries_per_kind']} queries per kind, {meta['repeat']} timed passes, "
        f"{meta['page_size']} results read per query.",
        "",
        headline(results),
        "## Indexing",
        "",
        *_indexing_lines(results),
        "",
    ]
    for run in results["runs"]:
        lines += [f"## Query latency, ms: {_run_title(run)}", "", *_latency_lines(results, run), ""]
    lines += ["## Search as a fresh process, median s", "", *_cold_lines(results), ""]
    goals = _goal_lines(results)
    if goals:
        lines += ["## Targets", "", *goals, ""]
    return "\n".join(lines)


# --- the chart ---------------------------------------------------------------------------------


def write_chart(results: dict, path: Path) -> bool:
    """Plot throughput against scale and latency per query kind; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    engines = results["meta"]["engines"]
    runs = results["runs"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5), width_ratios=(1, 2))
    scales = [run["articles"] for run in runs]
    for name in engines:
        rates = [run["engines"][name]["build"]["articles_per_s"] for run in runs]
        left.plot(scales, rates, marker="o", label=ENGINE_NAMES[name])
    floor = [run["floor"]["articles_per_s"] for run in runs]
    left.plot(scales, floor, "x--", color="grey", label="analyzer alone (floor)")
    left.set(xscale="log", yscale="log", xlabel="articles indexed", ylabel="articles/s")
    left.set_title("Indexing throughput")
    left.legend(fontsize="small")
    big = runs[-1]
    kinds = [k for k in KINDS if k in big["engines"]["newsindex"]["query"]["kinds"]]
    width = 0.8 / len(engines)
    for e, name in enumerate(engines):
        stats = [big["engines"][name]["query"]["kinds"][k] for k in kinds]
        xs = [i + (e - (len(engines) - 1) / 2) * width for i in range(len(kinds))]
        p50 = [s["p50_ms"] for s in stats]
        bars = right.bar(xs, p50, width, label=ENGINE_NAMES[name])
        color = bars.patches[0].get_facecolor()
        right.vlines(xs, p50, [s["p99_ms"] for s in stats], color=color, linewidth=1)
        right.scatter(xs, [s["p95_ms"] for s in stats], color=color, marker="_", s=60)
        right.scatter(xs, [s["p99_ms"] for s in stats], color=color, marker="v", s=14)
    labels = [
        KIND_NAMES[k].replace("`", "").replace(", ", ",\n").replace(" + ", "\n+ ") for k in kinds
    ]
    right.set_xticks(range(len(kinds)), labels)
    right.set(yscale="log", ylabel="ms (bar p50, dash p95, triangle p99)")
    right.set_title(f"Query latency at {_run_title(big)}")
    right.legend(fontsize="small")
    figure.suptitle(f"newsindex benchmark: {results['meta']['corpus']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
