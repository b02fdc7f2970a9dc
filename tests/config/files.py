"""Real config files in a trial temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase


def folder(case: SynchronousTestCase) -> Path:
    """A new empty folder for one test."""
    path = Path(case.mktemp()).absolute()
    path.mkdir(parents=True)
    return path


def write(directory: Path, name: str, text: str) -> Path:
    """Write dedented ``text`` to ``directory/name`` (parents created) and return the path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
