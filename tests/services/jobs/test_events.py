"""Job events from print_stats state changes, case by case."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.jobs.events import JobEvent, derive_events

E = JobEvent


class DeriveEventsTests(SynchronousTestCase):
    def events(self, old: str | None, new: str | None, **more: object) -> list[JobEvent]:
        previous = {"state": old, "filename": "a.gcode", "total_duration": 10.0}
        update = {} if new is None else {"state": new}
        update.update(more)
        return derive_events(previous, update)

    def test_from_idle_states(self) -> None:
        for idle in ("standby", "complete", "cancelled", "error"):
            self.assertEqual(self.events(idle, "printing"), [E.STARTED])
            self.assertEqual(self.events(idle, "paused"), [E.STARTED, E.PAUSED])
        self.assertEqual(self.events("complete", "standby"), [E.STANDBY])
        self.assertEqual(self.events("standby", "complete"), [E.STARTED, E.COMPLETE])
        self.assertEqual(self.events("complete", "cancelled"), [E.STARTED, E.CANCELLED])

    def test_while_printing(self) -> None:
        self.assertEqual(self.events("printing", "paused"), [E.PAUSED])
        self.assertEqual(self.events("printing", "complete"), [E.COMPLETE])
        self.assertEqual(self.events("printing", "cancelled"), [E.CANCELLED])
        self.assertEqual(self.events("printing", "error"), [E.ERROR])
        self.assertEqual(self.events("printing", "standby"), [E.STANDBY])
        self.assertEqual(self.events("paused", "cancelled"), [E.CANCELLED])

    def test_resume_needs_same_file_and_time_moving_on(self) -> None:
        self.assertEqual(self.events("paused", "printing", total_duration=11.0), [E.RESUMED])
        self.assertEqual(self.events("paused", "printing", total_duration=10.0), [E.STARTED])
        self.assertEqual(self.events("paused", "printing", total_duration=11.0, filename="b.gcode"), [E.STARTED])

    def test_no_state_change_no_event(self) -> None:
        self.assertEqual(self.events("printing", "printing"), [])
        self.assertEqual(self.events("printing", None, total_duration=12.0), [])

    def test_event_classes(self) -> None:
        self.assertEqual([e for e in E if e.finished], [E.COMPLETE, E.ERROR, E.CANCELLED])
        self.assertEqual([e for e in E if e.aborted], [E.ERROR, E.CANCELLED])
        self.assertEqual([e for e in E if e.printing], [E.STARTED, E.RESUMED])
