"""Check an index folder, and repair a damaged one by keeping every article that can be read.

A repair never deletes a damaged file: it moves it into a ``damaged-<time>`` folder inside
the index folder. The articles that can still be read are written into a new index in a
scratch folder beside the old files, whose segment is then moved in and committed by writing
a table of contents newer than any there, in one rename. Until that rename the folder is as
damaged as before (and a repair can be run again); after it, it holds exactly the recovered
articles.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from newsindex.engines.whoosh.codec.schema import META_FILE, SCHEMA_VERSION
from newsindex.engines.whoosh.damage import INDEX_NAME, Salvage, check_folder, salvage
from newsindex.engines.whoosh.folder import (
    create_index,
    generation_or_none,
    holds_index,
    open_index,
    write_meta,
)
from newsindex.engines.whoosh.lock import remove_leftovers, take_lock, write_failure
from newsindex.engines.whoosh.terms import load_terms, save_terms
from newsindex.engines.whoosh.transactions import write_articles
from newsindex.errors import IndexNotFoundError, IndexReadOnlyError, NewsIndexError
from newsindex.models import IndexCheck, RepairReport

__all__ = ["check_index", "repair_index"]

_CHECK_ATTEMPTS = 5
"""A check that a commit overtook is run again, this many times at most."""

_SCRATCH = ".repair"
"""The scratch folder, inside the index folder, where a repair builds the new index."""


def _version_problem(folder: Path) -> str | None:
    try:
        found = json.loads((folder / META_FILE).read_text(encoding="utf-8"))["schema_version"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"{META_FILE}: missing or unreadable (run 'newsindex reindex' once it is sound)"
    if found != SCHEMA_VERSION:
        return (
            f"{META_FILE}: schema version {found}, this newsindex needs {SCHEMA_VERSION} "
            "(run 'newsindex reindex')"
        )
    return None


def _require_folder(folder: Path) -> None:
    """An index, sound or damaged, must be there: a check or repair of anything else is an
    error, never a new index."""
    if not folder.is_dir() or not holds_index(folder):
        raise IndexNotFoundError(folder)


def check_index(path: str | os.PathLike[str]) -> IndexCheck:
    """Read every segment, stored article and posting list of the index at ``path``.

    Writes nothing. The report's ``problems`` name each damaged file; empty means sound.
    """
    folder = Path(path)
    _require_folder(folder)
    for _attempt in range(_CHECK_ATTEMPTS):
        before = generation_or_none(folder)
        try:
            report = check_folder(folder, version_problem=_version_problem(folder))
        except FileNotFoundError:  # a commit removed what was being read
            report = None
        if report is not None and generation_or_none(folder) == before:
            return report
    raise NewsIndexError(
        f"The index at '{folder}' changed under every check (another process is writing): "
        "check it again when the writes are done."
    )


def repair_index(path: str | os.PathLike[str], *, lock_timeout: float = 10.0) -> RepairReport:
    """Rebuild the index at ``path`` from every article its files still hold.

    Under the write lock. A sound index is left as it is. Otherwise the damaged files are
    moved aside (never deleted) and the readable articles become the index in one commit;
    the report lists what was lost.
    """
    folder = Path(path)
    _require_folder(folder)
    storage = FileStorage(str(folder))
    lock = take_lock(storage, lock_timeout)
    try:
        found = salvage(folder)
        version = _version_problem(folder)
        if not found.problems and version is None:
            return RepairReport(path=str(folder), recovered=len(found.articles))
        if version is not None:
            found.notes.append(f"rebuilt with this version's schema ({version})")
        if found.problems != found.lost:
            found.notes.append("damaged postings were rebuilt from the stored articles")
        try:
            aside = _commit_salvage(folder, found)
        except OSError as exc:
            raise write_failure(folder, exc) from None
    finally:
        lock.release()
    return RepairReport(
        path=str(folder),
        recovered=len(found.articles),
        lost=tuple(found.lost),
        notes=tuple(found.notes),
        moved_aside=tuple(sorted(set(found.damaged_files))),
        aside_folder=str(aside) if aside else None,
    )


def _commit_salvage(folder: Path, found: Salvage) -> Path | None:
    """Write ``found``'s articles as the whole index in ``folder``; returns the aside folder."""
    if not os.access(folder, os.W_OK):
        raise IndexReadOnlyError(folder)
    scratch = folder / _SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    create_index(scratch)
    write_articles(open_index(scratch), found.articles.values())
    storage = FileStorage(str(folder))
    # Above every table of contents there, the damaged one included: a searcher open on the
    # old commit sees a new generation and renews itself.
    generation = 1 + max(TOC._latest_generation(storage, INDEX_NAME), 0)
    aside = None
    if found.damaged_files:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = folder / f"damaged-{stamp}"
        aside.mkdir(exist_ok=True)
        for name in sorted(set(found.damaged_files)):
            if (folder / name).exists():
                os.replace(folder / name, aside / name)
    scratch_storage = FileStorage(str(scratch))
    toc = TOC.read(scratch_storage, INDEX_NAME)
    for segment in toc.segments:
        prefix = f"{segment.segment_id()}."
        for name in os.listdir(scratch):
            if name.startswith(prefix):
                os.replace(scratch / name, folder / name)
    toc.generation = generation
    toc.write(storage, INDEX_NAME)  # the commit: a new table of contents, renamed into place
    write_meta(folder)
    save_terms(folder, load_terms(scratch))
    remove_leftovers(storage)  # the old tables of contents and the segments read above
    shutil.rmtree(scratch, ignore_errors=True)
    return aside
