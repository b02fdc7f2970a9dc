"""FilamentUsage: what Klippy's ``print_stats.filament_used`` charges to which spool."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.spoolman.usage import FilamentUsage


class FilamentUsageTests(SynchronousTestCase):
    def test_nothing_is_measured_before_klippy_is_ready(self) -> None:
        usage = FilamentUsage()
        usage.observe(12.0, 1)
        self.assertEqual(usage.pending, {})

    def test_increases_are_charged_to_the_active_spool(self) -> None:
        usage = FilamentUsage()
        usage.start(100.0)
        usage.observe(110.0, 1)
        usage.observe(112.5, 1)
        usage.observe(120.0, 2)
        self.assertEqual(usage.pending, {1: 12.5, 2: 7.5})

    def test_a_new_print_starts_counting_from_zero(self) -> None:
        usage = FilamentUsage()
        usage.start(500.0)
        usage.observe(3.0, 1)
        usage.observe(4.0, 1)
        self.assertEqual(usage.pending, {1: 4.0})

    def test_use_without_an_active_spool_is_not_kept(self) -> None:
        usage = FilamentUsage()
        usage.start(0.0)
        usage.observe(10.0, None)
        usage.observe(15.0, 3)
        self.assertEqual(usage.pending, {3: 5.0})

    def test_after_klippy_leaves_nothing_counts_until_it_is_ready_again(self) -> None:
        usage = FilamentUsage()
        usage.start(0.0)
        usage.stop()
        usage.observe(10.0, 1)
        usage.start(10.0)
        usage.observe(11.0, 1)
        self.assertEqual(usage.pending, {1: 1.0})

    def test_take_hands_over_everything_and_add_puts_it_back(self) -> None:
        usage = FilamentUsage({1: 2.0})
        self.assertEqual(usage.take(), {1: 2.0})
        self.assertEqual(usage.pending, {})
        usage.add(1, 2.0)
        usage.add(1, 1.0)
        self.assertEqual(usage.pending, {1: 3.0})

    def test_the_database_record_round_trips_and_ignores_nonsense(self) -> None:
        usage = FilamentUsage({4: 1.5, 12: 3.0})
        self.assertEqual(FilamentUsage.from_record(usage.as_record()).pending, {4: 1.5, 12: 3.0})
        record = {"4": 1.5, "x": 2.0, "5": "3", "6": -1.0, "7": True}
        self.assertEqual(FilamentUsage.from_record(record).pending, {4: 1.5})
        self.assertEqual(FilamentUsage.from_record(None).pending, {})

    def test_non_numeric_values_from_klippy_are_ignored(self) -> None:
        usage = FilamentUsage()
        usage.start(None)
        usage.observe("12", 1)
        usage.observe(2.0, 1)
        self.assertEqual(usage.pending, {1: 2.0})
