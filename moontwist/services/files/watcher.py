"""Changes made behind our back, seen with ``twisted.internet.inotify``.

Every folder of the writable roots gets a watch. The folders are found by a
walk on a worker thread (``.git`` and reserved folders skipped), so a huge
tree never stalls the reactor; a folder created or moved in is walked the same
way. Events go to a sink (the ``Coalescer``) when ``accept`` lets them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

from twisted.internet import inotify
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.filepath import FilePath

from moontwist.services.files.paths import GIT_DIR, inside, is_internal
from moontwist.services.files.walk import walk_dirs

log = Logger()

MASK = (inotify.IN_CREATE | inotify.IN_DELETE | inotify.IN_MOVED_FROM | inotify.IN_MOVED_TO
        | inotify.IN_CLOSE_WRITE | inotify.IN_ONLYDIR)


class Sink(Protocol):
    def created(self, path: str, is_dir: bool) -> None: ...
    def closed_write(self, path: str) -> None: ...
    def deleted(self, path: str, is_dir: bool) -> None: ...
    def moved_from(self, path: str, is_dir: bool) -> None: ...
    def moved_to(self, path: str, is_dir: bool) -> None: ...


class TreeINotify(inotify.INotify):
    """An INotify that stays open when a watched folder is deleted.

    Twisted's ``INotify`` calls ``loseConnection`` on ``IN_DELETE_SELF``,
    closing the descriptor and with it every other watch: right for one
    watched folder, wrong for a tree. Only ``close`` closes this one.
    """

    _closing = False

    def loseConnection(self) -> None:
        if self._closing:
            super().loseConnection()

    def close(self) -> None:
        self._closing = True
        super().loseConnection()


class Watcher:
    """Keeps watches on whole trees and forwards their events to a sink."""

    def __init__(self, reactor: Any, sink: Sink, accept: Callable[[str], bool],
                 run_in_thread: Callable[..., "Deferred[Any]"], skip: Callable[[], set[str]],
                 warn: Callable[[str], None]) -> None:
        self._reactor = reactor
        self._sink = sink
        self._accept = accept
        self._run = run_in_thread
        self._skip = skip
        self._warn = warn
        self._inotify: TreeINotify | None = None
        self._watched: set[str] = set()
        self._warned = False

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._watched)

    def start(self) -> None:
        self._inotify = TreeINotify(self._reactor)
        self._inotify.startReading()

    def stop(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
        self._watched.clear()

    def watch_tree(self, top: str) -> "Deferred[None]":
        """Watch ``top`` and every folder below it (walked on a worker thread)."""
        return self._run(walk_dirs, top, self._skip()).addCallback(self._add_watches)

    def _add_watches(self, folders: list[str]) -> None:
        if self._inotify is None:
            return
        for folder in folders:
            if folder in self._watched:
                continue
            try:
                self._inotify.watch(FilePath(os.fsencode(folder)), mask=MASK, callbacks=[self._event])
            except (inotify.INotifyError, OSError) as error:
                if not self._warned:
                    self._warned = True
                    self._warn(f"File manager: cannot watch {folder} for changes ({error}); "
                               "changes made outside moontwist may go unnoticed")
                continue
            self._watched.add(folder)

    def _unwatch_tree(self, top: str) -> None:
        for folder in [f for f in self._watched if inside(f, top)]:
            self._watched.discard(folder)
            if self._inotify is not None:
                try:
                    self._inotify.ignore(FilePath(os.fsencode(folder)))
                except KeyError:
                    pass

    def _watchable(self, path: str) -> bool:
        name = os.path.basename(path)
        return name != GIT_DIR and not is_internal(name) and path not in self._skip()

    def _event(self, _: Any, filepath: FilePath[bytes], mask: int) -> None:
        path = os.fsdecode(filepath.path)
        is_dir = bool(mask & inotify.IN_ISDIR)
        if mask & inotify.IN_Q_OVERFLOW:
            log.warn("inotify queue overflow: some file changes were not seen")
            return
        if mask & (inotify.IN_IGNORED | inotify.IN_DELETE_SELF):
            self._watched.discard(path)
            return
        if is_dir and mask & (inotify.IN_DELETE | inotify.IN_MOVED_FROM):
            self._unwatch_tree(path)
        if is_dir and mask & (inotify.IN_CREATE | inotify.IN_MOVED_TO) and self._watchable(path):
            self.watch_tree(path).addErrback(lambda failure: log.failure("Watching {path}", failure, path=path))
        if not self._accept(path):
            return
        if mask & inotify.IN_CREATE:
            self._sink.created(path, is_dir)
        elif mask & inotify.IN_CLOSE_WRITE:
            self._sink.closed_write(path)
        elif mask & inotify.IN_DELETE:
            self._sink.deleted(path, is_dir)
        elif mask & inotify.IN_MOVED_FROM:
            self._sink.moved_from(path, is_dir)
        elif mask & inotify.IN_MOVED_TO:
            self._sink.moved_to(path, is_dir)
