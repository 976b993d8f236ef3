"""Readers that turn files into :class:`~newsindex.models.Article` objects.

Supported inputs: the seed text format (``.txt``, one article per file), JSON Lines (``.jsonl``,
``.ndjson``, gzipped or not), ``.json`` (one article object, an array of them or an envelope
around an array, gzipped or not), RSS and Atom feeds (``.rss``, ``.atom``, ``.xml``; with the
``web`` extra) and folders of these. Every reader yields articles lazily and
reports each bad record as an :class:`~newsindex.errors.IngestError` naming file and line:
raised when ``on_error`` is ``None``, passed to ``on_error`` otherwise (and reading goes on).
Files of other types inside a folder are skipped, and passed to ``on_ignored`` if one is given.
"""

from __future__ import annotations

from newsindex.ingest.common import OnError
from newsindex.ingest.feeds import read_feed
from newsindex.ingest.files import OnIgnored, read_path, read_paths
from newsindex.ingest.jsonl import read_json, read_jsonl
from newsindex.ingest.sample import sample_paths
from newsindex.ingest.seed import parse_seed, read_seed

__all__ = [
    "OnError",
    "OnIgnored",
    "parse_seed",
    "read_feed",
    "read_json",
    "read_jsonl",
    "read_path",
    "read_paths",
    "read_seed",
    "sample_paths",
]
