"""job_state: print_stats pushed by a scripted Klippy through the real Klippy service become job events."""

from __future__ import annotations

from typing import Any

from moontwist.services.jobs import JobEvent, JobStateService
from moontwist.services.jobs.events import JOB_EVENT, LAYER_EVENT
from tests.services.jobs.helpers import JobsTestCase


class JobStateTests(JobsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.events: list[tuple[JobEvent, dict[str, Any], dict[str, Any]]] = []
        self.layers: list[tuple[Any, Any]] = []
        self.ctx.events.on(JOB_EVENT, lambda *args: self.events.append(args))
        self.ctx.events.on(LAYER_EVENT, lambda *args: self.layers.append(args))
        self.job_state.startService()

    def names(self) -> list[str]:
        return [event.label for event, _, _ in self.events]

    def test_subscribes_print_stats_with_all_fields(self) -> None:
        self.connect()
        self.assertIsNone(self.klippy.subscription["print_stats"])

    def test_state_at_ready_is_the_start_not_an_event(self) -> None:
        self.klippy.objects["print_stats"] = {"state": "printing", "filename": "a.gcode", "total_duration": 5.0}
        self.connect()
        self.assertEqual(self.events, [])
        self.assertEqual(self.job_state.state, "printing")
        self.assertTrue(self.job_state.is_printing())

    def test_a_whole_print(self) -> None:
        self.connect()
        self.push_stats(state="printing", filename="a.gcode", total_duration=0.1)
        self.push_stats(total_duration=5.0, print_duration=4.0, filament_used=10.0)
        self.push_stats(state="paused", total_duration=6.0)
        self.push_stats(state="printing", total_duration=8.0)
        self.push_stats(state="complete", total_duration=20.0, print_duration=15.0, filament_used=99.5)
        self.assertEqual(self.names(), ["started", "paused", "resumed", "complete"])
        event, previous, new = self.events[-1]
        self.assertEqual(previous["state"], "printing")
        self.assertEqual(new, {"state": "complete", "filename": "a.gcode", "total_duration": 20.0,
                               "print_duration": 15.0, "filament_used": 99.5})
        self.assertFalse(self.job_state.is_printing())

    def test_next_job_in_one_tick(self) -> None:
        self.connect()
        self.push_stats(state="printing", filename="a.gcode", total_duration=1.0)
        self.push_stats(state="complete", total_duration=2.0)
        self.push_stats(state="printing", filename="b.gcode", total_duration=0.0)
        self.assertEqual(self.names(), ["started", "complete", "started"])

    def test_layer_changes(self) -> None:
        self.connect()
        self.push_stats(state="printing", filename="a.gcode", info={"total_layer": 10, "current_layer": 0})
        self.push_stats(info={"total_layer": 10, "current_layer": 3})
        self.assertEqual(self.layers, [(0, 10), (3, 10)])

    def test_disconnect_mid_print_turns_state_to_error_without_an_event(self) -> None:
        self.connect()
        self.push_stats(state="printing", filename="a.gcode")
        self.klippy.lose()
        self.assertEqual(self.names(), ["started"])
        self.assertEqual(self.job_state.state, "error")
        self.assertFalse(self.job_state.is_printing())

    def test_stopped_service_ignores_updates(self) -> None:
        self.connect()
        self.job_state.stopService()
        self.push_stats(state="printing", filename="a.gcode")
        self.assertEqual(self.events, [])

    def test_started_after_klippy_was_ready(self) -> None:
        self.klippy.objects["print_stats"] = {"state": "printing", "filename": "a.gcode"}
        self.connect()
        late = JobStateService(self.ctx)
        late.startService()
        self.klippy.pump()
        self.assertTrue(late.is_printing())
