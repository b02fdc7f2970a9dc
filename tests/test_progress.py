import io

from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from moontwist.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ProgressTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.lines: list[str] = []
        observer = lambda event: self.lines.append(formatEvent(event))  # noqa: E731
        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        self.clock = Clock()

    def test_log_at_start_every_ten_seconds_and_at_the_end(self) -> None:
        progress = Progress("Metadata", 4, self.clock, io.StringIO())
        for seconds in (3, 8, 3, 1):
            self.clock.advance(seconds)
            self.assertEqual(progress.step("result"), "result")
        self.assertEqual([line for line in self.lines if line.startswith("Metadata")],
                         ["Metadata: 4 to do", "Metadata: 2 of 4", "Metadata: 4 done in 15.0 s"])

    def test_bar_only_on_a_terminal(self) -> None:
        terminal, pipe = Terminal(), io.StringIO()
        for stream in (terminal, pipe):
            progress = Progress("Import", 2, self.clock, stream)
            progress.step()
            progress.step()
        self.assertEqual(pipe.getvalue(), "")
        self.assertTrue(terminal.getvalue().endswith("] 100% (2/2)\n"), terminal.getvalue())
        self.assertIn("Import [" + "#" * 15 + "." * 15 + "]  50% (1/2)", terminal.getvalue())
