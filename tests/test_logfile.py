from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist import logfile


class RollingLogFileTests(SynchronousTestCase):
    def test_rolls_over_past_the_size_limit(self) -> None:
        folder = Path(self.mktemp())
        log = logfile.open_log(folder / "logs" / "moonraker.log")
        self.addCleanup(log.close)
        log.rotateLength = 100
        log.write("x" * 150 + "\n")
        log.write("after rollover\n")
        log.flush()
        self.assertTrue((folder / "logs" / "moonraker.log.1").exists())
        self.assertEqual((folder / "logs" / "moonraker.log").read_text(), "after rollover\n")

    def test_rolls_over_when_the_day_changes(self) -> None:
        folder = Path(self.mktemp())
        log = logfile.open_log(folder / "moonraker.log")
        self.addCleanup(log.close)
        log.write("yesterday\n")
        log._day = (log._day % 365) + 1
        log.write("today\n")
        log.flush()
        self.assertEqual((folder / "moonraker.log.1").read_text(), "yesterday\n")


class QuietRetriesTests(SynchronousTestCase):
    def test_reconnect_attempt_lines_are_dropped_and_others_pass(self) -> None:
        from twisted.logger import PredicateResult

        quiet = logfile.QuietRetries()
        self.assertEqual(quiet({"log_format": "Scheduling retry 3 to connect {endpoint} in {delay} seconds."}),
                         PredicateResult.no)
        self.assertEqual(quiet({"log_format": "Klippy connection lost"}), PredicateResult.maybe)
