"""The stemmed-terms cache beside an index: the words imports stemmed, so that a search
need not load NLTK."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from pathlib import Path

__all__ = ["TERMS_FILE", "load_terms", "save_terms"]


TERMS_FILE = "terms.json"
"""Beside Whoosh's files: the analyzer's memo of word -> term from imports (a cache only)."""


_MAX_SAVED_TERMS = 200_000


def save_terms(folder: Path, terms: dict[str, str]) -> None:
    """Merge ``terms`` into the folder's terms file, atomically; a cache, so failures pass."""
    with contextlib.suppress(OSError, ValueError):
        saved = load_terms(folder)
        saved.update(terms)
        if len(saved) > _MAX_SAVED_TERMS:
            saved = dict(itertools.islice(saved.items(), _MAX_SAVED_TERMS))
        partial = folder / f"{TERMS_FILE}.{os.getpid()}.tmp"
        partial.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, folder / TERMS_FILE)


def load_terms(folder: Path) -> dict[str, str]:
    """The saved word -> term memo ({} when missing or unreadable)."""
    try:
        terms = json.loads((folder / TERMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return terms if isinstance(terms, dict) else {}
