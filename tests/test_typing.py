"""Tests for the package's types: mypy accepts the package as pyproject's ``[tool.mypy]`` asks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_package_passes_mypy():
    """mypy finds no error in src/newsindex (strict on the public modules): run here, the CI
    command checks it too."""
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "src/newsindex"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
