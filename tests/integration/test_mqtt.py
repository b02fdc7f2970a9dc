"""The daemon's MQTT component against a real Mosquitto, checked by paho-mqtt as an independent client."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from moontwist.app import StartupError, build
from moontwist.context import Options
from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, short_temp_dir, start_daemon
from tests.integration.mosquitto import Mosquitto, PahoClient, start_mosquitto, write_tls_files

WAIT = 10.0


def mqtt_config(broker: Mosquitto, protocol: str = "v3.1.1", extra: str = "", name: str = "printer1") -> str:
    return BASE_CONFIG.replace("[server]", f"""[mqtt]
address: localhost
port: {broker.port}
mqtt_protocol: {protocol}
instance_name: {name}
{extra}
[server]""")


async def until(condition: Any, timeout: float = WAIT) -> None:
    """Wait for ``condition()`` to hold (the broker and the daemon run on their own)."""
    waited = 0.0
    while not condition():
        if waited > timeout:
            raise AssertionError("condition never held")
        await deferLater(reactor, 0.02, lambda: None)
        waited += 0.02


class MQTTTestCase(TestCase):
    timeout = 60

    async def broker(self, **options: Any) -> Mosquitto:
        return await start_mosquitto(self, short_temp_dir(self), **options)

    async def daemon(self, config: str | None, **flags: Any) -> RunningDaemon:
        daemon = await start_daemon(self, config, **flags)
        return daemon

    async def connected_daemon(self, config: str | None, **flags: Any) -> RunningDaemon:
        daemon = await self.daemon(config, **flags)
        mqtt = daemon.ctx.component("mqtt")
        await until(lambda: mqtt.connected)
        return daemon

    async def http_post(self, daemon: RunningDaemon, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = await http_client(self).post(daemon.http_url + path, json=body)
        return response.code, json.loads(await response.content())

    async def api_call(self, paho: PahoClient, name: str, method: str, params: dict[str, Any] | None = None,
                       request_id: int = 1, qos: int = 0) -> dict[str, Any]:
        request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": request_id}
        if params is not None:
            request["params"] = params
        answer = paho.next_message(f"{name}/moonraker/api/response")
        paho.publish(f"{name}/moonraker/api/request", json.dumps(request), qos)
        message = await answer
        reply: dict[str, Any] = json.loads(message.payload)
        return reply


class BrokerTests(MQTTTestCase):
    async def check_api_and_birth(self, protocol: str, version: int) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker, protocol))
        paho = await PahoClient(broker.port, version).start(self)
        await paho.subscribe("printer1/moonraker/#", 1)
        birth = json.loads((await paho.next_message("printer1/moonraker/status")).payload)
        instance_id = daemon.ctx.component("mqtt").instance_id
        self.assertEqual(birth, {"server": "online", "instance_id": instance_id})
        reply = await self.api_call(paho, "printer1", "server.info", request_id=7, qos=1)
        self.assertEqual(reply["id"], 7)
        self.assertIn("klippy_state", reply["result"])
        missing = await self.api_call(paho, "printer1", "no.such.method", request_id=8)
        self.assertEqual(missing["error"]["code"], -32601)

    async def test_v311_api_and_retained_birth(self) -> None:
        await self.check_api_and_birth("v3.1.1", 4)

    async def test_v5_api_and_retained_birth(self) -> None:
        await self.check_api_and_birth("v5", 5)

    async def test_v31_connects(self) -> None:
        broker = await self.broker()
        await self.connected_daemon(mqtt_config(broker, "v3.1"))

    async def test_duplicate_timestamp_is_refused(self) -> None:
        broker = await self.broker()
        await self.connected_daemon(mqtt_config(broker))
        paho = await PahoClient(broker.port).start(self)
        await paho.subscribe("printer1/moonraker/api/response", 1)
        first = await self.api_call(paho, "printer1", "server.info", {"mqtt_timestamp": 1234567}, 1)
        self.assertIn("result", first)
        second = await self.api_call(paho, "printer1", "server.info", {"mqtt_timestamp": 1234567}, 2)
        self.assertEqual(second["error"], {"code": -10000, "message": "Duplicate MQTT Request"})

    async def test_api_at_qos_2_both_ways(self) -> None:
        broker = await self.broker()
        await self.connected_daemon(mqtt_config(broker, "v3.1.1", "api_qos: 2\n"))
        paho = await PahoClient(broker.port).start(self)
        await paho.subscribe("printer1/moonraker/api/response", 2)
        for request_id in range(1, 4):
            answer = paho.next_message("printer1/moonraker/api/response")
            request = {"jsonrpc": "2.0", "method": "server.info", "id": request_id}
            paho.publish("printer1/moonraker/api/request", json.dumps(request), 2)
            message = await answer
            self.assertEqual((json.loads(message.payload)["id"], message.qos), (request_id, 2))

    async def test_publish_endpoint_at_every_qos(self) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker, "v5"))
        paho = await PahoClient(broker.port, 5).start(self)
        await paho.subscribe("test/#", 2)
        for qos in (0, 1, 2):
            code, body = await self.http_post(daemon, "/server/mqtt/publish",
                                              {"topic": f"test/q{qos}", "payload": {"n": qos}, "qos": qos})
            self.assertEqual((code, body), (200, {"result": {"topic": f"test/q{qos}"}}))
            message = await paho.next_message(f"test/q{qos}")
            self.assertEqual((json.loads(message.payload), message.qos), ({"n": qos}, qos))
        code, body = await self.http_post(daemon, "/server/mqtt/publish", {"topic": "test/x", "qos": 3})
        self.assertEqual((code, body["error"]["message"]), (400, "QOS must be between 0 and 2"))
        code, body = await self.http_post(daemon, "/server/mqtt/publish", {"topic": "test/#"})
        self.assertEqual((code, body["error"]["message"]), (400, "Wildcards may not be used"))
        self.assertTrue(daemon.ctx.component("mqtt").connected)

    async def test_subscribe_endpoint_gets_retained_payload_and_times_out(self) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker))
        paho = await PahoClient(broker.port).start(self)
        paho.client.publish("home/light", '{"on": true}', 1, retain=True).wait_for_publish(5)
        for qos in (0, 1, 2):
            code, body = await self.http_post(daemon, "/server/mqtt/subscribe", {"topic": "home/light", "qos": qos})
            self.assertEqual((code, body["result"]), (200, {"topic": "home/light", "payload": {"on": True}}))
        code, body = await self.http_post(daemon, "/server/mqtt/subscribe", {"topic": "home/none", "timeout": 0.2})
        self.assertEqual((code, body["error"]["message"]), (504, "MQTT Subscribe Timed Out"))
        code, body = await self.http_post(daemon, "/server/mqtt/subscribe", {"topic": "home/#"})
        self.assertEqual((code, body["error"]["message"]), (400, "Wildcards may not be used"))

    async def test_will_on_lost_connection_and_offline_on_stop(self) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker))
        mqtt = daemon.ctx.component("mqtt")
        paho = await PahoClient(broker.port).start(self)
        await paho.subscribe("printer1/moonraker/status", 1)
        self.assertEqual(json.loads((await paho.next_message("printer1/moonraker/status")).payload)["server"],
                         "online")
        mqtt.protocol.transport.abortConnection()
        will = json.loads((await paho.next_message("printer1/moonraker/status")).payload)
        self.assertEqual(will, {"server": "offline", "instance_id": mqtt.instance_id})
        back = json.loads((await paho.next_message("printer1/moonraker/status")).payload)
        self.assertEqual(back["server"], "online")
        await daemon.service.stopService()
        stopped = await paho.next_message("printer1/moonraker/status")
        self.assertEqual((json.loads(stopped.payload)["server"], stopped.retain), ("offline", False))
        late = await PahoClient(broker.port).start(self)
        await late.subscribe("printer1/moonraker/status")
        retained = await late.next_message("printer1/moonraker/status")
        self.assertEqual((json.loads(retained.payload)["server"], retained.retain), ("offline", True))

    async def test_bad_credentials_give_a_clear_error_and_retries(self) -> None:
        broker = await self.broker(users={"printer": "secret"})
        daemon = await self.daemon(mqtt_config(broker, extra="username: printer\npassword: wrong\n"))
        mqtt = daemon.ctx.component("mqtt")
        await until(lambda: mqtt.last_error is not None)
        self.assertIn("not authorized (0x05)", mqtt.last_error)
        self.assertFalse(mqtt.connected)
        # Each refusal lengthens the wait before the next attempt.
        self.assertGreaterEqual(mqtt.retry_delay(1), 2.0)
        await until(lambda: mqtt.refusals >= 2)
        self.assertGreaterEqual(mqtt.retry_delay(1), 4.0)
        self.assertFalse(mqtt.connected)

    async def test_good_credentials_connect(self) -> None:
        broker = await self.broker(users={"printer": "secret"})
        folder = short_temp_dir(self)
        (folder / "pw").write_text("secret\n")
        await self.connected_daemon(mqtt_config(broker, "v5", f"username: printer\npassword_file: {folder}/pw\n"))


class ConfigTests(TestCase):
    def test_bad_mqtt_option_stops_start_up_with_its_reason(self) -> None:
        folder = short_temp_dir(self)
        (folder / "config").mkdir()
        config = BASE_CONFIG.replace("[server]", "[mqtt]\naddress: localhost\nmqtt_protocol: v4\n\n[server]")
        (folder / "config" / "moonraker.conf").write_text(config)
        options = Options(folder, folder / "config" / "moonraker.conf", None, folder / "comms" / "m.sock")
        error = self.assertRaises(StartupError, build, options, reactor)
        self.assertIn("Invalid value 'v4' for option 'mqtt_protocol'", str(error))

    def test_unreadable_tls_file_stops_start_up(self) -> None:
        folder = short_temp_dir(self)
        (folder / "config").mkdir()
        config = BASE_CONFIG.replace(
            "[server]", f"[mqtt]\naddress: localhost\nenable_tls: True\ntls_ca_file: {folder}/none.pem\n\n[server]")
        (folder / "config" / "moonraker.conf").write_text(config)
        options = Options(folder, folder / "config" / "moonraker.conf", None, folder / "comms" / "m.sock")
        error = self.assertRaises(StartupError, build, options, reactor)
        self.assertIn(f"cannot read '{folder}/none.pem'", str(error))

    def test_without_mqtt_section_nothing_of_mqtt_is_loaded(self) -> None:
        folder = short_temp_dir(self)
        (folder / "config").mkdir()
        (folder / "config" / "moonraker.conf").write_text(BASE_CONFIG)
        options = Options(folder, folder / "config" / "moonraker.conf", None, folder / "comms" / "m.sock")
        service = build(options, reactor)
        self.assertNotIn("mqtt", service.ctx.components)  # type: ignore[attr-defined]
        self.assertIsNone(service.ctx.registry.by_method("server.mqtt.publish"))  # type: ignore[attr-defined]


class InstanceTests(MQTTTestCase):
    async def test_instance_id_survives_a_restart_and_api_can_be_off(self) -> None:
        broker = await self.broker()
        config = mqtt_config(broker, extra="enable_moonraker_api: False\n")
        first = await self.connected_daemon(config)
        instance_id = first.ctx.component("mqtt").instance_id
        self.assertEqual(first.ctx.component("database").namespace("moonraker").get("instance_id"), instance_id)
        self.assertNotIn("printer1/moonraker/api/request", first.ctx.component("mqtt").session.subscriptions)
        await first.service.stopService()
        second = await self.connected_daemon(None, data_path=first.data_path)
        self.assertEqual(second.ctx.component("mqtt").instance_id, instance_id)


class StatusTests(MQTTTestCase):
    async def test_status_objects_notifications_and_klippy_state(self) -> None:
        broker = await self.broker()
        config = mqtt_config(broker, extra="status_objects:\n    webhooks\n    toolhead=position,print_time\n")
        paho = await PahoClient(broker.port).start(self)
        await paho.subscribe("printer1/#", 1)
        daemon = await self.connected_daemon(config, simulate=True)
        ready = await _next_where(paho, "printer1/moonraker/klippy_state", lambda body: body["state"] == "ready")
        self.assertEqual(ready["instance_id"], daemon.ctx.component("mqtt").instance_id)
        status = await _next_where(paho, "printer1/klipper/status", lambda body: "webhooks" in body["status"])
        self.assertEqual(set(status["status"]), {"webhooks", "toolhead"})
        self.assertEqual(set(status["status"]["toolhead"]), {"position", "print_time"})
        notification = await paho.next_message("printer1/moonraker/notify/notify_proc_stat_update")
        self.assertEqual(json.loads(notification.payload)["method"], "notify_proc_stat_update")

    async def test_split_status_is_retained_per_field(self) -> None:
        broker = await self.broker()
        config = mqtt_config(broker, extra="status_objects:\n    webhooks=state\npublish_split_status: True\n")
        await self.connected_daemon(config, simulate=True)
        paho = await PahoClient(broker.port).start(self)
        await paho.subscribe("printer1/klipper/state/#")
        await _next_where(paho, "printer1/klipper/state/webhooks/state", lambda body: body["value"] == "ready")
        late = await PahoClient(broker.port).start(self)
        await late.subscribe("printer1/klipper/state/#")
        message = await late.next_message("printer1/klipper/state/webhooks/state")
        self.assertTrue(message.retain)
        self.assertEqual(json.loads(message.payload)["value"], "ready")


async def _next_where(paho: PahoClient, topic: str, wanted: Any) -> dict[str, Any]:
    while True:
        body: dict[str, Any] = json.loads((await paho.next_message(topic)).payload)
        if wanted(body):
            return body


class ResilienceTests(MQTTTestCase):
    async def test_broker_restart_loses_no_qos1_message(self) -> None:
        broker = await self.broker(persistence=True)
        daemon = await self.connected_daemon(mqtt_config(broker, "v5"))
        mqtt = daemon.ctx.component("mqtt")
        paho = await PahoClient(broker.port, 5, client_id="fleet", clean=False).start(self)
        await paho.subscribe("farm/#", 1)
        await broker.stop()
        await until(lambda: not mqtt.connected)
        code, body = await self.http_post(daemon, "/server/mqtt/publish", {"topic": "farm/zero", "qos": 0})
        self.assertEqual((code, body["error"]["message"]),
                         (503, "MQTT Publish Error: The client is not currently connected."))
        code, body = await self.http_post(daemon, "/server/mqtt/publish",
                                          {"topic": "farm/early", "payload": "first", "qos": 1, "timeout": 0.1})
        self.assertEqual((code, body["error"]["message"]), (504, "MQTT Publish Timed Out"))
        published: Deferred[Any] = Deferred.fromCoroutine(
            self.http_post(daemon, "/server/mqtt/publish", {"topic": "farm/job", "payload": "done", "qos": 1}))
        await broker.start()
        self.assertEqual(await published, (200, {"result": {"topic": "farm/job"}}))
        # The message that timed out still went out, before the later one.
        early, message = await paho.next_message("farm/early"), await paho.next_message("farm/job")
        self.assertEqual((early.payload, message.payload, message.qos), (b"first", b"done", 1))

    async def test_hung_broker_is_dropped_by_keepalive(self) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker, extra="keepalive: 1\n"))
        mqtt = daemon.ctx.component("mqtt")
        broker.freeze(True)
        self.addCleanup(broker.freeze, False)
        await until(lambda: not mqtt.connected)
        broker.freeze(False)
        await until(lambda: mqtt.connected)

    async def test_broker_without_persistence_gets_subscriptions_again(self) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker))
        mqtt = daemon.ctx.component("mqtt")
        await broker.stop()
        await until(lambda: not mqtt.connected)
        await broker.start()
        await until(lambda: mqtt.connected)
        paho = await PahoClient(broker.port).start(self)
        await paho.subscribe("printer1/moonraker/api/response", 1)
        reply = await self.api_call(paho, "printer1", "server.info", request_id=3)
        self.assertEqual(reply["id"], 3)

    async def test_tls_with_generated_ca_and_client_certificate(self) -> None:
        tls = write_tls_files(short_temp_dir(self) / "tls")
        broker = await self.broker(tls=tls, require_certificate=True)
        extra = (f"enable_tls: True\ntls_ca_file: {tls.ca}\ntls_client_cert: {tls.client_cert}\n"
                 f"tls_client_key: {tls.client_key}\n")
        daemon = await self.connected_daemon(mqtt_config(broker, "v5", extra))
        code, _ = await self.http_post(daemon, "/server/mqtt/publish", {"topic": "t", "qos": 1})
        self.assertEqual(code, 200)

    async def test_tls_refuses_a_broker_of_another_name(self) -> None:
        tls = write_tls_files(short_temp_dir(self) / "tls", server_name="elsewhere")
        broker = await self.broker(tls=tls)
        daemon = await self.daemon(mqtt_config(broker, extra=f"enable_tls: True\ntls_ca_file: {tls.ca}\n"))
        mqtt = daemon.ctx.component("mqtt")
        await until(lambda: mqtt.last_error is not None)
        self.assertIn("DNSMismatch", mqtt.last_error)
        self.assertFalse(mqtt.connected)


class BeyondMoonrakerTests(MQTTTestCase):
    async def test_home_assistant_discovery_state_and_buttons(self) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker, "v5", "enable_ha_discovery: True\n"), simulate=True)
        instance_id = daemon.ctx.component("mqtt").instance_id
        paho = await PahoClient(broker.port, 5).start(self)
        await paho.subscribe("homeassistant/#")
        await paho.subscribe("printer1/moontwist/ha_state")
        await paho.subscribe("printer1/moonraker/api/response")
        config = json.loads((await paho.next_message("homeassistant/sensor/printer1/extruder_temperature/config"))
                            .payload)
        self.assertEqual(config["unique_id"], f"{instance_id}_extruder_temperature")
        self.assertEqual(config["device"]["identifiers"], [f"moontwist_{instance_id}"])
        self.assertEqual(config["state_topic"], "printer1/moontwist/ha_state")
        state = await _next_where(paho, "printer1/moontwist/ha_state", lambda body: body["klippy_state"] == "ready")
        self.assertIsInstance(state["extruder_temperature"], float)
        button = json.loads((await paho.next_message("homeassistant/button/printer1/emergency_stop/config")).payload)
        answer = paho.next_message("printer1/moonraker/api/response")
        paho.publish(button["command_topic"], button["payload_press"], 1)
        self.assertEqual(json.loads((await answer).payload), {"jsonrpc": "2.0", "result": "ok", "id": "ha_emergency_stop"})

    async def test_klipper_macro_publishes_through_remote_method(self) -> None:
        broker = await self.broker()
        daemon = await self.connected_daemon(mqtt_config(broker))
        paho = await PahoClient(broker.port).start(self)
        await paho.subscribe("printer1/macro/#", 1)
        await paho.subscribe("plain", 1)
        klippy = daemon.ctx.component("klippy")
        klippy.remote_method_called("publish_mqtt_topic", {"topic": "macro/done", "payload": {"ok": True},
                                                           "qos": 1, "use_prefix": True})
        klippy.remote_method_called("publish_mqtt_topic", {"topic": "plain", "payload": True})
        self.assertEqual(json.loads((await paho.next_message("printer1/macro/done")).payload), {"ok": True})
        self.assertEqual((await paho.next_message("plain")).payload, b"true")

    async def test_refusal_is_shown_in_server_info(self) -> None:
        broker = await self.broker(users={"printer": "secret"})
        daemon = await self.daemon(mqtt_config(broker, extra="username: nobody\npassword: x\n"))
        mqtt = daemon.ctx.component("mqtt")
        await until(lambda: mqtt.refusals >= 1)
        response = await http_client(self).get(daemon.http_url + "/server/info")
        info = json.loads(await response.content())["result"]
        self.assertIn("mqtt", info["failed_components"])
        self.assertTrue(any("MQTT Connection Failed" in warning for warning in info["warnings"]))
