"""The item objects of the API: ``{path, root, size, modified, permissions}``."""

from __future__ import annotations

import os
import stat
from typing import Any

from moontwist.services.files.paths import GIT_DIR, Location, Root

Item = dict[str, Any]


def permissions(root: Root, path: str, is_link: bool, is_file: bool) -> str:
    """Moonraker's rule: ``r`` in a read-only root or for a symlinked file, ``""`` for .git."""
    if os.path.basename(path) == GIT_DIR:
        return ""
    if not root.writable or (is_link and is_file):
        return "r"
    return "rw"


def describe(location: Location) -> Item:
    """The item for an existing file or folder (blocking: one or two stats)."""
    path = str(location.path)
    status = os.stat(path)
    is_link = os.path.islink(path)
    return {
        "path": location.relative,
        "root": location.root.name,
        "size": status.st_size,
        "modified": status.st_mtime,
        "permissions": permissions(location.root, path, is_link, stat.S_ISREG(status.st_mode)),
    }


def gone(location: Location) -> Item:
    """The item for something just deleted."""
    return {"path": location.relative, "root": location.root.name, "size": 0, "modified": 0, "permissions": ""}


def source(location: Location) -> Item:
    return {"path": location.relative, "root": location.root.name}
