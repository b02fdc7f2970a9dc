"""Sensors with a stand-in for the MQTT service (stand_in.py): measurements from
payloads, the once-a-second store, the three methods."""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.errors import ApiError
from moontwist.services.sensor import SensorService
from tests.services.helpers_context import call, context_for
from tests.services.sensor.stand_in import Message, StandInMqtt

CONFIG = """
[sensor power_meter]
type: mqtt
name: Printer Power
state_topic: home/meter/state
state_response_template:
  {% set data = payload|fromjson %}
  {set_result("power", data.power)}
  {set_result("energy", data.energy|float)}
parameter_power:
  units=W
parameter_energy:
  units=kWh
history_field_energy:
  parameter=energy
  desc=Printer energy usage
  strategy=delta
  units=kWh
  init_tracker=true
  precision=6
"""


class SensorTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.ctx = context_for(self, CONFIG)
        self.mqtt = StandInMqtt()
        self.ctx.components["mqtt"] = self.mqtt  # type: ignore[assignment]
        self.service = SensorService(self.ctx)
        self.service.startService()
        self.addCleanup(self.service.stopService)

    def publish(self, payload: bytes) -> None:
        self.mqtt.handlers["home/meter/state"](Message(payload))

    def test_payload_becomes_measurements_announced_at_the_next_tick(self) -> None:
        self.publish(b'{"power": 120, "energy": "1.5"}')
        self.assertEqual(self.ctx.sent, [])
        self.ctx.reactor.advance(1.0)
        self.assertEqual(self.ctx.sent, [("notify_sensor_update", [{"power_meter": {"power": 120, "energy": 1.5}}])])
        self.ctx.reactor.advance(1.0)
        self.assertEqual(len(self.ctx.sent), 1, "no change, no notification")
        self.publish(b'{"power": 80, "energy": 1.6}')
        self.ctx.reactor.advance(1.0)
        measured = self.successResultOf(call(self.ctx, "server.sensors.measurements", sensor="power_meter"))
        self.assertEqual(measured, {"power_meter": {"power": [120, 120, 80], "energy": [1.5, 1.5, 1.6]}})
        everything = self.successResultOf(call(self.ctx, "server.sensors.measurements"))
        self.assertEqual(everything, measured)

    def test_bad_payload_keeps_the_last_values(self) -> None:
        self.publish(b'{"power": 1, "energy": 2}')
        self.publish(b"not json")
        sensor = self.service.sensors["power_meter"]
        self.assertEqual(sensor.last_measurements, {"power": 1, "energy": 2.0})
        self.assertIn("Error rendering Jinja2 template", sensor.error_state or "")

    def test_list_and_info_plain_and_extended(self) -> None:
        self.publish(b'{"power": 5, "energy": 1}')
        plain = {"id": "power_meter", "friendly_name": "Printer Power", "type": "mqtt",
                 "values": {"power": 5, "energy": 1.0}}
        self.assertEqual(self.successResultOf(call(self.ctx, "server.sensors.list")), {"sensors": {"power_meter": plain}})
        extended = self.successResultOf(call(self.ctx, "server.sensors.info", sensor="power_meter", extended=True))
        self.assertEqual(extended["parameter_info"], [{"units": "W", "name": "power"}, {"units": "kWh", "name": "energy"}])
        # No history component in this context: history fields are tested with one in
        # tests/services/jobs/test_history_fields.py.
        self.assertEqual(extended["history_fields"], [])
        listed = self.successResultOf(call(self.ctx, "server.sensors.list", extended="true"))
        self.assertEqual(listed["sensors"]["power_meter"], extended)

    def test_unknown_sensor_is_a_400(self) -> None:
        for method in ("server.sensors.info", "server.sensors.measurements"):
            error = self.failureResultOf(call(self.ctx, method, sensor="nope"), ApiError).value
            self.assertEqual((error.status, error.message), (400, "No valid sensor named nope"))

    def test_stop_unsubscribes_and_stops_the_ticker(self) -> None:
        self.service.stopService()
        self.assertEqual(self.mqtt.handlers, {})
        self.assertEqual(self.ctx.reactor.getDelayedCalls(), [])


class SensorConfigTests(SynchronousTestCase):
    def test_mqtt_type_without_the_mqtt_component_is_a_clear_warning(self) -> None:
        ctx = context_for(self, CONFIG)
        service = SensorService(ctx)
        self.assertEqual(service.sensors, {})
        self.assertEqual(ctx.warnings, ["Failed to configure sensor [sensor power_meter]\n[sensor power_meter]: "
                                        "type 'mqtt' needs the [mqtt] component; add an [mqtt] section"])

    def test_unknown_type_and_bad_history_field_are_warnings(self) -> None:
        ctx = context_for(self, "[sensor a]\ntype: modbus\n\n[sensor b]\ntype: mqtt\nhistory_field_x:\n  units=W\n")
        ctx.components["mqtt"] = StandInMqtt()  # type: ignore[assignment]
        SensorService(ctx)
        self.assertEqual(ctx.warnings, [
            "Failed to configure sensor [sensor a]\nUnsupported sensor type: modbus",
            "Failed to configure sensor [sensor b]\n[sensor b]: option 'history_field_x', key 'parameter' must bespecified",
        ])
