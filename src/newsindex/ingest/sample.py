"""The sample corpus bundled with newsindex, for trying it out and for tests and benchmarks.

``seeds/README.md`` in the source tree describes the files, their licences and how the Wikinews
part is regenerated.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

__all__ = ["SAMPLE_FILES", "sample_paths"]

SAMPLE_FILES = ("000_cf3f115601c28b53.txt", "wikinews-sample.jsonl.gz")
"""The bundled files, in reading order: the seed article, then about 1,500 Wikinews articles."""


def sample_paths() -> tuple[Path, ...]:
    """The bundled sample files as filesystem paths, ready for :func:`read_paths`.

    They live in the ``newsindex/sample`` package data, so this works from a source checkout and
    after ``pip install``. It needs the package installed as files (not imported from a zip).
    """
    folder = importlib.resources.files("newsindex") / "sample"
    return tuple(Path(str(folder / name)) for name in SAMPLE_FILES)
