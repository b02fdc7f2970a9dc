"""``distribution`` of ``machine.system_info``, from os-release."""

from __future__ import annotations

import re
import shlex
from typing import Any

from moontwist.services.machine.host import HostPaths, read_stripped, read_text

OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
# A distribution's own release file in /etc (``fedora-release``, ``armbian-release``...),
# found and read as the ``distro`` package Moonraker uses does (``release_info``).
RELEASE_FILE = re.compile(r"(\w+)[-_](release|version)$")
IGNORED_RELEASE_FILES = frozenset({"debian_version", "lsb-release", "oem-release", "os-release", "system-release",
                                   "plesk-release", "iredmail-release", "board-release", "ec2_version"})
# Read reversed: "<name> release <version> (<codename>)", the version's last digit first.
_RELEASE_LINE_REVERSED = re.compile(r"(?:[^)]*\)(.*)\()? *(?:STL )?([\d.+\-a-z]*\d) *(?:esaeler *)?(.+)")


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
        "release_info": release_info(paths),
        "kernel_version": read_stripped(paths.proc("sys", "kernel", "osrelease")) or "",
    }


def release_info(paths: HostPaths) -> dict[str, str]:
    """The first of /etc's distribution release files (sorted) whose first line names the distribution."""
    etc = paths.path("/etc")
    try:
        names = sorted(entry.name for entry in etc.iterdir()
                       if entry.name not in IGNORED_RELEASE_FILES and entry.is_file())
    except OSError:
        return {}
    for name in names:
        match = RELEASE_FILE.match(name)
        if match is None:
            continue
        info = parse_release_line(((read_text(etc / name) or "").splitlines() or [""])[0])
        if "name" not in info:
            continue
        info["id"] = match.group(1)
        if "cloudlinux" in info["name"].lower():
            info["id"] = "cloudlinux"
        return info
    return {}


def parse_release_line(line: str) -> dict[str, str]:
    """``Fedora release 39 (Thirty Nine)`` -> name, version_id, codename."""
    match = _RELEASE_LINE_REVERSED.match(line.strip()[::-1])
    if match is None:
        return {"name": line.strip()} if line.strip() else {}
    info = {"name": match.group(3)[::-1]}
    if match.group(2):
        info["version_id"] = match.group(2)[::-1]
    if match.group(1):
        info["codename"] = match.group(1)[::-1]
    return info
