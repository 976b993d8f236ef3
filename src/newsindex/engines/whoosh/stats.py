"""What an index holds: its article count, date range and size on disk."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

from whoosh.searching import Searcher
from whoosh.util.times import long_to_datetime

from newsindex.engines.whoosh.codec.schema import SCHEMA_VERSION, UNDATED
from newsindex.errors import IndexNotFoundError
from newsindex.fields import DATE_FIELD
from newsindex.models import IndexStats

__all__ = ["index_stats", "newest_published"]


def _size_on_disk(folder: Path) -> int:
    total = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        raise IndexNotFoundError(folder) from None
    for entry in entries:
        # A commit in another process may delete a file between the listing and the stat.
        with contextlib.suppress(FileNotFoundError):
            if entry.is_file():
                total += entry.stat().st_size
    return total


def _published_range(searcher) -> tuple[dt.datetime, dt.datetime] | None:
    """Earliest and latest publication time (naive UTC) of the live articles.

    Read from the date column of the documents not deleted: the term list would still hold the
    dates of deleted or replaced articles until their segment is merged away.
    """
    low, high = None, None
    for reader, _offset in searcher.reader().leaf_readers():
        if not reader.has_column(DATE_FIELD):
            continue
        column = reader.column_reader(DATE_FIELD, translate=False)
        if reader.has_deletions():
            values = [column[d] for d in reader.all_doc_ids()]
        else:
            values = list(column)
        dated = [v for v in values if v < UNDATED]
        if dated:
            low = min(dated) if low is None else min(low, *dated)
            high = max(dated) if high is None else max(high, *dated)
    if low is None or high is None:
        return None
    return long_to_datetime(low), long_to_datetime(high)


def newest_published(searcher) -> dt.datetime | None:
    """The latest publication time in the index (naive UTC), or None if nothing is dated."""
    span = _published_range(searcher)
    return span[1] if span else None


def index_stats(searcher: Searcher, folder: Path) -> IndexStats:
    """Article count, date range and size of the index ``searcher`` reads, in ``folder``."""
    span = _published_range(searcher)
    count = searcher.doc_count()
    first, last = (d.replace(tzinfo=dt.timezone.utc) for d in span) if span else (None, None)
    return IndexStats(
        path=str(folder),
        articles=count,
        first_published=first,
        last_published=last,
        size_bytes=_size_on_disk(folder),
        schema_version=SCHEMA_VERSION,
    )
