"""What a one-process import costs: CPU seconds (``time.process_time`` around
``NewsIndex.add(articles, procs=1)``) and the index's bytes on disk, printed as one JSON line.

Run it alternately under two trees to compare them side by side (the articles are read before
the clock starts)::

    for tree in OLD NEW OLD NEW OLD NEW; do
        PYTHONPATH=$tree/src python -m benchmarks.probes.import_cost \\
            --corpus wikinews/articles.jsonl --label $tree
    done
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

from benchmarks.probes import _harness as harness


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = harness.probe_parser("import_cost", __doc__)
    harness.add_corpus_options(parser)
    parser.add_argument("--label", default="", help="Printed with the figures (the tree's name).")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    articles = harness.load_articles(args)
    with harness.scratch_index() as index:
        started = time.process_time()
        index.add(articles, procs=1)
        cpu = time.process_time() - started
        size = sum(path.stat().st_size for path in index.path.rglob("*") if path.is_file())
    figures = {"label": args.label, "articles": len(articles), "cpu_s": round(cpu, 2)}
    print(json.dumps({**figures, "bytes": size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
