"""Where the host's facts live (/proc, /sys, os-release), under one injectable root.

Tests pass a fake root holding a small tree; the daemon uses ``/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostPaths:
    """Paths of the host's pseudo-files, all below ``root``."""

    root: Path = Path("/")

    def proc(self, *parts: str) -> Path:
        return self.root.joinpath("proc", *parts)

    def sys(self, *parts: str) -> Path:
        return self.root.joinpath("sys", *parts)

    def path(self, absolute: str) -> Path:
        """An absolute host path (``/etc/os-release``) below ``root``."""
        return self.root / absolute.lstrip("/")


def read_text(path: Path) -> str | None:
    """The file's text, or None when it is absent or unreadable."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def read_stripped(path: Path) -> str | None:
    text = read_text(path)
    return None if text is None else text.strip()


def read_int(path: Path, base: int = 10) -> int | None:
    text = read_stripped(path)
    if not text:
        return None
    try:
        return int(text, base)
    except ValueError:
        return None
