"""A change against the code before it, in one process: functions of a module's previous
version (a file) swapped in for the current ones, query by query, interleaved.

First both versions answer every query and the answers (totals, ids, scores, snippets and
highlights) are compared; then each query runs with the new functions and with the old ones
in turn, in a shuffled order per pass, and p50 / p95 / p99 ms are printed per kind. On a
shared machine this is steadier than two runs of the benchmark: both versions meet the same
noise.

    git show HEAD~1:src/newsindex/engines/whoosh/pruning.py > old_pruning.py
    python -m benchmarks.probes.ab_module newsindex.engines.whoosh.pruning old_pruning.py \\
        top_documents --index WORK/scale-16/newsindex --queries WORK/queries.json

The names are swapped wherever newsindex has bound the current functions (the module's
callers imported them), so name the functions callers use. The old file is loaded as a
module of the same package, so it may import from the current tree.

Imports no newsindex internals itself; it imports the module named on the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import random
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.probes._harness import (
    KINDS,
    add_index_options,
    open_index,
    percentile,
    queries_of,
    search,
    swapped,
)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.probes.ab_module",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", help="The changed module, e.g. newsindex.engines.whoosh.search")
    parser.add_argument("old", type=Path, help="A file holding that module's previous version.")
    parser.add_argument("names", help="Comma-separated functions to swap, e.g. top_documents.")
    add_index_options(parser, kinds=KINDS)
    parser.add_argument("--passes", type=int, default=4, help="Interleaved passes [4].")
    return parser.parse_args(argv)


def load_old(module_name: str, path: Path):
    """The file at ``path`` as a module beside ``module_name`` (same package)."""
    current = importlib.import_module(module_name)
    spec = importlib.util.spec_from_file_location(f"{module_name}_old", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path} as Python")
    old = importlib.util.module_from_spec(spec)
    old.__package__ = current.__package__
    spec.loader.exec_module(old)
    return current, old


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    current, old = load_old(args.module, args.old)
    names = [name.strip() for name in args.names.split(",") if name.strip()]
    versions = {"new": {}, "old": {name: getattr(old, name) for name in names}}
    originals = {name: getattr(current, name) for name in names}

    def use(label: str) -> contextlib.ExitStack:
        stack = contextlib.ExitStack()
        for name, function in versions[label].items():
            stack.enter_context(swapped(originals[name], function))
        return stack

    queries = queries_of(args)
    with open_index(args) as index:
        answers = {}
        for label in versions:
            with use(label):
                answers[label] = [
                    (found.total, [(h.id, h.score, h.snippet, h.highlights) for h in found.hits])
                    for found in (search(index, query) for query in queries)
                ]
        print("same answers:", answers["new"] == answers["old"])
        times: dict[tuple[str, str], list[float]] = {}
        for number in range(args.passes):
            order = list(range(len(queries)))
            random.Random(number).shuffle(order)
            for i in order:
                for label in versions:
                    with use(label):
                        start = time.perf_counter()
                        search(index, queries[i])
                        spent = time.perf_counter() - start
                    times.setdefault((queries[i].kind, label), []).append(spent)
    for kind in dict.fromkeys(query.kind for query in queries):
        cells = []
        for label in versions:
            ms = sorted(t * 1000 for t in times[kind, label])
            cells.append(
                f"{label} " + " / ".join(f"{percentile(ms, p):.2f}" for p in (0.5, 0.95, 0.99))
            )
        print(f"{kind}: " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
