"""WLED strips against a fake WLED (an HTTP server on loopback speaking its JSON API):
start-up, every machine.wled method on HTTP and websocket, Klippy's remote methods."""

from __future__ import annotations

import json
import os
from typing import Any

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.internet.interfaces import IReadDescriptor
from zope.interface import implementer

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
        config = "[wled a]\ntype: dmx\n\n[wled b]\n\n[wled c]\ntype: serial\nserial: /dev/null\nbaud: 12345\n"
        daemon = await start_daemon(self, BASE_CONFIG + config)
        warnings = daemon.ctx.warnings
        self.assertIn("Failed to initialise strip [wled a]\nUnsupported Strip Type: dmx", warnings)
        self.assertIn("Failed to initialise strip [wled b]\nNo option 'address' in section: 'wled b'", warnings)
        self.assertIn("Failed to initialise strip [wled c]\nUnsupported baud rate 12345", warnings)


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


@implementer(IReadDescriptor)
class FakeSerialWled:
    """The controller's end of a pseudo-terminal: records each JSON state, answers ``"v": true``."""

    def __init__(self, test: TestCase) -> None:
        # The slave end stays open too: a master with no slave open is hung up for epoll.
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        os.set_blocking(self.master, False)
        self.states: list[dict[str, Any]] = []
        self._buffer = ""
        reactor.addReader(self)

        def close() -> None:
            reactor.removeReader(self)
            os.close(self.master)
            os.close(slave)

        test.addCleanup(close)

    def fileno(self) -> int:
        return self.master

    def doRead(self) -> None:
        try:
            self._buffer += os.read(self.master, 4096).decode()
        except OSError:
            return
        decoder = json.JSONDecoder()
        while self._buffer:
            try:
                state, end = decoder.raw_decode(self._buffer)
            except ValueError:
                break
            self._buffer = self._buffer[end:].lstrip()
            self.states.append(state)
            if state.get("v"):
                os.write(self.master, b"booting...\n" + json.dumps(WLED_STATE).encode() + b"\r\n")

    def connectionLost(self, reason: Any) -> None:
        pass

    def logPrefix(self) -> str:
        return "fake serial wled"


class WledSerialTests(TestCase):
    async def test_serial_strip_over_a_pseudo_terminal(self) -> None:
        wled = FakeSerialWled(self)
        config = f"[wled desk]\ntype: serial\nserial: {wled.path}\nbaud: 115200\nchain_count: 2\ninitial_preset: 1\n"
        daemon = await start_daemon(self, BASE_CONFIG + config)
        await daemon.ctx.component("wled").initialised
        await wait_for(lambda: len(wled.states) == 2)
        self.assertEqual(wled.states, [{"v": True}, {"on": True, "ps": 1}])
        code, body = await http(self, "POST", daemon.http_url + "/machine/wled/strip?strip=desk&action=control&brightness=40")
        self.assertEqual((code, body["result"]["desk"]["brightness"]), (200, 40))
        await wait_for(lambda: len(wled.states) == 3)
        self.assertEqual(wled.states[2], {"tt": 0, "seg": {"bri": 40}, "bri": 40})
        self.assertIsNone(body["result"]["desk"]["error"])

    async def test_serial_device_that_is_missing_is_the_strips_error(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "[wled desk]\ntype: serial\nserial: /nonexistent/tty\n")
        code, body = await http(self, "POST", daemon.http_url + "/machine/wled/off?desk")
        self.assertEqual(code, 400)
        self.assertIn("No such file or directory", body["error"]["message"])


class WledStopTests(TestCase):
    async def test_stopping_while_a_strip_does_not_answer_leaves_nothing_running(self) -> None:
        from twisted.internet.endpoints import TCP4ServerEndpoint
        from twisted.internet.protocol import Factory, Protocol

        silent = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(Factory.forProtocol(Protocol))
        self.addCleanup(silent.stopListening)
        daemon = await start_daemon(self, BASE_CONFIG + wled_config(silent.getHost().port))
        await deferLater(reactor, 0.1, lambda: None)
        self.assertFalse(daemon.ctx.component("wled").initialised.called, "the strip is still waiting")

    async def test_stopping_while_a_serial_strip_does_not_answer_leaves_nothing_running(self) -> None:
        master, slave = os.openpty()
        self.addCleanup(os.close, master)
        self.addCleanup(os.close, slave)
        config = f"[wled desk]\ntype: serial\nserial: {os.ttyname(slave)}\n"
        daemon = await start_daemon(self, BASE_CONFIG + config)
        await deferLater(reactor, 0.1, lambda: None)
        self.assertFalse(daemon.ctx.component("wled").initialised.called, "the strip is still waiting")
