"""``[power NAME] type: mqtt`` on the real daemon, through a real Mosquitto, with a
paho-mqtt client playing the device (a Tasmota-like relay on its own topics)."""

from __future__ import annotations

import json
import threading
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, short_temp_dir, start_daemon
from tests.integration.mosquitto import Mosquitto, PahoClient, start_mosquitto
from tests.integration.process import wait_for


class PahoRelay:
    """The device: answers commands and queries on its topics from paho's own thread."""

    def __init__(self, paho: PahoClient, prefix: str, json_state: bool = False) -> None:
        self.paho = paho
        self.prefix = prefix
        self.json_state = json_state
        self.state = "OFF"
        self.silent = False
        self.commands: list[bytes] = []
        self.queries: list[bytes] = []
        self._lock = threading.Lock()
        client = paho.client
        client.message_callback_add(f"{prefix}/set", self._command)
        client.message_callback_add(f"{prefix}/query", self._query)

    async def start(self) -> "PahoRelay":
        await self.paho.subscribe(f"{self.prefix}/set", 1)
        await self.paho.subscribe(f"{self.prefix}/query", 1)
        return self

    def _payload(self) -> str:
        return json.dumps({"POWER": self.state}) if self.json_state else self.state

    def publish_state(self, state: str, retain: bool = True) -> None:
        self.state = state
        self.paho.publish(f"{self.prefix}/state", self._payload(), 1, retain)

    def _command(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.commands.append(message.payload)
            if self.silent:
                return
            self.state = message.payload.decode().upper()
        if not self.json_state:
            # The JSON device tells its state only when asked (query_after_command).
            client.publish(f"{self.prefix}/state", self._payload(), 1, True)

    def _query(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.queries.append(message.payload)
            if self.silent:
                return
        client.publish(f"{self.prefix}/state", self._payload(), 1, False)


def mqtt_section(broker: Mosquitto) -> str:
    return f"\n[mqtt]\naddress: 127.0.0.1\nport: {broker.port}\ninstance_name: printer1\n"


RETAINED = """
[power relay]
type: mqtt
command_topic: plug/relay/set
command_payload: {command|upper}
state_topic: plug/relay/state
state_response_template: {payload|lower}
state_timeout: 2
qos: 1
"""

QUERIED = """
[power lamp]
type: mqtt
command_topic: plug/lamp/set
command_payload: {command}
retain_command_state: True
query_topic: plug/lamp/query
query_payload: {secrets.lamp.key}
query_after_command: True
state_topic: plug/lamp/state
state_response_template:
  {% set state = (payload|fromjson).POWER %}
  {state}
initial_state: on
"""


class MqttPowerTests(TestCase):
    timeout = 60

    broker: Mosquitto

    async def device(self, prefix: str, **options: Any) -> PahoRelay:
        """The broker, then a device on it."""
        self.broker = await start_mosquitto(self, short_temp_dir(self))
        paho = await PahoClient(self.broker.port).start(self)
        return await PahoRelay(paho, prefix, **options).start()

    async def daemon(self, sections: str, **flags: Any) -> RunningDaemon:
        daemon = await start_daemon(self, BASE_CONFIG + mqtt_section(self.broker) + sections, **flags)
        power = daemon.ctx.component("power")
        await wait_for(lambda: all(device.state not in ("init",) and not device.lock.locked
                                   for device in power.devices.values()), timeout=20)
        return daemon

    async def test_a_retained_state_is_read_commands_switch_and_outside_changes_are_announced(self) -> None:
        relay = await self.device("plug/relay")
        relay.publish_state("OFF")
        daemon = await self.daemon(RETAINED)
        self.assertEqual(daemon.ctx.warnings, [])
        client = await connect_websocket(self, daemon.ws_url)
        devices = (await client.call("machine.device_power.devices"))["result"]["devices"]
        self.assertEqual(devices, [{"device": "relay", "status": "off", "locked_while_printing": False,
                                    "type": "mqtt"}])
        changed = client.next_notification("notify_power_changed")
        answer = await client.call("machine.device_power.on", {"relay": None})
        self.assertEqual(answer["result"], {"relay": "on"})
        self.assertEqual(relay.commands, [b"ON"])
        self.assertEqual((await changed)["params"], [{"device": "relay", "status": "on",
                                                      "locked_while_printing": False, "type": "mqtt"}])
        # Switched at the device itself: announced, and the status follows.
        changed = client.next_notification("notify_power_changed")
        relay.publish_state("OFF")
        self.assertEqual((await changed)["params"][0]["status"], "off")
        status = await client.call("machine.device_power.status", {"relay": None})
        self.assertEqual(status["result"], {"relay": "off"})
        # A payload the template does not render as on/off makes the device error.
        changed = client.next_notification("notify_power_changed")
        relay.paho.publish("plug/relay/state", "blinking", 1, True)
        self.assertEqual((await changed)["params"][0]["status"], "error")

    async def test_a_queried_device_with_json_state_secrets_and_an_initial_state(self) -> None:
        lamp = await self.device("plug/lamp", json_state=True)

        def secrets(data_path: Any) -> None:
            (data_path / "moonraker.secrets").write_text("[lamp]\nkey: s3cret\n")

        daemon = await self.daemon(QUERIED, prepare=secrets)
        self.assertEqual(daemon.ctx.warnings, [])
        power = daemon.ctx.component("power")
        # Asked for its state (off), then switched to its initial state, on, and asked again.
        self.assertEqual(power.devices["lamp"].state, "on")
        self.assertEqual(lamp.commands, [b"on"])
        self.assertEqual(lamp.queries, [b"s3cret", b"s3cret"])
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.device_power.post_device", {"device": "lamp", "action": "toggle"})
        self.assertEqual(answer["result"], {"lamp": "off"})
        self.assertEqual(lamp.commands, [b"on", b"off"])
        self.assertEqual(len(lamp.queries), 4)
        # query_after_command: every status request asks the device.
        answer = await client.call("machine.device_power.status", {"lamp": None})
        self.assertEqual((answer["result"], len(lamp.queries)), ({"lamp": "off"}, 5))

    async def test_a_device_that_does_not_answer_is_an_error_after_state_timeout(self) -> None:
        relay = await self.device("plug/relay")
        relay.publish_state("OFF")
        daemon = await self.daemon(RETAINED.replace("state_timeout: 2", "state_timeout: 0.3"))
        relay.silent = True
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.device_power.post_device", {"device": "relay", "action": "on"})
        self.assertEqual(answer["error"], {"code": 500, "message": "MQTT Power Device relay: Failed to set "
                                                                    "device to state 'on'"})
        self.assertEqual(relay.commands, [b"ON"])
        status = await client.call("machine.device_power.get_device", {"device": "relay"})
        self.assertEqual(status["result"], {"relay": "error"})

    async def test_losing_the_broker_makes_the_device_error_and_requests_are_refused(self) -> None:
        relay = await self.device("plug/relay")
        relay.publish_state("ON")
        daemon = await self.daemon(RETAINED)
        device = daemon.ctx.component("power").devices["relay"]
        self.assertEqual(device.state, "on")
        await self.broker.stop()
        await wait_for(lambda: device.state == "error")
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.device_power.off", {"relay": None})
        self.assertEqual(answer["error"], {"code": 503, "message": "MQTT Power Device relay: MQTT Not Connected"})

    async def test_after_the_broker_comes_back_a_queried_device_is_asked_again(self) -> None:
        lamp = await self.device("plug/lamp", json_state=True)
        lamp.state = "ON"
        daemon = await self.daemon(QUERIED.replace("initial_state: on\n", "").replace("{secrets.lamp.key}", "?"))
        device = daemon.ctx.component("power").devices["lamp"]
        self.assertEqual((device.state, len(lamp.queries)), ("on", 1))
        await self.broker.stop()
        await wait_for(lambda: device.state == "error")
        lamp.state = "OFF"
        await self.broker.start()
        # Both reconnect on their own; the device is asked until it answers.
        await wait_for(lambda: device.state == "off", timeout=30)
        self.assertEqual(lamp.commands, [])

    async def test_without_mqtt_the_device_is_left_out_with_a_warning(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + RETAINED)
        self.assertEqual(daemon.ctx.warnings, ["Failed to load power device [power relay]\n[power relay]: type "
                                               "'mqtt' needs the [mqtt] component; add an [mqtt] section"])
        self.assertEqual(daemon.ctx.component("power").devices, {})
