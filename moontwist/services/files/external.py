"""Changes seen by inotify: metadata brought up to date, then one notification each.

Handled one after another, in the order they happened, so that a client
never hears of a gcode file before its metadata is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from moontwist.services.files.coalesce import Change
from moontwist.services.files.items import describe, gone, source
from moontwist.services.files.paths import GIT_DIR, Location, is_internal

if TYPE_CHECKING:
    from moontwist.services.files.service import FileManagerService

log = Logger()

THUMBS_DIR = ".thumbs"


def is_temporary(name: str) -> bool:
    """A hidden ``.part`` file: a file being written under a temporary name (ours or the metadata's)."""
    return name.startswith(".") and name.endswith(".part")


class ExternalChanges:
    """Filters raw events and handles the coalesced changes of the file manager's roots."""

    def __init__(self, files: "FileManagerService") -> None:
        self._files = files
        self._chain: Deferred[Any] = succeed(None)

    def accept(self, path: str) -> bool:
        """Whether an event at ``path`` may become a notification."""
        location = self._files.table.owner_of(path)
        if location is None or self._files.announcer.muted(path):
            return False
        parts = location.relative.split("/")
        if any(part == GIT_DIR or is_internal(part) for part in parts) or is_temporary(parts[-1]):
            return False
        return not (location.root.name == "gcodes" and THUMBS_DIR in parts)

    def handle(self, changes: list[Change]) -> None:
        for change in changes:
            self._chain.addCallback(lambda _, change=change: self._one(change))
            self._chain.addErrback(lambda failure: log.failure("Handling a file change", failure))

    def _one(self, change: Change) -> "Deferred[Any] | None":
        table, tracking = self._files.table, self._files.tracking
        location = table.owner_of(change.path)
        if location is None:
            return None
        origin = table.owner_of(change.source) if change.source else None
        if change.source and origin is None:
            change = Change("create_dir" if change.action == "move_dir" else "create_file", change.path)
        action = change.action
        if action in ("create_file", "modify_file"):
            return self._metadata_then(location, tracking.scan_file(location), action)
        if action == "create_dir":
            return self._metadata_then(location, tracking.scan_tree(location), action)
        if action == "delete_file" and location.root.name == "gcodes" and location.name.lower().endswith(".ufp"):
            return None
        if action in ("delete_file", "delete_dir"):
            return self._metadata_then(location, tracking.forget(location, action == "delete_dir"), action)
        assert origin is not None
        moved = tracking.follow_move(origin, location, action == "move_dir")
        return self._metadata_then(location, moved, action, origin)

    def _metadata_then(self, location: Location, work: "Deferred[Any]", action: str,
                       origin: Location | None = None) -> "Deferred[Any]":
        def announce(_: Any) -> None:
            if action.startswith("delete"):
                item = gone(location)
            else:
                try:
                    item = describe(location)
                except OSError:
                    return
            self._files.announcer.announce(action, item, source(origin) if origin else None)

        return work.addErrback(lambda failure: log.failure("Metadata update", failure)).addCallback(announce)
