"""Power devices on the real daemon against plugs faked on loopback: Tasmota, Shelly,
Home Assistant, TP-Link (plug and strip), and a plug that never answers."""

from __future__ import annotations

import base64
import json
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.process import wait_for
from tests.services.power.fakes import (
    FakeHomeAssistant, FakeHomeSeer, FakeHue, FakeLoxone, FakeRelayBoard, FakeShelly, FakeSmartThings, FakeTasmota,
    FakeTPLink, SilentDevice,
)


async def http(daemon: RunningDaemon, test: TestCase, verb: str, path: str) -> tuple[int, Any]:
    response = await http_client(test).request(verb, daemon.http_url + path)
    return response.code, json.loads(await response.text())


class PowerIntegrationTests(TestCase):
    timeout = 60

    def fake(self, device: Any) -> Any:
        device.start()
        self.addCleanup(device.stop)
        return device

    async def start(self, sections: str) -> RunningDaemon:
        daemon = await start_daemon(self, BASE_CONFIG + sections)
        power = daemon.ctx.component("power")
        await wait_for(lambda: all(device.state != "init" and not device.lock.locked
                                   for device in power.devices.values()), timeout=20)
        return daemon

    async def test_each_type_reads_and_switches_its_device(self) -> None:
        tasmota = self.fake(FakeTasmota())
        shelly = self.fake(FakeShelly("admin", "secret"))
        assistant = self.fake(FakeHomeAssistant("long-lived-token"))
        plug = self.fake(FakeTPLink())
        daemon = await self.start(
            f"\n[power tasmota]\ntype: tasmota\naddress: {tasmota.address}\n"
            f"\n[power shelly]\ntype: shelly\naddress: {shelly.address}\npassword: secret\n"
            f"\n[power assistant]\ntype: homeassistant\naddress: 127.0.0.1\nport: {assistant.port.getHost().port}\n"
            "device: switch.printer\ntoken: long-lived-token\nstatus_delay: 0.01\n"
            f"\n[power kasa]\ntype: tplink_smartplug\naddress: {plug.address}\n")
        names = ["tasmota", "shelly", "assistant", "kasa"]
        code, body = await http(daemon, self, "GET", "/machine/device_power/devices")
        self.assertEqual([(d["device"], d["status"], d["type"]) for d in body["result"]["devices"]],
                         [("tasmota", "off", "tasmota"), ("shelly", "off", "shelly"),
                          ("assistant", "off", "homeassistant"), ("kasa", "off", "tplink_smartplug")])
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.device_power.on", {name: None for name in names})
        self.assertEqual(answer["result"], {name: "on" for name in names})
        self.assertEqual((tasmota.relays[1], shelly.on, assistant.on, plug.relay), (True, True, True, 1))
        changed = [m["params"][0] for m in client.notifications if m["method"] == "notify_power_changed"]
        self.assertEqual(sorted((c["device"], c["status"]) for c in changed), [(name, "on") for name in sorted(names)])
        self.assertEqual(tasmota.requests[-1][2]["cmnd"], "Power1 on")
        self.assertEqual(shelly.requests[-1][4]["authorization"],
                         "Basic " + base64.b64encode(b"admin:secret").decode())
        self.assertEqual(plug.requests[-1], {"system": {"set_relay_state": {"state": 1}}})

        code, body = await http(daemon, self, "POST", "/machine/device_power/device?device=kasa&action=toggle")
        self.assertEqual((code, body["result"]), (200, {"kasa": "off"}))
        shelly.on = False
        code, body = await http(daemon, self, "GET", "/machine/device_power/status?shelly&tasmota&nope")
        self.assertEqual(body["result"], {"shelly": "off", "tasmota": "on", "nope": "device_not_found"})

    async def test_hub_types_read_and_switch_their_device(self) -> None:
        homeseer = self.fake(FakeHomeSeer(ref=42))
        loxone = self.fake(FakeLoxone("Printer"))
        things = self.fake(FakeSmartThings("pat-token"))
        lamp = self.fake(FakeHue("bridgekey"))
        room = self.fake(FakeHue("bridgekey", kind="group", device_id="1"))
        daemon = await self.start(
            f"\n[power homeseer]\ntype: homeseer\naddress: {homeseer.address}\ndevice: 42\n"
            f"\n[power loxone]\ntype: loxonev1\naddress: {loxone.address}\noutput_id: Printer\n"
            f"\n[power things]\ntype: smartthings\naddress: {things.address}\nprotocol: http\n"
            "device: d3d1c8e1\ntoken: pat-token\n"
            f"\n[power lamp]\ntype: hue\naddress: {lamp.address}\nuser: bridgekey\ndevice_id: 3\n"
            f"\n[power room]\ntype: hue\naddress: {room.address}\nuser: bridgekey\ndevice_id: 1\n"
            "device_type: group\n")
        names = ["homeseer", "loxone", "things", "lamp", "room"]
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.device_power.status", {name: None for name in names})
        self.assertEqual(answer["result"], {name: "off" for name in names})
        answer = await client.call("machine.device_power.on", {name: None for name in names})
        self.assertEqual(answer["result"], {name: "on" for name in names})
        self.assertEqual([device.on for device in (homeseer, loxone, things, lamp, room)], [True] * 5)
        self.assertEqual(homeseer.requests[-1][2]["label"], "On")
        self.assertEqual(loxone.requests[-1][4]["authorization"], "Basic " + base64.b64encode(b"admin:admin").decode())
        answer = await client.call("machine.device_power.off", {name: None for name in names})
        self.assertEqual(answer["result"], {name: "off" for name in names})
        self.assertEqual([device.on for device in (homeseer, loxone, things, lamp, room)], [False] * 5)

    async def test_http_devices_follow_their_templates(self) -> None:
        simple = self.fake(FakeRelayBoard())
        guarded = self.fake(FakeRelayBoard(token="s3cret"))

        def secrets(data_path: Any) -> None:
            (data_path / "moonraker.secrets").write_text("[relay]\ntoken: s3cret\n")

        url = f"http://{guarded.address}/relay"
        daemon = await start_daemon(self, BASE_CONFIG + (
            f"\n[power simple]\ntype: http\non_url: http://{simple.address}/relay?turn=on\n"
            f"off_url: http://{simple.address}/relay?turn=off\nstatus_url: http://{simple.address}/relay\n"
            "response_template: {% set resp = http_request.last_response().json() %}{resp['state']}\n"
            f"\n[power guarded]\ntype: http\non_url: {url}\noff_url: {url}\nstatus_url: {url}\n"
            "request_template:\n"
            "  {% do http_request.add_header('X-Token', secrets.relay.token) %}\n"
            "  {% if command in ['on', 'off'] %}\n"
            "    {% do http_request.set_method('POST') %}\n"
            "    {% do http_request.set_body({'state': command}) %}\n"
            "  {% endif %}\n"
            "  {% do async_sleep(0.01) %}\n"
            "  {% do http_request.send() %}\n"
            "response_template:\n"
            "  {http_request.last_response().json()['state']}\n"), prepare=secrets)
        power = daemon.ctx.component("power")
        await wait_for(lambda: all(device.state != "init" and not device.lock.locked
                                   for device in power.devices.values()), timeout=20)
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.device_power.status", {"simple": None, "guarded": None})
        self.assertEqual(answer["result"], {"simple": "off", "guarded": "off"})
        answer = await client.call("machine.device_power.on", {"simple": None, "guarded": None})
        self.assertEqual(answer["result"], {"simple": "on", "guarded": "on"})
        self.assertEqual((simple.on, guarded.on), (True, True))
        self.assertEqual((guarded.requests[-1][0], guarded.requests[-1][3]), ("POST", b'{"state":"on"}'))
        answer = await client.call("machine.device_power.post_device", {"device": "guarded", "action": "toggle"})
        self.assertEqual((answer["result"], guarded.on), ({"guarded": "off"}, False))
        guarded.token = "rotated"
        answer = await client.call("machine.device_power.get_device", {"device": "guarded"})
        self.assertEqual(answer["result"], {"guarded": "error"})

    async def test_an_http_device_with_a_broken_template_is_left_out(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + (
            "\n[power bad]\ntype: http\non_url: http://x/on\noff_url: http://x/off\nstatus_url: http://x/\n"
            "response_template: {% if %}\n"))
        self.assertEqual(daemon.ctx.component("power").devices, {})
        [warning] = [w for w in daemon.ctx.warnings if "power bad" in w]
        self.assertTrue(warning.startswith("Failed to load power device [power bad]\n[power bad]: Option "
                                           "'response_template' encountered the following error while parsing: "
                                           "Error compiling Jinja2 template:"), warning)

    async def test_a_device_that_never_answers_is_an_error_within_its_timeout_and_blocks_no_other(self) -> None:
        silent = self.fake(SilentDevice())
        tasmota = self.fake(FakeTasmota())
        daemon = await self.start(
            f"\n[power hung]\ntype: tasmota\naddress: {silent.address}\ntimeout: 0.3\n"
            f"\n[power plug]\ntype: tasmota\naddress: {tasmota.address}\n")
        power = daemon.ctx.component("power")
        self.assertEqual((power.devices["hung"].state, power.devices["plug"].state), ("error", "off"))
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.device_power.on", {"hung": None, "plug": None})
        self.assertEqual(answer["error"], {"code": 400, "message": "Error Setting Device Status: hung to on"})
        self.assertTrue(tasmota.relays[1])
        answer = await client.call("machine.device_power.get_device", {"device": "hung"})
        self.assertEqual(answer["result"], {"hung": "error"})

    async def test_a_strip_outlet_and_the_countdown_timer(self) -> None:
        strip = self.fake(FakeTPLink(outlets=3))
        daemon = await self.start(f"\n[power outlet]\ntype: tplink_smartplug\naddress: {strip.address}\n"
                                  "output_id: 2\ntimer: 30\n")
        code, body = await http(daemon, self, "POST", "/machine/device_power/device?device=outlet&action=on")
        self.assertEqual(body["result"], {"outlet": "on"})
        self.assertEqual([child["state"] for child in strip.children], [0, 0, 1])
        self.assertEqual(strip.requests[-1]["context"], {"child_ids": ["80067AC02"]})
        code, body = await http(daemon, self, "POST", "/machine/device_power/device?device=outlet&action=off")
        self.assertEqual(body["result"], {"outlet": "off"})
        self.assertEqual(strip.rules, [{"enable": 1, "delay": 30, "act": 0, "name": "turn off"}])

    async def test_initial_state_and_tasmota_timer(self) -> None:
        tasmota = self.fake(FakeTasmota(relays=2))
        daemon = await self.start(f"\n[power second]\ntype: tasmota\naddress: {tasmota.address}\noutput_id: 2\n"
                                  "initial_state: on\ntimer: 5\n")
        self.assertEqual(tasmota.relays, {1: False, 2: True})
        code, body = await http(daemon, self, "POST", "/machine/device_power/device?device=second&action=off")
        self.assertEqual(body["result"], {"second": "off"})
        self.assertEqual(tasmota.requests[-1][2]["cmnd"], "Backlog Delay 50; Power2 off")

    async def test_without_power_sections_there_is_no_power_api(self) -> None:
        daemon = await start_daemon(self)
        code, body = await http(daemon, self, "GET", "/machine/device_power/devices")
        self.assertEqual(code, 404)
        code, body = await http(daemon, self, "GET", "/server/info")
        self.assertNotIn("power", body["result"]["components"])
