"""Directory walks and listings. Blocking: the service runs them in a thread.

Walks never enter ``.git`` folders, reserved paths or our own internal files,
follow a symlinked folder only when it resolves inside the root (once: loops
are cut by device and inode), and skip symlinks leading out of the root.
"""

from __future__ import annotations

import os
import stat
from typing import Any, Iterator

from moontwist.services.files.items import permissions
from moontwist.services.files.paths import GIT_DIR, Location, Root, inside, is_gcode, is_internal


def walk_files(root: Root, start: str = "", gcode_only: bool = False,
               skip: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """Every file under ``start`` as ``{path, modified, size, permissions}``, sorted by path."""
    files: list[dict[str, Any]] = []
    base = str(root.path)
    top = os.path.join(base, start) if start else base
    try:
        status = os.stat(top)
    except OSError:
        return files
    visited = {(status.st_dev, status.st_ino)}
    pending = [top]
    for entry in _visible_entries(pending):
        found = _stat_inside(entry, base)
        if found is None:
            continue
        status, is_link = found
        if stat.S_ISDIR(status.st_mode):
            identity = (status.st_dev, status.st_ino)
            if entry.path not in skip and identity not in visited:
                visited.add(identity)
                pending.append(entry.path)
        elif stat.S_ISREG(status.st_mode) and (not gcode_only or is_gcode(entry.name)):
            files.append({
                "path": os.path.relpath(entry.path, base),
                "modified": status.st_mtime,
                "size": status.st_size,
                "permissions": permissions(root, entry.path, is_link, True),
            })
    files.sort(key=lambda item: item["path"])
    return files


def list_directory(location: Location, skip: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """One folder's ``dirs`` and ``files`` (``get_directory``), without descending."""
    dirs: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    base = str(location.root.path)
    with os.scandir(location.path) as entries:
        for entry in entries:
            if is_internal(entry.name):
                continue
            found = _stat_inside(entry, base)
            if found is None:
                continue
            status, is_link = found
            is_file = stat.S_ISREG(status.st_mode)
            allowed = permissions(location.root, entry.path, is_link, is_file)
            if entry.path in skip:
                allowed = ""
            info = {"modified": status.st_mtime, "size": status.st_size, "permissions": allowed}
            if stat.S_ISDIR(status.st_mode):
                info["dirname"] = entry.name
                dirs.append(info)
            elif is_file:
                info["filename"] = entry.name
                files.append(info)
    dirs.sort(key=lambda item: item["dirname"])
    files.sort(key=lambda item: item["filename"])
    return {"dirs": dirs, "files": files}


def _stat_inside(entry: os.DirEntry[str], base: str) -> tuple[os.stat_result, bool] | None:
    """The entry's status (symlinks followed) and whether it is a symlink; None when it
    cannot be read or is a symlink leading out of ``base``."""
    try:
        is_link = entry.is_symlink()
        if is_link and not inside(os.path.realpath(entry.path), base):
            return None
        return entry.stat(), is_link
    except OSError:
        return None


def walk_dirs(top: str, skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """``top`` and every folder below it, not following symlinks (inotify watches)."""
    found = [top]
    pending = [top]
    for entry in _visible_entries(pending):
        if entry.path in skip:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                found.append(entry.path)
                pending.append(entry.path)
        except OSError:
            continue
    return found


def _visible_entries(pending: list[str]) -> Iterator[os.DirEntry[str]]:
    """The entries of each folder taken from ``pending`` (callers add the folders to
    descend into while iterating), leaving out ``.git`` and our internal files."""
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name != GIT_DIR and not is_internal(entry.name):
                yield entry


def is_empty_directory(path: str) -> bool:
    with os.scandir(path) as entries:
        return next(entries, None) is None
