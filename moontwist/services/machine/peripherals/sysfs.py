"""Shared helpers for reading devices below the host root (real ``/`` or a test tree)."""

from __future__ import annotations

from pathlib import Path

from moontwist.services.machine.host import HostPaths, read_stripped


def host_path(paths: HostPaths, path: Path) -> str:
    """``path`` as the host names it (``/dev/ttyACM0``), whatever the root."""
    try:
        return "/" + str(path.relative_to(paths.root)).lstrip("/") if path != paths.root else "/"
    except ValueError:
        return str(path)


def links_by_target(paths: HostPaths, folder: str) -> dict[str, str]:
    """``/dev/serial/by-id`` style folders: device name -> the link's host path."""
    directory = paths.path(folder)
    if not directory.is_dir():
        return {}
    return {link.resolve().name: host_path(paths, link) for link in sorted(directory.iterdir())}


def usb_location(paths: HostPaths, start: Path) -> str | None:
    """``bus:device`` of the USB device a sysfs folder belongs to (walking up its parents)."""
    folder = start
    while folder.is_dir() and folder != paths.root and folder.name:
        devnum, busnum = read_stripped(folder / "devnum"), read_stripped(folder / "busnum")
        if devnum is not None and busnum is not None:
            try:
                return f"{int(busnum)}:{int(devnum)}"
            except ValueError:
                return None
        folder = folder.parent
    return None
