"""Roots and the paths clients give: parsed, validated and checked against their root.

A client path is checked twice. First as text (``check_relative``): no NUL
byte, no absolute path, no ``..`` segment, no over-long name, no ``.git`` and
no reserved name; this needs no disk access. Then on disk (``RootTable.check``):
after resolving symlinks the path must still lie inside its root and outside
every reserved path (the database, certificates, secrets...).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from moontwist.errors import ApiError

GCODE_EXTENSIONS = (".gcode", ".g", ".gco", ".ufp", ".nc")
NAME_MAX = 255
PATH_MAX = 4096
# Our own files inside roots (upload temp files) start with this; clients
# can neither see nor name them.
INTERNAL_PREFIX = ".moontwist"
RESERVED_NAMES = frozenset({".moonraker"})
GIT_DIR = ".git"


def is_gcode(name: str) -> bool:
    return name.lower().endswith(GCODE_EXTENSIONS)


def is_internal(name: str) -> bool:
    return name.startswith(INTERNAL_PREFIX)


@dataclass(frozen=True)
class Root:
    """A registered folder clients reach by name (``gcodes``, ``config``...)."""

    name: str
    path: Path
    writable: bool

    @property
    def permissions(self) -> str:
        return "rw" if self.writable else "r"


@dataclass(frozen=True)
class Reserved:
    """A path no client may read (or, when ``readable``, write) whatever the root."""

    path: str
    label: str
    readable: bool = False


@dataclass(frozen=True)
class Location:
    """A checked client path: its root, its path inside the root, its place on disk."""

    root: Root
    relative: str

    @property
    def path(self) -> Path:
        return self.root.path / self.relative if self.relative else self.root.path

    @property
    def display(self) -> str:
        return f"{self.root.name}/{self.relative}" if self.relative else self.root.name

    def child(self, name: str) -> "Location":
        return Location(self.root, f"{self.relative}/{name}" if self.relative else name)

    @property
    def parent(self) -> "Location":
        return Location(self.root, self.relative.rpartition("/")[0])

    @property
    def name(self) -> str:
        return self.relative.rpartition("/")[2]


def check_relative(text: str) -> str:
    """``text`` as a clean relative path (``""`` for the root itself), or ApiError."""
    if "\x00" in text:
        raise ApiError("Invalid path: NUL byte in path")
    if text.startswith("/"):
        raise ApiError(f"Invalid path '{text}': absolute paths are not allowed")
    if len(os.fsencode(text)) > PATH_MAX:
        raise ApiError("Invalid path: path too long")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    for part in parts:
        check_name(part, text)
    return "/".join(parts)


def check_name(name: str, text: str | None = None) -> None:
    """Refuse one path segment that no client may use."""
    if name == "..":
        raise ApiError(f"Invalid path '{text or name}': '..' segments are not allowed")
    if len(os.fsencode(name)) > NAME_MAX:
        raise ApiError(f"Invalid path: file name too long ({name[:32]}...)")
    if name == GIT_DIR:
        raise ApiError("Access to .git folders is forbidden", 403)
    if name in RESERVED_NAMES or is_internal(name):
        raise ApiError(f"Access to file {name} forbidden: reserved name", 403)


def inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@dataclass
class RootTable:
    """The registered roots and reserved paths."""

    roots: dict[str, Root] = field(default_factory=dict)
    reserved: list[Reserved] = field(default_factory=list)

    def add(self, root: Root) -> None:
        self.roots[root.name] = root

    def reserve(self, path: Path, label: str, readable: bool = False) -> None:
        """Reserve ``path`` under ``label``; reserving a label again moves it."""
        self.reserved = [r for r in self.reserved if r.label != label]
        self.reserved.append(Reserved(os.path.realpath(path), label, readable))

    def root(self, name: str) -> Root:
        root = self.roots.get(name)
        if root is None:
            raise ApiError(f"Invalid root path ({name})")
        return root

    def locate(self, request_path: str) -> Location:
        """``"gcodes/sub/a.gcode"``: the first segment names the root.

        A leading ``/`` is tolerated as Moonraker does: it cannot leave the root.
        """
        if "\x00" in request_path:
            raise ApiError("Invalid path: NUL byte in path")
        root_name, _, rest = request_path.lstrip("/").partition("/")
        return Location(self.root(root_name), check_relative(rest))

    def locate_in(self, root_name: str, relative: str) -> Location:
        return Location(self.root(root_name), check_relative(relative))

    def check(self, location: Location, write: bool = False) -> Location:
        """Refuse a location that leaves its root through a symlink or is reserved."""
        real = os.path.realpath(location.path)
        if not inside(real, str(location.root.path)):
            raise ApiError(f"Path '{location.display}' is outside root '{location.root.name}'", 403)
        # The deepest reserved path decides: the simulator's readable "klipper" folder
        # lies inside our own (unreadable) source folder.
        holders = [reserved for reserved in self.reserved if inside(real, reserved.path)]
        if holders:
            reserved = max(holders, key=lambda r: len(r.path))
            if write or not reserved.readable:
                raise ApiError(
                    f"Access to file {location.relative} forbidden by reserved path '{reserved.label}'", 403
                )
        if write and not location.root.writable:
            raise ApiError(f"Root '{location.root.name}' is read-only", 403)
        return location

    def reserved_under(self, root: Root) -> set[str]:
        """Reserved paths lying inside ``root`` (walks skip them)."""
        return {r.path for r in self.reserved if not r.readable and inside(r.path, str(root.path))}

    def owner_of(self, absolute: str) -> Location | None:
        """The location of an absolute path inside a registered root, if any."""
        best: Root | None = None
        for root in self.roots.values():
            if inside(absolute, str(root.path)) and (best is None or len(str(root.path)) > len(str(best.path))):
                best = root
        if best is None:
            return None
        relative = absolute[len(str(best.path)):].strip("/")
        return Location(best, relative)
