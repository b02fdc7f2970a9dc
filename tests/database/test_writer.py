import threading
from typing import Any

import lmdb
from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults
from twisted.trial.unittest import TestCase

from moontwist.database.writer import Writer
from moontwist.errors import ApiError


class WriterTests(TestCase):
    def open(self, map_size: int = 1 << 20) -> tuple[lmdb.Environment, Writer]:
        env = lmdb.open(self.mktemp(), map_size=map_size)
        writer = Writer(env, reactor)

        async def close() -> None:
            await writer.close()
            env.close()

        self.addCleanup(lambda: Deferred.fromCoroutine(close()))
        return env, writer

    @staticmethod
    def put(key: bytes, value: bytes) -> Any:
        return lambda txn: txn.put(key, value)

    async def test_writes_queued_in_one_tick_commit_in_one_transaction(self) -> None:
        env, writer = self.open()
        writes = [writer.submit(self.put(b"k%d" % i, b"v")) for i in range(500)]
        await gatherResults(writes)
        self.assertEqual(writer.transactions, 1)
        self.assertEqual(env.stat()["entries"], 500)

    async def test_deferred_fires_after_commit_and_a_new_read_sees_it(self) -> None:
        env, writer = self.open()
        written = writer.submit(self.put(b"k", b"v"))
        self.assertNoResult(written)
        await written
        with env.begin() as txn:
            self.assertEqual(txn.get(b"k"), b"v")

    async def test_writes_queued_during_a_commit_form_the_next_batch(self) -> None:
        env, writer = self.open()
        started: Deferred[None] = Deferred()
        release = threading.Event()

        def blocking(txn: lmdb.Transaction) -> None:
            reactor.callFromThread(started.callback, None)
            release.wait()
            txn.put(b"first", b"1")

        first = writer.submit(blocking)
        await started
        later = [writer.submit(self.put(b"k%d" % i, b"v")) for i in range(50)]
        release.set()
        await gatherResults([first, *later])
        self.assertEqual(writer.transactions, 2)
        self.assertEqual(env.stat()["entries"], 51)

    async def test_a_failing_write_does_not_spoil_its_batch(self) -> None:
        env, writer = self.open()

        def refuse(txn: lmdb.Transaction) -> None:
            raise ApiError("nope", 404)

        good = writer.submit(self.put(b"k", b"v"))
        bad = writer.submit(refuse)
        await good
        error = await self.assertFailure(bad, ApiError)
        self.assertEqual(error.status, 404)
        self.assertEqual(writer.transactions, 1)
        with env.begin() as txn:
            self.assertEqual(txn.get(b"k"), b"v")

    async def test_an_unexpected_error_aborts_the_whole_batch(self) -> None:
        env, writer = self.open()

        def crash(txn: lmdb.Transaction) -> None:
            raise RuntimeError("boom")

        writes = [writer.submit(self.put(b"k", b"v")), writer.submit(crash)]
        for write in writes:
            error = await self.assertFailure(write, ApiError)
            self.assertEqual(error.status, 500)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        self.assertEqual((writer.transactions, env.stat()["entries"]), (0, 0))

    async def test_full_map_grows_and_the_batch_is_retried(self) -> None:
        env, writer = self.open(map_size=64 * 1024)
        value = b"x" * 1000
        await gatherResults([writer.submit(self.put(b"k%d" % i, value)) for i in range(1000)])
        self.assertGreaterEqual(env.info()["map_size"], 1024 * 1024)
        self.assertEqual(env.stat()["entries"], 1000)
        self.assertEqual(writer.transactions, 1)

    async def test_close_commits_queued_writes_then_refuses_new_ones(self) -> None:
        env, writer = self.open()
        written = writer.submit(self.put(b"k", b"v"))
        await writer.close()
        self.assertTrue(self.successResultOf(written))
        refused = self.failureResultOf(writer.submit(self.put(b"x", b"y")), ApiError).value
        self.assertEqual(refused.status, 503)
        with env.begin() as txn:
            self.assertEqual(txn.get(b"k"), b"v")
