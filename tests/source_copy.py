"""A private copy of the source tree, for tests that ``pip install`` it.

Building a wheel writes ``build/`` into the tree it builds from; two such tests
running at once (trial -j) in the same tree break each other's build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "printer_data", "_trial_temp*",
                                   "__pycache__")


def source_copy(destination: Path) -> Path:
    """Copy the repository's source to ``destination`` (which must not exist) and return it."""
    shutil.copytree(REPO, destination, ignore=_LEFT_OUT, symlinks=True)
    return destination
