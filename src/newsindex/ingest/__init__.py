"""Readers that turn files into :class:`~newsindex.models.Article` objects.

Supported inputs: the seed text format (``.txt``, one article per file), JSON Lines (``.jsonl``,
``.ndjson``, gzipped or not), ``.json`` (one article object, an array of them or an envelope
around an array, gzipped or not), and, with the ``web`` extra, RSS and Atom
feeds (``.rss``, ``.atom``, ``.xml``), web pages (``.html``, ``.htm``) and web archives
(``.warc``, ``.warc.gz``), and folders of these. Every reader yields articles lazily and
reports each bad record as an :class:`~newsindex.errors.IngestError` naming file and line:
raised when ``on_error`` is ``None``, passed to ``on_error`` otherwise (and reading goes on).
Files of other types inside a folder are skipped, and passed to ``on_ignored`` if one is given.

CSV and TSV files with a header row (``.csv``, ``.tsv``, gzipped or not) are read too, their
columns named as a JSON record's keys or through a column map. A file whose name does not say
its type (no extension, ``.gz``, ``.xml``, ``.html``) and a stream such as standard input are
read by their content (:mod:`newsindex.ingest.detect`) unless a format is given. With the
``web`` extra, an ``http://`` or ``https://`` URL is fetched and read as a feed or a page
(:mod:`newsindex.ingest.fetch`).
"""

from __future__ import annotations

from newsindex.ingest.common import OnError
from newsindex.ingest.csvfile import ColumnMap, read_csv, read_tsv
from newsindex.ingest.dates import DateOrder
from newsindex.ingest.feeds import read_feed
from newsindex.ingest.fetch import Fetcher, is_url
from newsindex.ingest.files import (
    OnIgnored,
    Source,
    input_formats,
    read_path,
    read_paths,
    read_stream,
)
from newsindex.ingest.jsonl import read_json, read_jsonl
from newsindex.ingest.pages import read_page
from newsindex.ingest.sample import sample_paths
from newsindex.ingest.seed import parse_seed, read_seed
from newsindex.ingest.warc import OnSkipped, read_warc

__all__ = [
    "ColumnMap",
    "DateOrder",
    "Fetcher",
    "OnError",
    "OnIgnored",
    "OnSkipped",
    "Source",
    "input_formats",
    "is_url",
    "parse_seed",
    "read_csv",
    "read_feed",
    "read_json",
    "read_jsonl",
    "read_page",
    "read_path",
    "read_paths",
    "read_seed",
    "read_stream",
    "read_tsv",
    "read_warc",
    "sample_paths",
]
