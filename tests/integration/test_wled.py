"""WLED strips against a fake WLED (an HTTP server on loopback speaking its JSON API):
start-up, every machine.wled method on HTTP and websocket, Klippy's remote methods."""

from __future__ import annotations

import json
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.macros import start_with_macros
from tests.integration.process import wait_for
from tests.integration.receiver import Receiver, start_receiver

WLED_STATE = {"state": {"on": True, "bri": 128}, "info": {"ver": "0.14.0", "leds": {"count": 3}}}


def wled_config(port: int, extra: str = "") -> str:
    return f"""
[wled lights]
address: 127.0.0.1
port: {port}
chain_count: 3
initial_red: 1.0
initial_green: 0.0
initial_blue: 0.0
initial_white: 0.0
{extra}"""


async def fake_wled(test: TestCase) -> Receiver:
    receiver = await start_receiver(test)
    receiver.answer = lambda received: (200, WLED_STATE if received.json().get("v") else {"success": True})
    return receiver


def sent(receiver: Receiver) -> list[Any]:
    return [request.json() for request in receiver.requests]


async def http(test: TestCase, verb: str, url: str) -> tuple[int, Any]:
    client = http_client(test)
    response = await (client.get(url) if verb == "GET" else client.post(url))
    return response.code, json.loads(await response.text())


class WledTests(TestCase):
    async def start(self, extra: str = "") -> Any:
        self.wled = await fake_wled(self)
        daemon = await start_daemon(self, BASE_CONFIG + wled_config(self.wled.port, extra))
        await daemon.ctx.component("wled").initialised
        return daemon

    async def test_start_up_reads_the_state_then_sends_the_initial_colours(self) -> None:
        daemon = await self.start()
        self.assertEqual(sent(self.wled), [
            {"v": True},
            {"on": True, "tt": 0, "bri": 255, "seg": {"bri": 255, "i": [0, 3, [255, 0, 0, 0]]}},
        ])
        self.assertEqual({r.path for r in self.wled.requests}, {"/json"})
        code, body = await http(self, "GET", daemon.http_url + "/machine/wled/strips")
        self.assertEqual((code, body["result"]), (200, {"strips": {"lights": {
            "strip": "lights", "status": "on", "chain_count": 3, "preset": -1, "brightness": 255,
            "intensity": -1, "speed": -1, "error": None}}}))
        self.assertIn("wled", daemon.ctx.components)

    async def test_initial_preset_is_applied(self) -> None:
        await self.start("initial_preset: 4\n")
        self.assertEqual(sent(self.wled), [{"v": True}, {"on": True, "ps": 4}])

    async def test_batch_on_off_toggle_status(self) -> None:
        daemon = await self.start()
        del self.wled.requests[:]
        code, body = await http(self, "POST", daemon.http_url + "/machine/wled/off?lights&nothere")
        self.assertEqual(code, 200)
        self.assertEqual(body["result"]["nothere"], {"error": "strip_not_found"})
        self.assertEqual(body["result"]["lights"]["status"], "off")
        code, body = await http(self, "POST", daemon.http_url + "/machine/wled/toggle?lights")
        self.assertEqual(body["result"]["lights"]["status"], "on")
        client = await connect_websocket(self, daemon.ws_url)
        status = await client.call("machine.wled.status", {"lights": None})
        self.assertEqual(status["result"]["lights"]["status"], "on")
        on = await client.call("machine.wled.on", {"lights": None})
        self.assertEqual(on["result"]["lights"]["brightness"], 255)
        self.assertEqual(sent(self.wled)[0], {"on": False})
        self.assertEqual(sent(self.wled)[1]["seg"]["i"], [0, 3, [255, 0, 0, 0]], "on without a preset: initial colours")
        empty = await client.call("machine.wled.on")
        self.assertEqual(empty["error"], {"code": 400, "message": "No arguments provided"})

    async def test_post_strip_with_preset_brightness_intensity_speed(self) -> None:
        daemon = await self.start()
        del self.wled.requests[:]
        url = daemon.http_url + "/machine/wled/strip?strip=lights&action=on&preset=3&intensity=50&speed=255&brightness=99"
        code, body = await http(self, "POST", url)
        self.assertEqual((code, body["result"]), (200, {"lights": {
            "strip": "lights", "status": "on", "chain_count": 3, "preset": 3, "brightness": 99,
            "intensity": 50, "speed": 255, "error": None}}))
        self.assertEqual(sent(self.wled), [
            {"on": True, "ps": 3},
            {"tt": 0, "seg": {"bri": 99, "ix": 50, "sx": 255}, "bri": 99},
        ])
        code, body = await http(self, "GET", daemon.http_url + "/machine/wled/strip?strip=lights")
        self.assertEqual(body["result"]["lights"]["preset"], 3)
        client = await connect_websocket(self, daemon.ws_url)
        bad = await client.call("machine.wled.post_strip", {"strip": "lights", "action": "blink"})
        self.assertEqual(bad["error"], {"code": 400, "message": "Invalid requested action 'blink'"})
        missing = await client.call("machine.wled.get_strip", {"strip": "none"})
        self.assertEqual(missing["error"], {"code": 400, "message": "No valid strip named none"})

    async def test_unreachable_strip_reports_its_error(self) -> None:
        daemon = await self.start()
        self.wled.answer = lambda received: (500, {})
        code, body = await http(self, "POST", daemon.http_url + "/machine/wled/strip?strip=lights&action=off")
        self.assertEqual(code, 400)
        self.assertTrue(body["error"]["message"].startswith("WLED: Error HTTP 500"), body)
        self.assertEqual(len(self.wled.requests), 2 + 3, "three attempts")
        strips = (await http(self, "GET", daemon.http_url + "/machine/wled/strips"))[1]["result"]
        self.assertTrue(strips["strips"]["lights"]["error"].startswith("WLED: Error"))

    async def test_bad_sections_are_warnings(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "[wled a]\ntype: serial\naddress: x\n\n[wled b]\n")
        warnings = daemon.ctx.warnings
        self.assertIn("Failed to initialise strip [wled a]\nWLED strips of type 'serial' are not supported by "
                      "moontwist; use type: http", warnings)
        self.assertIn("Failed to initialise strip [wled b]\nNo option 'address' in section: 'wled b'", warnings)


WLED_MACROS = """
[gcode_macro WLED_ON]
gcode:
  {action_call_remote_method("set_wled_state", strip=params.STRIP, state=True, preset=2)}

[gcode_macro SET_LED_COLOR]
gcode:
  {action_call_remote_method("set_wled", strip="lights", red=0.0, green=1.0, blue=0.0, white=0.0,
                             index=2, transmit=1)}
"""


class WledRemoteMethodTests(TestCase):
    timeout = 60

    async def test_klippy_macros_set_state_and_colours(self) -> None:
        wled = await fake_wled(self)
        daemon = await start_with_macros(self, wled_config(wled.port), WLED_MACROS)
        await daemon.ctx.component("wled").initialised
        del wled.requests[:]
        script = daemon.http_url + "/printer/gcode/script?script="
        code, body = await http(self, "POST", script + "WLED_ON%20STRIP=lights")
        self.assertEqual((code, body), (200, {"result": "ok"}))
        await wait_for(lambda: len(wled.requests) == 1)
        self.assertEqual(sent(wled), [{"on": True, "ps": 2}])
        await http(self, "POST", script + "SET_LED_COLOR")
        await wait_for(lambda: len(wled.requests) == 2)
        self.assertEqual(sent(wled)[1], {"on": True, "tt": 0, "bri": 255, "seg": {
            "bri": 255, "i": [[255, 0, 0, 0], [0, 255, 0, 0], [255, 0, 0, 0]]}})
