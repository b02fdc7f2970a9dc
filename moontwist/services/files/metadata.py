"""G-code metadata: extracted off the reactor, kept in the ``gcode_metadata`` namespace.

Records are keyed by the file's path in the gcodes root. Extraction runs one
file at a time on a worker thread (a queue, so a start-up scan of thousands
of files never floods the thread pool); asking again for a file already
queued shares the queued run. Thumbnails follow their file when it moves and
go with it when it is deleted.

The extractors (``moontwist.metadata``: slicer parsers, image codecs) are
imported by the first extraction, on its worker thread, not at start-up.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from moontwist.errors import ApiError
from moontwist.progress import Progress
from moontwist.services.files.paths import inside

log = Logger()

NAMESPACE = "gcode_metadata"
# Emitted by the file manager when the extraction queue has run dry.
IDLE_EVENT = "metadata_idle"
# A scan of at least this many new or changed files reports its progress.
PROGRESS_FROM = 50
Metadata = dict[str, Any]


class Records(Protocol):
    """What the store needs of a database namespace."""

    def get(self, key: str, default: Any = ...) -> Any: ...
    def keys(self) -> list[str]: ...
    def insert(self, key: str, value: Any) -> "Deferred[None]": ...
    def insert_many(self, items: Mapping[str, Any]) -> "Deferred[None]": ...
    def delete_many(self, keys: Iterable[str]) -> "Deferred[dict[str, Any]]": ...


class MemoryRecords:
    """Records kept in memory: used when the database is not available."""

    def __init__(self) -> None:
        self._records: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self._records.get(key, default)

    def keys(self) -> list[str]:
        return sorted(self._records)

    def insert(self, key: str, value: Any) -> "Deferred[None]":
        self._records[key] = value
        return succeed(None)

    def insert_many(self, items: Mapping[str, Any]) -> "Deferred[None]":
        self._records.update(items)
        return succeed(None)

    def delete_many(self, keys: Iterable[str]) -> "Deferred[dict[str, Any]]":
        return succeed({key: self._records.pop(key) for key in list(keys) if key in self._records})


def _extract_blocking(root: Path, relative: str) -> tuple[str, Metadata]:
    """Unpack a UFP package if need be, then extract; the file's final path and metadata."""
    from moontwist.metadata import extract, unpack_ufp

    path = root / relative
    if relative.lower().endswith(".ufp"):
        path = unpack_ufp(path)
        relative = str(path.relative_to(root))
    try:
        return relative, extract(path, relative)
    except (OSError, ValueError) as error:
        log.warn("Metadata extraction failed for {file}: {error}", file=relative, error=error)
        status = path.stat()
        return relative, {"size": status.st_size, "modified": status.st_mtime, "filename": relative,
                          "print_start_time": None, "job_id": None}


def _remove_thumbnails(folder: Path, metadata: Metadata) -> None:
    for thumbnail in metadata.get("thumbnails") or ():
        (folder / thumbnail.get("relative_path", "")).unlink(missing_ok=True)


def _remove_thumbnails_of(files: list[tuple[Path, Metadata]]) -> None:
    for folder, metadata in files:
        _remove_thumbnails(folder, metadata)


def _move_thumbnails(source_folder: Path, target_folder: Path, old_stem: str, new_stem: str,
                     thumbnails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    moved = []
    for thumbnail in thumbnails:
        relative = thumbnail.get("relative_path", "")
        folder, _, name = relative.rpartition("/")
        if name.startswith(old_stem):
            name = new_stem + name[len(old_stem):]
        new_relative = f"{folder}/{name}" if folder else name
        try:
            (target_folder / new_relative).parent.mkdir(exist_ok=True)
            os.replace(source_folder / relative, target_folder / new_relative)
        except OSError:
            continue
        moved.append({**thumbnail, "relative_path": new_relative})
    return moved


class MetadataStore:
    """Metadata records of the gcodes root and the queue that extracts them."""

    def __init__(self, records: Records, root: Path, run_in_thread: Callable[..., "Deferred[Any]"],
                 clock: IReactorTime | None = None) -> None:
        self.records = records
        self.root = root
        self._run = run_in_thread
        # Times the progress of a scan of many files (log lines, a bar on a terminal).
        self.clock = clock
        self._queue: deque[str] = deque()
        self._queued: dict[str, list[Deferred[Metadata | None]]] = {}
        self._busy = False
        self._stopping: Deferred[None] | None = None
        # Called each time the queue runs dry after an extraction.
        self.on_idle: Callable[[], None] | None = None

    def get(self, relative: str) -> Metadata | None:
        try:
            value = self.records.get(relative, None)
        except ApiError:
            return None
        return value if isinstance(value, dict) else None

    def is_current(self, relative: str, size: int, modified: float) -> bool:
        stored = self.get(relative)
        return stored is not None and stored.get("size") == size and stored.get("modified") == modified

    def scan(self, relative: str) -> "Deferred[Metadata | None]":
        """Extract (again) the metadata of one file; fires with the stored record."""
        waiting: Deferred[Metadata | None] = Deferred()
        if relative not in self._queued:
            self._queued[relative] = []
            self._queue.append(relative)
        self._queued[relative].append(waiting)
        self._next()
        return waiting

    def idle(self) -> bool:
        return not self._busy and not self._queue

    def stop(self) -> "Deferred[None]":
        """Drop queued extractions (their waiters get None); fires once the running one ends."""
        while self._queue:
            for waiting in self._queued.pop(self._queue.popleft(), []):
                waiting.callback(None)
        if not self._busy:
            return succeed(None)
        self._stopping = Deferred()
        return self._stopping

    def _next(self) -> None:
        if self._stopping is not None and not self._busy:
            stopping, self._stopping = self._stopping, None
            stopping.callback(None)
            return
        if self._busy or not self._queue:
            return
        relative = self._queue.popleft()
        self._busy = True
        extracted = self._run(_extract_blocking, self.root, relative)
        extracted.addCallback(self._store).addErrback(self._failed, relative).addBoth(self._done, relative)

    def _store(self, outcome: tuple[str, Metadata]) -> "Deferred[Metadata]":
        relative, metadata = outcome
        return self.records.insert(relative, metadata).addCallback(lambda _: (relative, metadata))

    def _failed(self, failure: Any, relative: str) -> None:
        log.warn("Metadata for {file} not stored: {error}", file=relative, error=failure.getErrorMessage())
        return None

    def _done(self, outcome: tuple[str, Metadata] | None, relative: str) -> None:
        self._busy = False
        waiters = self._queued.pop(relative, [])
        metadata = outcome[1] if outcome else None
        for waiting in waiters:
            waiting.callback(metadata)
        self._next()
        if self.idle() and self.on_idle is not None:
            self.on_idle()

    def sync(self, files: list[dict[str, Any]], start: str = "") -> "Deferred[Any]":
        """Bring records under ``start`` in line with a walk: prune the gone (with their
        thumbnails), then scan the new or changed."""
        present = {item["path"] for item in files}
        stale = [key for key in self.records.keys() if (not start or inside(key, start)) and key not in present]
        pruned = self._prune(stale) if stale else succeed(None)
        pruned.addErrback(lambda failure: log.failure("Pruning metadata of removed files", failure))

        def scan_changed(_: Any) -> "Deferred[Any]":
            changed = [item["path"] for item in files
                       if not self.is_current(item["path"], item["size"], item["modified"])]
            scans = [self.scan(path) for path in changed]
            if self.clock is not None and len(changed) >= PROGRESS_FROM:
                progress = Progress("Metadata of G-code files", len(changed), self.clock)
                for scan in scans:
                    scan.addBoth(progress.step)
            return DeferredList(scans, consumeErrors=True)

        return pruned.addCallback(scan_changed)

    def _prune(self, keys: list[str]) -> "Deferred[Any]":
        """Forget files that are gone and delete their thumbnails."""
        thumbnails = [((self.root / key).parent, record) for key in keys
                      if (record := self.get(key)) is not None and record.get("thumbnails")]
        pruned = self.records.delete_many(keys)
        if thumbnails:
            pruned.addCallback(lambda _: self._run(_remove_thumbnails_of, thumbnails))
        return pruned

    def remove(self, relative: str) -> "Deferred[Any]":
        """Forget a deleted file and delete its thumbnails."""
        stored = self.get(relative)
        forgotten = self.records.delete_many([relative])
        if stored is None:
            return forgotten
        folder = (self.root / relative).parent
        return forgotten.addCallback(lambda _: self._run(_remove_thumbnails, folder, stored))

    def remove_tree(self, folder: str) -> "Deferred[Any]":
        return self.records.delete_many([key for key in self.records.keys() if inside(key, folder)])

    def move(self, source: str, destination: str) -> "Deferred[Any]":
        """A file moved inside the gcodes root: its record and thumbnails follow."""
        stored = self.get(source)
        if stored is None:
            return self.scan(destination)
        old_stem, new_stem = Path(source).stem, Path(destination).stem
        moved = self._run(_move_thumbnails, (self.root / source).parent, (self.root / destination).parent,
                          old_stem, new_stem, stored.get("thumbnails") or [])

        def store(thumbnails: list[dict[str, Any]]) -> "Deferred[Any]":
            record = {**stored, "filename": destination}
            if "thumbnails" in stored:
                record["thumbnails"] = thumbnails
            return self.records.insert(destination, record).addCallback(
                lambda _: self.records.delete_many([source]))

        return moved.addCallback(store)

    def move_tree(self, source: str, destination: str) -> "Deferred[Any]":
        """A folder moved inside the gcodes root: re-key every record under it."""
        moved = {}
        for key in self.records.keys():
            if inside(key, source):
                new_key = destination + key[len(source):]
                record = self.get(key)
                if record is not None:
                    moved[new_key] = {**record, "filename": new_key}
        old_keys = [key for key in self.records.keys() if inside(key, source)]
        return self.records.insert_many(moved).addCallback(lambda _: self.records.delete_many(old_keys))
