"""Build the bundled Wikinews sample (``src/newsindex/sample/wikinews-sample.jsonl.gz``).

Usage::

    python seeds/make_sample.py CORPUS_JSONL [--out PATH] [--count N] [--seed S]

CORPUS_JSONL is the normalised Wikinews corpus (``articles.jsonl``, fields ``id``, ``title``,
``date``, ``source``, ``url``, ``categories``, ``subset``, ``body``). The sample holds every
article from the recent years (2019-2021) and fills up to ``--count`` with an even spread over
the other years (undated articles count as one more "year") and, within each year, over the
categories, preferring articles of at least 80 words. Picks are ordered by a keyed hash of the
id, not by ``random``, so the same corpus, count and seed give a byte-identical file (gzip's
timestamp is fixed too). Records are copied verbatim, in corpus order.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

RECENT_YEARS = frozenset({"2019", "2020", "2021"})
MIN_WORDS = 80
DEFAULT_OUT = (
    Path(__file__).resolve().parent.parent / "src/newsindex/sample/wikinews-sample.jsonl.gz"
)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, build the sample and print what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="the Wikinews articles.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the .jsonl.gz to write")
    parser.add_argument("--count", type=int, default=1500, help="articles in the sample")
    parser.add_argument("--seed", default="newsindex", help="varies which articles are picked")
    args = parser.parse_args(argv)

    lines = args.corpus.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]
    chosen = choose(records, args.count, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as out:
        for index in sorted(chosen):
            out.write(lines[index] + b"\n")

    years = Counter(year_of(records[index]) for index in chosen)
    print(f"{len(chosen)} articles, {args.out.stat().st_size:,} bytes -> {args.out}")
    print("by year: " + ", ".join(f"{year} {n}" for year, n in sorted(years.items())))
    return 0


def choose(records: list[dict], count: int, seed: str) -> set[int]:
    """Indexes of the records to keep: all recent ones, then a spread over years and categories."""
    recent = {i for i, record in enumerate(records) if year_of(record) in RECENT_YEARS}
    groups: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, record in enumerate(records):
        if i not in recent:
            groups[year_of(record)][category_of(record)].append(i)

    chosen = set(recent)
    year_sizes = {year: sum(map(len, cats.values())) for year, cats in groups.items()}
    for year, quota in share(count - len(recent), year_sizes).items():
        categories = groups[year]
        sizes = {category: len(members) for category, members in categories.items()}
        for category, n in share(quota, sizes).items():
            ranked = sorted(categories[category], key=lambda i: preference(records[i], seed))
            chosen.update(ranked[:n])
    return chosen


def share(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """Split ``total`` as evenly as possible over groups, giving no group more than it holds."""
    quotas = {}
    left = max(total, 0)
    ordered = sorted(sizes, key=lambda key: (sizes[key], key))  # small groups first
    for position, key in enumerate(ordered):
        quotas[key] = min(sizes[key], left // (len(ordered) - position))
        left -= quotas[key]
    return quotas


def preference(record: dict, seed: str) -> tuple[bool, str]:
    """Sort key: long-enough articles first, then a seeded pseudo-random order."""
    short = len(record["body"].split()) < MIN_WORDS
    return short, hashlib.sha256(f"{seed}:{record['id']}".encode()).hexdigest()


def year_of(record: dict) -> str:
    """The publication year, or "undated"."""
    date = record.get("date")
    return date[:4] if date else "undated"


def category_of(record: dict) -> str:
    """The record's categories as one group name ("Economy and business+Politics and ...")."""
    return "+".join(sorted(record.get("categories") or [])) or "none"


if __name__ == "__main__":
    sys.exit(main())
