"""Metadata that follows the files: scanned when gcodes appear, moved or dropped with them.

Shared by API operations and changes seen by inotify; only the gcodes root
has metadata, and only gcode files in it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, succeed

from moontwist.services.files.paths import Location, is_gcode
from moontwist.services.files.walk import walk_files

if TYPE_CHECKING:
    from moontwist.services.files.service import FileManagerService


class MetadataTracking:
    """Keeps the metadata store in step with changes to the gcodes root."""

    def __init__(self, files: "FileManagerService") -> None:
        self._files = files

    def scan_file(self, location: Location) -> "Deferred[Any]":
        """Extract the metadata of a new or changed gcode file."""
        if location.root.name != "gcodes" or not is_gcode(location.name) or not os.path.isfile(location.path):
            return succeed(None)
        return self._files.metadata.scan(location.relative)

    def scan_tree(self, location: Location) -> "Deferred[Any]":
        """Bring the metadata of every gcode file under a folder up to date (walked on a thread)."""
        if location.root.name != "gcodes":
            return succeed(None)
        root = location.root
        walked = self._files.blocking(walk_files, root, location.relative, True,
                                      self._files.table.reserved_under(root))
        return walked.addCallback(self._files.metadata.sync, location.relative)

    def forget(self, location: Location, is_dir: bool) -> "Deferred[Any]":
        """Drop the metadata (and thumbnails) of what was deleted."""
        if location.root.name != "gcodes":
            return succeed(None)
        if is_dir:
            return self._files.metadata.remove_tree(location.relative)
        if not is_gcode(location.name):
            return succeed(None)
        return self._files.metadata.remove(location.relative)

    def follow_move(self, origin: Location, location: Location, is_dir: bool) -> "Deferred[Any]":
        """Move records inside gcodes; moving out forgets, moving in scans."""
        inside_gcodes = origin.root.name == location.root.name == "gcodes"
        if inside_gcodes and is_dir:
            return self._files.metadata.move_tree(origin.relative, location.relative)
        if inside_gcodes and is_gcode(origin.name) and is_gcode(location.name):
            return self._files.metadata.move(origin.relative, location.relative)
        forgotten = self.forget(origin, is_dir)
        return forgotten.addCallback(lambda _: self.scan_tree(location) if is_dir else self.scan_file(location))
