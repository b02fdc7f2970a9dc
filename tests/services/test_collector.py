import ctypes
import gc
import subprocess
import sys
import weakref
from pathlib import Path

from twisted.internet.task import Clock
from twisted.trial.unittest import SkipTest, SynchronousTestCase

from moontwist.api import Transport
from moontwist.connections import ConnectionManager
from moontwist.events import EventBus
from moontwist.services.collector import DELAY, TRIGGERS, CollectorService


class Connection:
    """A connection that, like a websocket's objects, refers to itself."""

    transport = Transport.WEBSOCKET
    client_info = None

    def __init__(self, connection_id: int) -> None:
        self.connection_id = connection_id
        self.cycle = self


class CollectorServiceTests(SynchronousTestCase):
    def setUp(self) -> None:
        # Only the service may collect during these tests.
        gc.disable()
        self.addCleanup(gc.enable)
        self.clock = Clock()
        self.connections = ConnectionManager()
        self.events = EventBus()
        self.service = CollectorService(self.clock, self.connections, self.events)
        self.service.startService()

    def close_new_connection(self, connection_id: int) -> "weakref.ref[Connection]":
        connection = Connection(connection_id)
        self.connections.add(connection)
        self.connections.remove(connection)
        return weakref.ref(connection)

    def test_a_closed_connection_is_freed_after_the_delay(self) -> None:
        closed = self.close_new_connection(1)
        self.clock.advance(DELAY - 0.1)
        self.assertIsNotNone(closed())
        self.clock.advance(0.1)
        self.assertIsNone(closed())

    def test_a_burst_of_closes_is_one_collection(self) -> None:
        refs = [self.close_new_connection(n) for n in range(100)]
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(DELAY)
        self.assertEqual([ref() for ref in refs], [None] * 100)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_a_close_after_a_collection_schedules_the_next(self) -> None:
        self.close_new_connection(1)
        self.clock.advance(DELAY)
        closed = self.close_new_connection(2)
        self.assertEqual(len(self.clock.getDelayedCalls()), 1)
        self.clock.advance(DELAY)
        self.assertIsNone(closed())

    def test_finished_file_work_schedules_a_collection(self) -> None:
        self.assertEqual(TRIGGERS, ("filelist_changed", "metadata_idle"))
        for name in TRIGGERS:
            garbage = Connection(0)
            freed = weakref.ref(garbage)
            del garbage
            self.events.emit(name, {"action": "create_file"})
            self.assertEqual(len(self.clock.getDelayedCalls()), 1, name)
            self.clock.advance(DELAY)
            self.assertIsNone(freed(), name)

    def test_stopping_cancels_the_pending_collection_and_stops_listening(self) -> None:
        self.close_new_connection(1)
        self.service.stopService()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.close_new_connection(2)
        for name in TRIGGERS:
            self.events.emit(name)
        self.assertEqual(self.clock.getDelayedCalls(), [])


class FreezeTests(SynchronousTestCase):
    """The real daemon starts with the collector paused (its entry points call
    ``gc.disable()``); the service resumes it, then collects and freezes."""

    def setUp(self) -> None:
        gc.disable()
        self.addCleanup(gc.enable)
        self.addCleanup(gc.unfreeze)
        self.clock = Clock()
        self.service = CollectorService(self.clock, ConnectionManager(), EventBus(), freeze=True)

    def test_start_resumes_the_collector_then_collects_and_freezes_after_the_delay(self) -> None:
        garbage = Connection(0)
        freed = weakref.ref(garbage)
        del garbage
        frozen = gc.get_freeze_count()
        self.service.startService()
        self.assertTrue(gc.isenabled())
        self.assertEqual(gc.get_freeze_count(), frozen)
        self.clock.advance(DELAY)
        self.assertIsNone(freed())
        self.assertGreater(gc.get_freeze_count(), frozen)

    def test_stopping_before_the_delay_cancels_the_freeze(self) -> None:
        frozen = gc.get_freeze_count()
        self.service.startService()
        self.service.stopService()
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(gc.get_freeze_count(), frozen)

    def test_without_freeze_nothing_is_hidden_nor_resumed(self) -> None:
        frozen = gc.get_freeze_count()
        CollectorService(Clock(), ConnectionManager(), EventBus()).startService()
        self.assertEqual(gc.get_freeze_count(), frozen)
        self.assertFalse(gc.isenabled())


# Run in a fresh interpreter, whose thresholds nothing has moved yet: free a
# 4 MiB buffer (glibc then raises a moving mmap threshold to 4 MiB and the trim
# threshold to 8 MiB), then print whether a 1 MiB buffer got its own mapping
# and how much free memory is left at the top of the heap after 2 MB of
# 100 KiB buffers are freed.
THRESHOLDS_SCRIPT = """
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] != "glibc":
    from twisted.internet.task import Clock
    from moontwist.connections import ConnectionManager
    from moontwist.events import EventBus
    from moontwist.services.collector import CollectorService
    CollectorService(Clock(), ConnectionManager(), EventBus(), freeze=sys.argv[1] == "daemon").startService()
big = bytearray(4 << 20)
del big
before = libc.mallinfo2().hblks
buffer = bytearray(1 << 20)
mapped = libc.mallinfo2().hblks - before
del buffer
chunks = [bytearray(100 << 10) for _ in range(20)]
del chunks
print(mapped, libc.mallinfo2().keepcost)
"""


class MallocThresholdTests(SynchronousTestCase):
    """The real daemon fixes glibc's mmap and trim thresholds (see
    ``fix_malloc_thresholds``); checked in fresh interpreters."""

    def run_script(self, mode: str) -> tuple[int, int]:
        if not hasattr(ctypes.CDLL(None), "mallinfo2"):
            raise SkipTest("needs glibc 2.33 or later")
        root = Path(__file__).resolve().parents[2]
        done = subprocess.run([sys.executable, "-c", THRESHOLDS_SCRIPT, mode], capture_output=True, text=True,
                              cwd=root, env={"PYTHONPATH": str(root)}, check=True)
        mapped, top = done.stdout.split()
        return int(mapped), int(top)

    def test_glibc_alone_moves_its_thresholds(self) -> None:
        mapped, top = self.run_script("glibc")
        self.assertEqual(mapped, 0)
        self.assertGreater(top, 2_000_000)

    def test_the_daemon_maps_large_buffers_and_trims_the_heap_top(self) -> None:
        mapped, top = self.run_script("daemon")
        self.assertEqual(mapped, 1)
        self.assertLess(top, 512 * 1024)

    def test_without_freeze_the_thresholds_are_left_alone(self) -> None:
        mapped, top = self.run_script("suite")
        self.assertEqual(mapped, 0)
        self.assertGreater(top, 2_000_000)
