"""How newsindex imports Whoosh: without three modules Whoosh imports but never uses here.

Whoosh's modules import three things at load time that a search never touches:

- ``whoosh.compat`` imports ``urlretrieve`` from ``urllib.request`` (which pulls in
  ``http.client``, ``email`` and ``ssl``) and nothing in Whoosh calls it;
- ``whoosh.reading`` imports the ``cached_property`` package, which imports ``asyncio``
  only to ask, when a cached property is first read, whether it wraps a coroutine;
- ``whoosh.query.terms`` imports ``variations`` from ``whoosh.lang.morph_en`` (a
  17 ms table of English word forms) for a query type newsindex does not build.

Together they are about a quarter of a fresh ``newsindex search``. :func:`import_whoosh`
loads those three Whoosh modules while stand-ins occupy the three module names, then
removes the stand-ins, so the names Whoosh bound forward to the real modules, which load on
first use.

Why this is safe inside someone else's program: nothing but those three Whoosh modules ever
sees a stand-in, which stands in ``sys.modules`` only while they load; the real modules
import as usual afterwards, for the host program and for Whoosh; a module the host already
imported is left alone; and in a process that already runs other threads (one of which could
import a stood-in module meanwhile) Whoosh is imported as usual, with no stand-in at all.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

__all__ = ["import_whoosh"]

# Whoosh module to load → (module it imports, names it takes from it). An empty tuple
# means the module object itself is kept, as `import asyncio` keeps it.
_DEFERRED = {
    "whoosh.compat": ("urllib.request", ("urlretrieve",)),
    "cached_property": ("asyncio", ()),
    "whoosh.query.terms": ("whoosh.lang.morph_en", ("variations",)),
}


def import_whoosh() -> None:
    """Import the Whoosh modules in ``_DEFERRED`` with their unused imports deferred."""
    if threading.active_count() > 1:
        return
    for importer, (name, names) in _DEFERRED.items():
        if importer in sys.modules or name in sys.modules:
            continue
        stand_in = types.ModuleType(name)
        for attr in names:
            setattr(stand_in, attr, _forward(name, attr))
        sys.modules[name] = stand_in
        try:
            module = importlib.import_module(importer)
        finally:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
        if not names:
            # The importer keeps the module object: give it one that loads on first use.
            for key, value in vars(module).items():
                if value is stand_in:
                    setattr(module, key, _LazyModule(name))


def _forward(module: str, name: str) -> Callable[..., Any]:
    """A function that imports ``module`` when first called and calls its ``name``."""

    def forward(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    forward.__name__ = forward.__qualname__ = name
    return forward


class _LazyModule:
    """Stands for a module that is imported on its first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)
