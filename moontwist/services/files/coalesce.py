"""Raw inotify events in, whole file list changes out, after the burst is over.

Events are held until none has arrived for ``QUIET`` seconds, then reduced:
a ``MOVED_FROM`` followed by a ``MOVED_TO`` is one move (one that finds no
partner within ``MOVE_WAIT`` is a delete); a file is announced when it is
closed after writing, as a creation if it appeared in the meantime; events
under a folder created or deleted in the same burst are part of that one
change; a file created and deleted in the same burst never existed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moontwist.services.files.paths import inside

QUIET = 0.25
MOVE_WAIT = 1.0
MAX_PENDING = 10000


@dataclass(frozen=True)
class Change:
    action: str
    path: str
    source: str | None = None


def _under(path: str, folder: str) -> bool:
    return path != folder and inside(path, folder)


class Coalescer:
    """Turns a stream of inotify events into ``Change`` lists (``emit``)."""

    def __init__(self, clock: Any, emit: Callable[[list[Change]], None],
                 quiet: float = QUIET, move_wait: float = MOVE_WAIT) -> None:
        self._clock = clock
        self._emit = emit
        self._quiet = quiet
        self._move_wait = move_wait
        self._pending: list[Change] = []
        self._new_files: set[str] = set()
        self._moved_from: tuple[str, bool, float] | None = None
        self._timer: Any = None

    def created(self, path: str, is_dir: bool) -> None:
        if is_dir:
            self._add(Change("create_dir", path))
        else:
            self._new_files.add(path)
            self._touch()

    def closed_write(self, path: str) -> None:
        action = "create_file" if path in self._new_files else "modify_file"
        self._new_files.discard(path)
        self._add(Change(action, path))

    def deleted(self, path: str, is_dir: bool) -> None:
        self._new_files.discard(path)
        self._add(Change("delete_dir" if is_dir else "delete_file", path))

    def moved_from(self, path: str, is_dir: bool) -> None:
        self._settle_move()
        self._moved_from = (path, is_dir, self._clock.seconds())
        self._touch()

    def moved_to(self, path: str, is_dir: bool) -> None:
        origin = self._moved_from
        if origin is not None and origin[1] == is_dir:
            self._moved_from = None
            self._add(Change("move_dir" if is_dir else "move_file", path, origin[0]))
            return
        self._settle_move()
        self._add(Change("create_dir" if is_dir else "create_file", path))

    def flush(self) -> None:
        """Emit what is held now (a pending move source stays until it settles)."""
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        origin = self._moved_from
        if origin is not None and self._clock.seconds() - origin[2] >= self._move_wait:
            self._settle_move()
        elif origin is not None:
            self._timer = self._clock.callLater(origin[2] + self._move_wait - self._clock.seconds(), self.flush)
            return
        changes, self._pending = reduce(self._pending), []
        if changes:
            self._emit(changes)

    def cancel(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def _settle_move(self) -> None:
        """A move source with no destination in the watched tree: it left, i.e. was deleted."""
        if self._moved_from is not None:
            path, is_dir, _ = self._moved_from
            self._moved_from = None
            self._pending.append(Change("delete_dir" if is_dir else "delete_file", path))

    def _add(self, change: Change) -> None:
        self._pending.append(change)
        self._touch()

    def _touch(self) -> None:
        if len(self._pending) >= MAX_PENDING:
            self.flush()
            return
        if self._timer is not None and self._timer.active():
            self._timer.reset(self._quiet)
        else:
            self._timer = self._clock.callLater(self._quiet, self.flush)


def reduce(changes: list[Change]) -> list[Change]:
    """Fold one burst of changes into the changes worth announcing, in order."""
    result: list[Change] = []
    for change in changes:
        if change.action in ("delete_dir", "delete_file"):
            result = _delete(result, change)
            continue
        if any(c.action in ("create_dir", "move_dir") and _under(change.path, c.path) for c in result):
            continue
        if change.action == "modify_file" and any(c.path == change.path for c in result):
            continue
        if change.action == "create_file" and any(c.action == "delete_file" and c.path == change.path for c in result):
            result = [c for c in result if c.path != change.path]
            change = Change("modify_file", change.path)
        result.append(change)
    return result


def _delete(result: list[Change], change: Change) -> list[Change]:
    """Apply a delete: what happened inside the deleted path this burst is folded into it."""
    is_dir = change.action == "delete_dir"
    folded = [c for c in result if (inside(c.path, change.path) if is_dir else c.path == change.path)]
    kept = [c for c in result if c not in folded]
    own = [c for c in folded if c.path == change.path]
    if any(c.action in ("create_dir", "create_file") for c in own):
        return kept
    moved_in = next((c for c in own if c.source is not None), None)
    if moved_in is not None:
        return kept + [Change(change.action, moved_in.source or "")]
    return kept + [change]
