"""Fake host trees, fake host programs on PATH, and a context for machine tests."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import load_config
from moontwist.context import Options, ServerContext


def temp_dir(test: SynchronousTestCase) -> Path:
    path = Path(tempfile.mkdtemp(prefix="mt-machine"))
    test.addCleanup(shutil.rmtree, path, True)
    return path


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Create ``{"proc/stat": text, ...}`` below ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_ctx(reactor: Any, data_path: Path, config: str = "[server]\n") -> ServerContext:
    (data_path / "config").mkdir(parents=True, exist_ok=True)
    config_file = data_path / "config" / "moonraker.conf"
    config_file.write_text(config)
    options = Options(data_path, config_file, None, data_path / "moonraker.sock")
    return ServerContext(reactor, options, load_config(config_file, data_path))


def fake_programs(test: SynchronousTestCase, scripts: dict[str, str]) -> Path:
    """Shell scripts put first on PATH; each logs its argv to ``calls.log`` in its folder."""
    folder = temp_dir(test)
    for name, body in scripts.items():
        path = folder / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{folder}/calls.log"\n{body}\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    previous = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{folder}{os.pathsep}{previous}"
    test.addCleanup(os.environ.__setitem__, "PATH", previous)
    return folder


def calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    return log.read_text().splitlines() if log.exists() else []
