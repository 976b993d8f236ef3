"""The optional libraries behind the web readers (feeds, pages, WARC), imported when first used.

They sit behind the ``web`` extra so that the core install stays small; a reader that needs one
which is missing reports an :class:`IngestError` naming the extra, never an ``ImportError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from newsindex.errors import IngestError

__all__ = ["WEB_EXTRA", "import_web"]

WEB_EXTRA = "pip install 'newsindex[web]'"
"""The command that installs the web readers' libraries."""


def import_web(module: str, path: str, what: str) -> ModuleType:
    """Import ``module``, or raise an :class:`IngestError` for ``path`` saying how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        reason = (
            f"reading {what} needs the 'web' extra ({exc.name or module} is missing): {WEB_EXTRA}"
        )
        raise IngestError(path, 0, reason) from exc
