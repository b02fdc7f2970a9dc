"""The one writer: the writes queued in the same moment commit in one transaction.

Writes are functions of an lmdb write transaction. They queue on the reactor
thread; one reactor turn later the whole queue runs in a single transaction on
a dedicated worker thread, so the fsync of a commit (tens of ms on an SD card)
never stalls the reactor and is paid once per batch. While a batch commits,
new writes queue for the next one. Each write's Deferred fires only after its
transaction committed, with the write's own result or its own ApiError (a
failing write changes nothing and does not spoil the rest of its batch).

When the map is full the transaction is aborted, the map doubled and the
batch run again. The map is resized on the reactor thread, between batches:
lmdb allows it only while no transaction is open, and all reads are
synchronous on that thread, so none can be open then.
"""

from __future__ import annotations

from typing import Any, Callable

import lmdb
from twisted.internet.defer import Deferred, fail
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from moontwist.errors import ApiError

log = Logger()

WriteOp = Callable[[lmdb.Transaction], Any]
_Batch = list[tuple[WriteOp, "Deferred[Any]"]]


class Writer:
    """Serialises and batches every write to one lmdb environment."""

    def __init__(self, env: lmdb.Environment, reactor: Any) -> None:
        self._env = env
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="moontwist-database-writer")
        self._pool.start()
        self._queue: _Batch = []
        self._flush_call: Any = None
        self._busy = False
        self._closing = False
        self._drained: list[Deferred[None]] = []
        self.transactions = 0
        """Write transactions committed so far."""

    def submit(self, op: WriteOp) -> "Deferred[Any]":
        """Queue ``op``; fires with its result once its transaction committed."""
        if self._closing:
            return fail(ApiError("Database is closed", 503))
        done: Deferred[Any] = Deferred()
        self._queue.append((op, done))
        self._schedule()
        return done

    def close(self) -> "Deferred[None]":
        """Refuse new writes, commit the queued ones, then stop the worker thread."""
        self._closing = True
        drained: Deferred[None] = Deferred()
        self._drained.append(drained)
        self._settle()
        return drained

    def _schedule(self) -> None:
        if self._queue and not self._busy and self._flush_call is None:
            self._flush_call = self._reactor.callLater(0, self._flush)

    def _flush(self) -> None:
        self._flush_call = None
        batch, self._queue = self._queue, []
        self._busy = True
        self._commit(batch)

    def _commit(self, batch: _Batch) -> None:
        ops = [op for op, _ in batch]
        running = deferToThreadPool(self._reactor, self._pool, self._run, ops)
        running.addCallbacks(
            self._committed, self._aborted, callbackArgs=(batch,), errbackArgs=(batch,)
        )

    def _run(self, ops: list[WriteOp]) -> list[tuple[bool, Any]]:
        """Worker thread: one transaction for the whole batch."""
        outcomes: list[tuple[bool, Any]] = []
        with self._env.begin(write=True) as txn:
            for op in ops:
                try:
                    outcomes.append((True, op(txn)))
                except ApiError as error:
                    outcomes.append((False, error))
        return outcomes

    def _committed(self, outcomes: list[tuple[bool, Any]], batch: _Batch) -> None:
        self.transactions += 1
        self._busy = False
        for (ok, result), (_, done) in zip(outcomes, batch):
            if ok:
                done.callback(result)
            else:
                done.errback(result)
        self._schedule()
        self._settle()

    def _aborted(self, failure: Failure, batch: _Batch) -> None:
        if failure.check(lmdb.MapFullError) and self._grow():
            self._commit(batch)
            return
        self._busy = False
        log.failure("Database write transaction failed", failure=failure)
        error = ApiError(f"Database write failed: {failure.getErrorMessage()}", 500)
        for _, done in batch:
            done.errback(error)
        self._schedule()
        self._settle()

    def _grow(self) -> bool:
        size = self._env.info()["map_size"] * 2
        try:
            self._env.set_mapsize(size)
        except lmdb.Error:
            log.failure("Cannot grow the database map to {size} bytes", size=size)
            return False
        log.info("Database map grown to {size} bytes", size=size)
        return True

    def _settle(self) -> None:
        if not self._closing or self._busy or self._queue or self._flush_call is not None:
            return
        if self._pool.started:
            self._pool.stop()
        drained, self._drained = self._drained, []
        for done in drained:
            done.callback(None)
