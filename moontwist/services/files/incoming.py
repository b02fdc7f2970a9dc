"""An upload arriving: a temp file in its root, written and hashed off the reactor.

Chunks are queued on the reactor thread and written in order by one job at a
time on a worker thread (which also feeds SHA-256, whose C code releases the
GIL), so neither disk stalls nor hashing hold the reactor. ``pending`` tells
the caller how much is queued, to pause its source; ``on_drained`` says when
to resume.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.errors import ApiError
from moontwist.services.files.paths import INTERNAL_PREFIX

log = Logger()

UPLOAD_PREFIX = f"{INTERNAL_PREFIX}-upload-"
RunInThread = Callable[..., "Deferred[Any]"]


@dataclass(frozen=True)
class ReceivedFile:
    """A complete upload in its temp file."""

    path: Path
    size: int
    sha256: str


class _Target:
    """The open temp file and its running hash; touched only by the worker thread."""

    def __init__(self, directory: Path) -> None:
        descriptor, name = tempfile.mkstemp(prefix=UPLOAD_PREFIX, suffix=".part", dir=directory)
        self.path = Path(name)
        self.file: BinaryIO = os.fdopen(descriptor, "wb")
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.file.write(chunk)
            self.hash.update(chunk)
            self.size += len(chunk)

    def finish(self) -> ReceivedFile:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.path, 0o644)
        return ReceivedFile(self.path, self.size, self.hash.hexdigest())

    def discard(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


class IncomingFile:
    """Write an upload to a temp file in ``directory`` without blocking the reactor."""

    def __init__(self, directory: Path, run_in_thread: RunInThread) -> None:
        self.directory = directory
        self.pending = 0
        self.on_drained: Callable[[], None] | None = None
        # Told at once when a write fails (a full disk): the sender should stop.
        self.on_failed: Callable[[ApiError], None] | None = None
        self._run = run_in_thread
        self._target: _Target | None = None
        self._queue: list[bytes] = []
        self._busy = False
        self._error: Exception | None = None
        self._closing: Deferred[ReceivedFile] | None = None
        self._discarding: Deferred[None] | None = None

    def write(self, data: bytes) -> None:
        if self._error is not None or self._discarding is not None or not data:
            return
        self._queue.append(data)
        self.pending += len(data)
        self._pump()

    def finish(self) -> "Deferred[ReceivedFile]":
        """Fires when every byte is on disk (flushed and synced), with size and digest."""
        self._closing = Deferred()
        self._pump()
        return self._closing

    def discard(self) -> "Deferred[None]":
        """Stop writing and remove the temp file; fires once it is gone."""
        if self._discarding is None:
            self._discarding = Deferred()
            self._queue.clear()
            self.pending = 0
            self._pump()
        return self._discarding

    def _pump(self) -> None:
        if self._busy:
            return
        if self._discarding is not None:
            self._start(self._discard_blocking).addBoth(self._discarded)
        elif self._error is not None:
            if self._closing is not None and not self._closing.called:
                self._closing.errback(self._api_error())
        elif self._queue:
            chunks, self._queue = self._queue, []
            self._start(self._write_blocking, chunks).addCallbacks(self._written, self._failed, (len_of(chunks),))
        elif self._closing is not None and not self._closing.called:
            self._start(self._finish_blocking).addCallbacks(self._closing.callback, self._finish_failed)

    def _start(self, function: Callable[..., Any], *args: Any) -> "Deferred[Any]":
        self._busy = True

        def done(result: Any) -> Any:
            self._busy = False
            return result

        return self._run(function, *args).addBoth(done)

    def _written(self, _: None, count: int) -> None:
        self.pending = max(0, self.pending - count)
        if not self._queue and self.on_drained is not None:
            self.on_drained()
        self._pump()

    def _failed(self, failure: Any) -> None:
        self._error = failure.value
        log.warn("Upload to {directory} failed: {error}", directory=self.directory, error=failure.getErrorMessage())
        self._queue.clear()
        self.pending = 0
        if self.on_failed is not None:
            self.on_failed(self._api_error())
        self._pump()

    def _finish_failed(self, failure: Any) -> None:
        self._error = failure.value
        self._pump()
        assert self._closing is not None
        if not self._closing.called:
            self._closing.errback(self._api_error())

    def _discarded(self, outcome: Any) -> None:
        assert self._discarding is not None
        if not self._discarding.called:
            self._discarding.callback(None)

    def _api_error(self) -> ApiError:
        error = self._error
        if isinstance(error, OSError):
            return ApiError(f"Unable to save the upload: {error.strerror or error}", 507 if error.errno == 28 else 500)
        return ApiError(f"Unable to save the upload: {error}", 500)

    # Worker thread.

    def _target_blocking(self) -> _Target:
        if self._target is None:
            self._target = _Target(self.directory)
        return self._target

    def _write_blocking(self, chunks: list[bytes]) -> None:
        self._target_blocking().write(chunks)

    def _finish_blocking(self) -> ReceivedFile:
        return self._target_blocking().finish()

    def _discard_blocking(self) -> None:
        if self._target is not None:
            self._target.discard()


def len_of(chunks: list[bytes]) -> int:
    return sum(map(len, chunks))


def remove_stale_uploads(directory: Path) -> list[str]:
    """Delete temp files a crash left behind in a root's top folder; their names."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if name.startswith(INTERNAL_PREFIX):
            try:
                os.unlink(directory / name)
                removed.append(name)
            except OSError:
                continue
    return removed

