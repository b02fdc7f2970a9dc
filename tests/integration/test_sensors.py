"""The sensor component in the real daemon: configured or not, on every transport."""

from __future__ import annotations

import json

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, short_temp_dir, start_daemon
from tests.integration.mosquitto import PahoClient, start_mosquitto
from tests.integration.process import wait_for

SENSOR = """
[sensor meter]
type: mqtt
state_topic: home/meter
state_response_template: {set_result("power", payload|float)}
"""


class SensorDaemonTests(TestCase):
    async def test_mqtt_sensor_without_mqtt_is_a_server_info_warning(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + SENSOR)
        response = await http_client(self).get(daemon.http_url + "/server/info")
        info = json.loads(await response.text())["result"]
        self.assertIn("sensor", info["components"])
        self.assertEqual(info["warnings"], ["Failed to configure sensor [sensor meter]<br/>[sensor meter]: "
                                            "type 'mqtt' needs the [mqtt] component; add an [mqtt] section"])
        client = await connect_unix(self, daemon.unix_path)
        self.assertEqual((await client.call("server.sensors.list"))["result"], {"sensors": {}})
        missing = await client.call("server.sensors.info", {"sensor": "meter"})
        self.assertEqual(missing["error"], {"code": 400, "message": "No valid sensor named meter"})

    async def test_without_a_sensor_section_there_is_no_sensor_component(self) -> None:
        daemon = await start_daemon(self)
        self.assertNotIn("sensor", daemon.ctx.components)
        response = await http_client(self).get(daemon.http_url + "/server/sensors/list")
        self.assertEqual(response.code, 404)


METER = """
[mqtt]
address: 127.0.0.1
port: {port}
instance_name: printer1

[sensor meter]
type: mqtt
name: Printer Power
state_topic: home/meter/state
state_response_template:
  {{% set data = payload|fromjson %}}
  {{set_result("power", data.power)}}
  {{set_result("energy", data.energy|float)}}
qos: 1
parameter_power:
  units=W
"""


class MqttSensorTests(TestCase):
    timeout = 60

    async def test_payloads_published_by_a_device_become_measurements_and_notifications(self) -> None:
        broker = await start_mosquitto(self, short_temp_dir(self))
        device = await PahoClient(broker.port).start(self)
        # Retained, as meters publish: the sensor gets it whenever it subscribes.
        device.publish("home/meter/state", '{"power": 120, "energy": "1.5"}', 1, retain=True)
        daemon = await start_daemon(self, BASE_CONFIG + METER.format(port=broker.port))
        self.assertEqual(daemon.ctx.warnings, [])
        sensor = daemon.ctx.component("sensor").sensors["meter"]
        await wait_for(lambda: sensor.last_value == {"power": 120, "energy": 1.5})
        client = await connect_websocket(self, daemon.ws_url)
        update = client.next_notification("notify_sensor_update")
        device.publish("home/meter/state", '{"power": 80, "energy": 1.75}', 1)
        self.assertEqual((await update)["params"], [{"meter": {"power": 80, "energy": 1.75}}])
        measured = (await client.call("server.sensors.measurements", {"sensor": "meter"}))["result"]
        self.assertEqual(measured["meter"]["power"][-1], 80)
        self.assertIn(120, measured["meter"]["power"])
        self.assertEqual(measured["meter"]["energy"][-1], 1.75)
        info = (await client.call("server.sensors.info", {"sensor": "meter", "extended": True}))["result"]
        self.assertEqual((info["friendly_name"], info["values"], info["parameter_info"]),
                         ("Printer Power", {"power": 80, "energy": 1.75}, [{"units": "W", "name": "power"}]))
