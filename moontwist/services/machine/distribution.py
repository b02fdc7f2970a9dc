"""``distribution`` of ``machine.system_info``, from os-release."""

from __future__ import annotations

import shlex
from typing import Any

from moontwist.services.machine.host import HostPaths, read_text

OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines, shell quoting removed; comments and junk skipped."""
    values = {}
    for line in text.splitlines():
        key, found, raw = line.strip().partition("=")
        if not found or not key or key.startswith("#"):
            continue
        try:
            words = shlex.split(raw)
        except ValueError:
            continue
        values[key] = " ".join(words)
    return values


def distribution(paths: HostPaths) -> dict[str, Any]:
    release: dict[str, str] = {}
    for name in OS_RELEASE:
        text = read_text(paths.path(name))
        if text is not None:
            release = parse_os_release(text)
            break
    version = release.get("VERSION_ID", "")
    parts = (version.split(".") + ["", ""])[:3] if version else ["", "", ""]
    return {
        "name": release.get("PRETTY_NAME") or release.get("NAME", ""),
        "id": release.get("ID", ""),
        "version": version,
        "version_parts": {"major": parts[0], "minor": parts[1], "build_number": parts[2]},
        "like": release.get("ID_LIKE", ""),
        "codename": release.get("VERSION_CODENAME", ""),
    }
