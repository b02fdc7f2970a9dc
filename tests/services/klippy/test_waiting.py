from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.klippy.waiting import WaitingNotice


class WaitingNoticeTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.lines: list[str] = []
        self.notice = WaitingNotice(self.clock, "/pd/comms/klippy.sock", self.lines.append)

    def fail_for(self, seconds: float, every: float = 2.0) -> None:
        for _ in range(int(seconds / every)):
            self.notice.attempt_failed()
            self.clock.advance(every)

    def test_first_failure_is_said_then_once_a_minute(self) -> None:
        self.fail_for(182)  # attempts at 0, 2, ..., 180 s
        self.assertEqual(self.lines, [
            "Waiting for Klippy at /pd/comms/klippy.sock",
            "Waiting for Klippy at /pd/comms/klippy.sock (for 1 min)",
            "Waiting for Klippy at /pd/comms/klippy.sock (for 2 min)",
            "Waiting for Klippy at /pd/comms/klippy.sock (for 3 min)",
        ])

    def test_a_connection_starts_the_count_again(self) -> None:
        self.fail_for(10)
        self.notice.connected()
        self.fail_for(4)
        self.assertEqual(self.lines, ["Waiting for Klippy at /pd/comms/klippy.sock"] * 2)
