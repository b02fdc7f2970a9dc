"""Auxiliary history fields: each strategy, per-job values, paused time, totals; and a
sensor's history_field_* options feeding them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request
from moontwist.config import load_config
from moontwist.errors import ApiError
from moontwist.services.jobs.history_fields import HistoryField, Tracker
from moontwist.services.sensor import SensorService
from tests.services.jobs.test_history import HistoryTestCase
from tests.services.sensor.stand_in import Message, StandInMqtt


class TrackerTests(SynchronousTestCase):
    def follow(self, strategy: str, values: list[Any], initial: Any = None) -> Any:
        tracker = Tracker(strategy, lambda: True, initial)
        tracker.reset()
        for value in values:
            tracker.update(value)
        return tracker.value

    def test_each_strategy(self) -> None:
        values = [5, 3, 8, 4]
        self.assertEqual(self.follow("basic", values), 4)
        self.assertEqual(self.follow("delta", values), -1)
        self.assertEqual(self.follow("accumulate", values), 20)
        self.assertEqual(self.follow("average", values), 5)
        self.assertEqual(self.follow("maximum", values), 8)
        self.assertEqual(self.follow("minimum", values), 3)
        self.assertEqual(self.follow("collect", ["a", "b", "a"]), ["a", "b"])

    def test_initial_values_start_the_tracker(self) -> None:
        self.assertEqual(self.follow("delta", [12, 15], initial=lambda: 10), 5)
        self.assertEqual(self.follow("maximum", [3], initial=lambda: 7), 7)
        self.assertEqual(self.follow("accumulate", [1], initial=lambda: "bad"), 1)

    def test_nothing_is_tracked_while_disabled(self) -> None:
        enabled = [False]
        tracker = Tracker("accumulate", lambda: enabled[0], None)
        tracker.reset()
        tracker.update(5)
        enabled[0] = True
        tracker.update(2)
        self.assertEqual(tracker.value, 2)


SENSOR_CONFIG = """
[server]

[sensor meter]
type: mqtt
state_topic: meter
state_response_template: {set_result("energy", payload|float)}
history_field_energy:
  parameter=energy
  desc=Printer energy
  strategy=delta
  units=kWh
  report_total=true
  report_maximum=true
  precision=3
  exclude_paused=true
  init_tracker=true
"""


class HistoryFieldTests(HistoryTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start_history()
        self.connect()

    def field(self, strategy: str = "accumulate", **options: Any) -> HistoryField:
        tracker = self.history.tracker(strategy, options.pop("exclude_paused", False))
        field = HistoryField("energy", "sensor meter", "Energy", strategy, tracker, units="kWh", **options)
        self.history.register_auxiliary_field(field)
        return field

    def test_job_records_the_fields_value_and_totals_add_up(self) -> None:
        field = self.field(report_total=True, report_maximum=True, precision=2)
        field.tracker.update(100)
        self.push_stats(state="printing", filename="a.gcode", total_duration=0.0)
        field.tracker.update(1.111)
        field.tracker.update(2.0)
        self.push_stats(state="complete", total_duration=10.0)
        [job] = self.call("server.history.list")["jobs"]
        self.assertEqual(job["auxiliary_data"], [{"provider": "sensor meter", "name": "energy", "value": 3.11,
                                                  "description": "Energy", "units": "kWh"}])
        self.push_stats(state="printing", filename="a.gcode", total_duration=0.0)
        field.tracker.update(5)
        self.push_stats(state="complete", total_duration=10.0)
        totals = self.call("server.history.totals")["auxiliary_totals"]
        self.assertEqual(totals, [{"provider": "sensor meter", "field": "energy", "maximum": 5, "total": 8.11}])
        self.assertEqual(self.history.records.auxiliary_totals(), totals)
        reset = self.call("server.history.reset_totals")
        self.assertEqual(reset["last_auxiliary_totals"], totals)
        self.assertEqual(self.call("server.history.totals")["auxiliary_totals"],
                         [{"provider": "sensor meter", "field": "energy", "maximum": 0, "total": 0}])

    def test_paused_time_is_excluded_when_asked(self) -> None:
        field = self.field(exclude_paused=True)
        self.push_stats(state="printing", filename="a.gcode", total_duration=0.0)
        field.tracker.update(1)
        self.push_stats(state="paused", total_duration=1.0)
        field.tracker.update(50)
        self.push_stats(state="printing", total_duration=2.0)
        field.tracker.update(2)
        self.assertEqual(field.tracker.value, 3)

    def test_reserved_and_duplicate_fields_are_refused(self) -> None:
        self.field()
        with self.assertRaises(ApiError) as duplicate:
            self.field()
        self.assertEqual(duplicate.exception.message, "Field energy already registered by provider sensor meter.")
        tracker = self.history.tracker("basic", False)
        with self.assertRaises(ApiError):
            self.history.register_auxiliary_field(HistoryField("x", "history", "x", "basic", tracker))

    def test_sensor_history_fields_follow_its_measurements(self) -> None:
        config_file = Path(self.mktemp())
        config_file.write_text(SENSOR_CONFIG)
        self.ctx.config = load_config(config_file, config_file.parent)
        mqtt = StandInMqtt()
        self.ctx.components["mqtt"] = mqtt  # type: ignore[assignment]
        sensors = SensorService(self.ctx)
        sensors.startService()
        self.addCleanup(sensors.stopService)
        publish = mqtt.handlers["meter"]
        publish(Message(b"10.0"))
        self.push_stats(state="printing", filename="a.gcode", total_duration=0.0)
        publish(Message(b"10.5"))
        publish(Message(b"11.25"))
        self.push_stats(state="complete", total_duration=10.0)
        [job] = self.call("server.history.list")["jobs"]
        self.assertEqual(job["auxiliary_data"][0]["value"], 1.25)
        info = self.successResultOf(self.ctx.registry.dispatch(
            Request("server.sensors.info", {"sensor": "meter", "extended": True})))
        self.assertEqual(info["history_fields"], [{
            "field": "energy", "provider": "sensor meter", "description": "Printer energy", "strategy": "delta",
            "units": "kWh", "init_tracker": True, "exclude_paused": True, "report_total": True,
            "report_maximum": True, "precision": 3, "parameter": "energy"}])
