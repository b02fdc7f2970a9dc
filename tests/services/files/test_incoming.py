"""An upload's temp file: ordered writes off the reactor, hashing, backpressure, discard."""

from __future__ import annotations

import hashlib
from pathlib import Path

from twisted.internet.defer import maybeDeferred
from twisted.trial.unittest import SynchronousTestCase

from moontwist.errors import ApiError
from moontwist.services.files.incoming import UPLOAD_PREFIX, IncomingFile, remove_stale_uploads
from tests.services.files.helpers import ManualThreads


class IncomingFileTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = Path(self.mktemp()).resolve()
        self.folder.mkdir()

    def temp_files(self) -> list[Path]:
        return sorted(self.folder.iterdir())

    def test_chunks_are_written_in_order_with_their_sha256(self) -> None:
        incoming = IncomingFile(self.folder, maybeDeferred)
        chunks = [b"G1 X1\n", b"G1 X2\n" * 1000, b"M84\n"]
        for chunk in chunks:
            incoming.write(chunk)
        received = self.successResultOf(incoming.finish())
        data = b"".join(chunks)
        self.assertEqual((received.size, received.sha256), (len(data), hashlib.sha256(data).hexdigest()))
        self.assertEqual(received.path.read_bytes(), data)
        self.assertTrue(received.path.name.startswith(UPLOAD_PREFIX))
        self.assertEqual(received.path.parent, self.folder)

    def test_empty_upload_is_an_empty_file(self) -> None:
        received = self.successResultOf(IncomingFile(self.folder, maybeDeferred).finish())
        self.assertEqual((received.size, received.path.read_bytes()), (0, b""))

    def test_one_job_at_a_time_and_chunks_queued_meanwhile_go_together(self) -> None:
        threads = ManualThreads()
        incoming = IncomingFile(self.folder, threads)
        incoming.write(b"a" * 10)
        incoming.write(b"b" * 5)
        incoming.write(b"c" * 5)
        self.assertEqual((len(threads.jobs), incoming.pending), (1, 20))
        threads.run_one()
        self.assertEqual((len(threads.jobs), incoming.pending), (1, 10))
        threads.run_one()
        self.assertEqual(incoming.pending, 0)
        finished = incoming.finish()
        threads.run_all()
        self.assertEqual(self.successResultOf(finished).path.read_bytes(), b"a" * 10 + b"b" * 5 + b"c" * 5)

    def test_on_drained_is_called_when_the_queue_empties(self) -> None:
        threads = ManualThreads()
        incoming = IncomingFile(self.folder, threads)
        drained: list[bool] = []
        incoming.on_drained = lambda: drained.append(True)
        incoming.write(b"x")
        incoming.write(b"y")
        threads.run_one()
        self.assertEqual(drained, [])
        threads.run_one()
        self.assertEqual(drained, [True])

    def test_discard_while_writing_removes_the_file_after_the_write(self) -> None:
        threads = ManualThreads()
        incoming = IncomingFile(self.folder, threads)
        incoming.write(b"x" * 100)
        incoming.write(b"y" * 100)
        discarded = incoming.discard()
        self.assertNoResult(discarded)
        threads.run_all()
        self.successResultOf(discarded)
        self.assertEqual(self.temp_files(), [])
        incoming.write(b"late")
        self.assertEqual(threads.jobs, [])

    def test_write_failure_fails_finish_with_an_api_error(self) -> None:
        incoming = IncomingFile(self.folder / "gone", maybeDeferred)
        incoming.write(b"x")
        failure = self.failureResultOf(incoming.finish(), ApiError)
        self.assertIn("Unable to save the upload", failure.value.message)

    def test_remove_stale_uploads_deletes_our_leftovers_only(self) -> None:
        (self.folder / f"{UPLOAD_PREFIX}1.part").write_bytes(b"x")
        (self.folder / "keep.gcode").write_bytes(b"x")
        self.assertEqual(remove_stale_uploads(self.folder), [f"{UPLOAD_PREFIX}1.part"])
        self.assertEqual([p.name for p in self.temp_files()], ["keep.gcode"])
