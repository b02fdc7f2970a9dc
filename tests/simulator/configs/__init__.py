"""printer.cfg files the simulator is tested on, and a helper to install one."""

from __future__ import annotations

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def install(name: str, config_dir: str, gcodes: str) -> str:
    """Copy config ``name`` (a file, or a folder holding printer.cfg) into
    ``config_dir`` with ``{gcodes}`` filled in; the printer.cfg path."""
    source = os.path.join(HERE, name)
    os.makedirs(config_dir, exist_ok=True)
    if os.path.isdir(source):
        shutil.copytree(source, config_dir, dirs_exist_ok=True)
    else:
        shutil.copy(source, os.path.join(config_dir, "printer.cfg"))
    for root, _dirs, files in os.walk(config_dir):
        for filename in files:
            path = os.path.join(root, filename)
            with open(path) as handle:
                text = handle.read()
            with open(path, "w") as handle:
                handle.write(text.replace("{gcodes}", gcodes))
    return os.path.join(config_dir, "printer.cfg")
