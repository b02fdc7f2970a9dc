import os
import sys
from pathlib import Path

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.error import ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from moontwist.database import store_path
from tests.database.durability_writer import NAMESPACE
from tests.database.helpers import open_store

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KILL_AFTER = 2000


class AcknowledgementReader(ProcessProtocol):
    """Collects the acknowledged indexes; SIGKILLs the writer after ``kill_after``."""

    def __init__(self, kill_after: int) -> None:
        self.kill_after = kill_after
        self.acknowledged: list[int] = []
        self.errors = b""
        self.ended: Deferred[BaseException] = Deferred()
        self._partial = b""
        self._killed = False

    def outReceived(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        self.acknowledged.extend(int(line) for line in lines)
        if len(self.acknowledged) >= self.kill_after and not self._killed:
            self._killed = True
            self.transport.signalProcess("KILL")

    def errReceived(self, data: bytes) -> None:
        self.errors += data

    def processEnded(self, reason: Failure) -> None:
        self.ended.callback(reason.value)


class DurabilityTests(TestCase):
    async def test_every_acknowledged_write_survives_sigkill(self) -> None:
        data_path = Path(self.mktemp()).resolve()
        data_path.mkdir(parents=True)
        reader = AcknowledgementReader(KILL_AFTER)
        environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        argv = [sys.executable, "-m", "tests.database.durability_writer", str(data_path)]
        reactor.spawnProcess(reader, sys.executable, argv, env=environment, path=str(PROJECT_ROOT))
        ended = await reader.ended
        self.assertIsInstance(ended, ProcessTerminated, reader.errors.decode())
        self.assertEqual(ended.signal, 9, reader.errors.decode())
        self.assertGreaterEqual(len(reader.acknowledged), KILL_AFTER)

        store = open_store(self, store_path(data_path))
        stored = store.records(NAMESPACE)
        missing = [i for i in reader.acknowledged if stored.get(f"k{i}") != i]
        self.assertEqual(missing, [])
