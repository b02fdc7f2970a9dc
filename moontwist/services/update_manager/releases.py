"""A folder served from versioned copies, switched by one atomic symlink replacement.

``<parent>/<name>`` becomes a relative symlink to ``<parent>/.<name>.releases/<version>``.
A new version is unpacked beside (``.partial``), checked, renamed into place,
then the link is replaced in one ``rename``: at any instant the folder is the
old version or the new one, complete. The previous version stays for rollback.
All of it is blocking file work, for a worker thread.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

PARTIAL = ".partial"


class ReleaseFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.releases = path.parent / f".{path.name}.releases"

    def release(self, version: str) -> Path:
        return self.releases / _safe(version)

    def current(self) -> str | None:
        """The version the link points at (None while the folder is a plain directory)."""
        if not self.path.is_symlink():
            return None
        return Path(os.readlink(self.path)).name

    def adopt(self, version: str) -> str:
        """Move a plain directory into the releases folder and link it (first update only).

        A crash between the two steps leaves no folder; ``settle`` links it back.
        """
        self.releases.mkdir(exist_ok=True)
        name = _safe(version)
        if self.path.is_symlink() or not self.path.exists():
            return self.current() or name
        target = self.release(name)
        if target.exists():
            name = f"{name}-adopted"
            target = self.release(name)
            shutil.rmtree(target, ignore_errors=True)
        self.path.rename(target)
        self.switch(name)
        return name

    def unpack(self, archive: Path, version: str, keep: list[str]) -> Path:
        """Extract ``archive`` to a new release folder, with ``keep`` copied from the current one."""
        self.releases.mkdir(exist_ok=True)
        partial = self.releases / (_safe(version) + PARTIAL)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        with zipfile.ZipFile(archive) as bundle:
            bad = bundle.testzip()
            if bad is not None:
                raise ValueError(f"damaged archive member {bad}")
            for member in bundle.infolist():
                target = (partial / member.filename).resolve()
                if partial.resolve() not in target.parents and target != partial.resolve():
                    raise ValueError(f"archive member escapes its folder: {member.filename}")
            bundle.extractall(partial)
        for name in keep:
            source = self.path / name
            if source.is_file():
                destination = partial / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
        _fsync_tree(partial)
        final = self.release(version)
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
        return final

    def switch(self, version: str) -> None:
        """Point the folder at ``version`` in one rename."""
        link = self.path.parent / f".{self.path.name}.link"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(Path(self.releases.name) / _safe(version))
        os.replace(link, self.path)
        _fsync_dir(self.path.parent)

    def settle(self, fallback: list[str]) -> None:
        """After a crash: drop half-unpacked releases; relink a folder left without its link."""
        if self.releases.is_dir():
            for entry in self.releases.iterdir():
                if entry.name.endswith(PARTIAL):
                    shutil.rmtree(entry, ignore_errors=True)
        if self.path.exists():
            return
        for version in fallback:
            if version and self.release(version).is_dir():
                self.switch(version)
                return

    def prune(self, keep: set[str]) -> None:
        if not self.releases.is_dir():
            return
        names = {_safe(version) for version in keep}
        for entry in self.releases.iterdir():
            if entry.name not in names:
                shutil.rmtree(entry, ignore_errors=True)


def _safe(version: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._-+" else "_" for c in version).lstrip(".")
    return cleaned or "unknown"


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(folder))
