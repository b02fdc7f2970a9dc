"""Moonraker's GPIO debounce on a Clock."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.button.debounce import MAX_BOUNCES, Debouncer


class DebounceTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(100)
        self.reports: list[tuple[float, float, bool]] = []
        self.disabled: list[str] = []
        self.debouncer = Debouncer(self.clock, 0.0625, lambda *report: self.reports.append(report),
                                   self.disabled.append)

    def test_a_change_is_reported_once_it_has_settled(self) -> None:
        self.clock.advance(2)
        self.debouncer.edge(True)
        self.clock.advance(0.0615)
        self.assertEqual(self.reports, [])
        self.clock.advance(0.001)
        self.assertEqual(self.reports, [(102.0625, 2.0625, True)])

    def test_bounces_within_the_period_give_one_report_of_the_final_level(self) -> None:
        for level in (True, False, True):
            self.debouncer.edge(level)
        self.clock.advance(0.0625)
        self.assertEqual([report[2] for report in self.reports], [True])

    def test_a_blip_that_returns_to_the_old_level_is_not_reported(self) -> None:
        self.debouncer.edge(True)
        self.debouncer.edge(False)
        self.clock.advance(0.0625)
        self.assertEqual(self.reports, [])

    def test_too_many_bounces_disable_the_input(self) -> None:
        self.debouncer.edge(True)
        for index in range(MAX_BOUNCES):
            self.debouncer.edge(index % 2 == 0)
        self.assertEqual(self.disabled, ["Too Many Consecutive Errors, GPIO Event Disabled"])
        self.clock.advance(1)
        self.debouncer.edge(True)
        self.assertEqual(self.reports, [])
