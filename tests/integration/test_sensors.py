"""The sensor component in the real daemon: configured or not, on every transport."""

from __future__ import annotations

import json

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon

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
