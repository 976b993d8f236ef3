"""A change against the code before it, in one process: functions of a module's previous
version (a file) swapped in for the current ones, query by query, interleaved.

First both versions answer every query and the answers (totals, ids, scores, snippets and
highlights) are compared; then each query runs with the new functions and with the old ones
in turn (which goes first alternating by pass), in a shuffled order per pass, and p50 / p95 /
p99 ms are printed per kind. On a shared machine this is steadier than two runs of the
benchmark: both versions meet the same noise.

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
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

from benchmarks.probes import _harness as harness


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("ab_module", __doc__)
    parser.add_argument("module", help="The changed module, e.g. newsindex.engines.whoosh.search")
    parser.add_argument("old", type=Path, help="A file holding that module's previous version.")
    parser.add_argument("names", help="Comma-separated functions to swap, e.g. top_documents.")
    harness.add_index_options(parser, kinds=harness.KINDS)
    parser.add_argument("--passes", type=int, default=4, help="Interleaved passes [4].")
    return parser.parse_args(argv)


def load_old(module_name: str, path: Path) -> tuple[ModuleType, ModuleType]:
    """The module ``module_name`` and the file at ``path`` as a module beside it (same
    package)."""
    current = importlib.import_module(module_name)
    spec = importlib.util.spec_from_file_location(f"{module_name}_old", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path} as Python")
    old = importlib.util.module_from_spec(spec)
    old.__package__ = current.__package__
    spec.loader.exec_module(old)
    return current, old


@contextlib.contextmanager
def all_swapped(pairs: Sequence[tuple[Callable, Callable]]) -> Iterator[None]:
    """Each ``(current, old)`` pair's old function wherever newsindex binds the current one."""
    with contextlib.ExitStack() as stack:
        for current, old in pairs:
            stack.enter_context(harness.swapped(current, old))
        yield


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    current, old = load_old(args.module, args.old)
    names = [name.strip() for name in args.names.split(",") if name.strip()]
    pairs = [(getattr(current, name), getattr(old, name)) for name in names]
    modes = {"new": contextlib.nullcontext, "old": lambda: all_swapped(pairs)}
    queries = harness.queries_of(args)
    with harness.open_index(args) as index:
        harness.compare_modes(index, queries, modes, passes=args.passes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
