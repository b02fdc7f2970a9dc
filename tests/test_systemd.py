import socket
from pathlib import Path

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.events import EventBus
from moontwist.services.systemd import SystemdNotifyService
from moontwist.systemd import Notifier, SystemdEnvironment


class EnvironmentTests(SynchronousTestCase):
    def test_nothing_set_is_nothing(self) -> None:
        self.assertEqual(SystemdEnvironment.read({}, pid=10), SystemdEnvironment())

    def test_notify_socket_watchdog_and_sockets_for_this_process(self) -> None:
        env = {"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "10",
               "LISTEN_PID": "10", "LISTEN_FDS": "2"}
        self.assertEqual(SystemdEnvironment.read(env, pid=10),
                         SystemdEnvironment("/run/systemd/notify", 20.0, (3, 4)))

    def test_take_removes_the_variables_so_children_do_not_inherit_them(self) -> None:
        env = {"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "1000000", "LISTEN_PID": "10", "LISTEN_FDS": "1",
               "LISTEN_FDNAMES": "http", "HOME": "/home/pi"}
        found = SystemdEnvironment.take(env, pid=10)
        self.assertEqual(env, {"HOME": "/home/pi"})
        self.assertEqual(found.environment(pid=10), {"NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "1000000",
                                                      "WATCHDOG_PID": "10", "LISTEN_FDS": "1", "LISTEN_PID": "10"})

    def test_variables_meant_for_another_process_are_ignored(self) -> None:
        env = {"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "11", "LISTEN_PID": "11", "LISTEN_FDS": "1"}
        self.assertEqual(SystemdEnvironment.read(env, pid=10), SystemdEnvironment())


class Receiver:
    """A real datagram socket standing in for systemd's notify socket."""

    def __init__(self, case: SynchronousTestCase, abstract: bool = False) -> None:
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        case.addCleanup(self.socket.close)
        if abstract:
            self.address = f"@moontwist-test-{id(self)}"
            self.socket.bind("\0" + self.address[1:])
        else:
            folder = Path(case.mktemp())
            folder.mkdir()
            self.address = str(folder / "notify")
            self.socket.bind(self.address)
        self.socket.setblocking(False)

    def messages(self) -> list[str]:
        found = []
        while True:
            try:
                found.append(self.socket.recv(4096).decode())
            except BlockingIOError:
                return found


class NotifierTests(SynchronousTestCase):
    def test_datagram_of_key_value_lines(self) -> None:
        receiver = Receiver(self)
        notifier = Notifier(receiver.address)
        self.addCleanup(notifier.close)
        self.assertTrue(notifier.send(READY="1", STATUS="Klippy ready"))
        self.assertEqual(receiver.messages(), ["READY=1\nSTATUS=Klippy ready"])

    def test_abstract_socket_address(self) -> None:
        receiver = Receiver(self, abstract=True)
        notifier = Notifier(receiver.address)
        self.addCleanup(notifier.close)
        notifier.send(STOPPING="1")
        self.assertEqual(receiver.messages(), ["STOPPING=1"])

    def test_missing_socket_is_not_an_error(self) -> None:
        notifier = Notifier(str(Path(self.mktemp()) / "gone"))
        self.addCleanup(notifier.close)
        self.assertFalse(notifier.send(READY="1"))


class FakeContext:
    def __init__(self, clock: Clock) -> None:
        self.reactor = clock
        self.events = EventBus()


class NotifyServiceTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.receiver = Receiver(self)
        self.clock = Clock()
        self.ctx = FakeContext(self.clock)
        notifier = Notifier(self.receiver.address)
        self.addCleanup(notifier.close)
        self.service = SystemdNotifyService(self.ctx, notifier, watchdog_seconds=10.0)  # type: ignore[arg-type]

    def test_ready_status_watchdog_and_stopping(self) -> None:
        self.service.startService()
        self.assertEqual(self.receiver.messages(), ["WATCHDOG=1"])
        self.service.ready()
        self.assertEqual(self.receiver.messages(), ["READY=1\nSTATUS=waiting for Klippy"])
        self.ctx.events.emit("klippy_state_changed", "ready")
        self.clock.advance(5)
        self.assertEqual(self.receiver.messages(), ["STATUS=Klippy ready", "WATCHDOG=1"])
        self.service.stopService()
        self.clock.advance(5)
        self.assertEqual(self.receiver.messages(), ["STOPPING=1"])

    def test_no_watchdog_without_watchdog_sec(self) -> None:
        self.service.watchdog_seconds = None
        self.service.startService()
        self.clock.advance(60)
        self.assertEqual(self.receiver.messages(), [])
        self.service.stopService()
