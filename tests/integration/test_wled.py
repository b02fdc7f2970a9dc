"""WLED strips on the daemon against a WLED controller faked on loopback."""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.process import wait_for
from tests.services.power.fakes import SilentDevice
from tests.services.wled.fake_wled import FakeWled, SerialWled


class WledTests(TestCase):
    timeout = 30

    async def start(self, sections: str) -> RunningDaemon:
        daemon = await start_daemon(self, BASE_CONFIG + sections)
        self.wled_service = daemon.ctx.component("wled")
        return daemon

    def fake(self) -> FakeWled:
        wled = FakeWled().start()
        self.addCleanup(wled.stop)
        return wled

    def section(self, name: str, wled: Any, extra: str = "") -> str:
        host, port = wled.port.getHost().host, wled.port.getHost().port
        return f"\n[wled {name}]\naddress: {host}\nport: {port}\nchain_count: 3\n{extra}"

    async def test_a_strip_starts_in_its_initial_colors(self) -> None:
        wled = self.fake()
        daemon = await self.start(self.section("lights", wled, "initial_red: 1.0\ninitial_blue: 0\n"))
        await wait_for(lambda: len(wled.received) == 2)
        self.assertEqual(wled.received[0], {"v": True})
        self.assertEqual(wled.received[1], {"on": True, "tt": 0, "bri": 255,
                                            "seg": {"bri": 255, "i": [0, 3, [255, 128, 0, 128]]}})
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.wled.strips")
        self.assertEqual(answer["result"], {"strips": {"lights": {
            "strip": "lights", "status": "on", "chain_count": 3, "preset": -1, "brightness": 255,
            "intensity": -1, "speed": -1, "error": None}}})

    async def test_actions_presets_and_control(self) -> None:
        wled = self.fake()
        daemon = await self.start(self.section("lights", wled))
        await wait_for(lambda: len(wled.received) == 2)
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.wled.post_strip", {"strip": "lights", "action": "on", "preset": 3,
                                                               "intensity": 50, "speed": 255})
        self.assertEqual({k: answer["result"]["lights"][k] for k in ("status", "preset", "intensity", "speed")},
                         {"status": "on", "preset": 3, "intensity": 50, "speed": 255})
        self.assertEqual(wled.received[-2:], [{"on": True, "ps": 3}, {"tt": 0, "seg": {"ix": 50, "sx": 255}}])
        answer = await client.call("machine.wled.post_strip", {"strip": "lights", "action": "control",
                                                               "brightness": 99})
        self.assertEqual(wled.received[-1], {"tt": 0, "seg": {"bri": 99}, "bri": 99})
        answer = await client.call("machine.wled.toggle", {"lights": None, "desk": None})
        self.assertEqual((answer["result"]["lights"]["status"], answer["result"]["desk"]),
                         ("off", {"error": "strip_not_found"}))
        self.assertEqual(wled.received[-1], {"on": False})
        answer = await client.call("machine.wled.get_strip", {"strip": "lights"})
        self.assertEqual(answer["result"]["lights"]["status"], "off")
        answer = await client.call("machine.wled.post_strip", {"strip": "lights", "action": "blink"})
        self.assertEqual(answer["error"], {"code": 400, "message": "Invalid requested action 'blink'"})
        answer = await client.call("machine.wled.on", {})
        self.assertEqual(answer["error"], {"code": 400, "message": "No arguments provided"})

    async def test_klipper_macros_set_single_leds(self) -> None:
        wled = self.fake()
        daemon = await self.start(self.section("lights", wled))
        await wait_for(lambda: len(wled.received) == 2)
        klippy = daemon.ctx.component("klippy")
        klippy.remote_method_called("set_wled", {"strip": "lights", "red": 1.0, "index": 2, "transmit": 0})
        klippy.remote_method_called("set_wled", {"strip": "lights", "blue": 1.0, "index": 3})
        await wait_for(lambda: len(wled.received) == 3)
        self.assertEqual(wled.received[-1]["seg"]["i"], [[128, 128, 128, 128], [255, 0, 0, 0], [0, 0, 255, 0]])
        klippy.remote_method_called("set_wled", {"strip": "lights", "green": 1.0, "index": 1})
        await wait_for(lambda: len(wled.received) == 4)
        self.assertEqual(wled.received[-1]["seg"]["i"], [0, [0, 255, 0, 0]])
        klippy.remote_method_called("set_wled_state", {"strip": "lights", "state": False})
        await wait_for(lambda: len(wled.received) == 5)
        self.assertEqual(wled.received[-1], {"on": False})
        self.assertEqual(wled.leds, {0: [0, 255, 0, 0], 1: [255, 0, 0, 0], 2: [0, 0, 255, 0]})

    async def test_an_unreachable_strip_reports_its_error(self) -> None:
        silent = SilentDevice().start()
        self.addCleanup(silent.stop)
        daemon = await self.start(f"\n[wled desk]\naddress: 127.0.0.1\nport: {silent.port.getHost().port}\n"
                                  "timeout: 0.1\n\n[wled strange]\ntype: dmx\naddress: x\n"
                                  "\n[wled porty]\naddress: 127.0.0.1:8080\n")
        self.assertIn("Failed to initialise strip [wled strange]\nUnsupported Strip Type: dmx", daemon.ctx.warnings)
        self.assertIn("Failed to initialise strip [wled porty]\nSection [wled porty], Option address: 127.0.0.1:8080: "
                      "a port goes in the 'port' option (an IPv6 address in brackets)", daemon.ctx.warnings)
        self.assertNotIn("porty", self.wled_service.strips)
        strip = self.wled_service.strips["desk"]
        await wait_for(lambda: strip.error_state is not None)
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.wled.post_strip", {"strip": "desk", "action": "off"})
        self.assertEqual(answer["error"]["code"], 400)
        self.assertTrue(answer["error"]["message"].startswith("WLED: Error no answer from"), answer)


class SerialWledTests(TestCase):
    timeout = 30

    async def test_a_serial_strip_sends_json_states_and_reads_answers(self) -> None:
        wled = SerialWled()
        self.addCleanup(wled.close)
        daemon = await start_daemon(self, BASE_CONFIG + f"\n[wled shelf]\ntype: serial\nserial: {wled.path}\n"
                                    "chain_count: 2\ninitial_preset: 4\n")
        await wait_for(lambda: len(wled.received) == 2)
        self.assertEqual(wled.received, [{"v": True}, {"on": True, "ps": 4}])
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("machine.wled.off", {"shelf": None})
        self.assertEqual(answer["result"]["shelf"]["status"], "off")
        await wait_for(lambda: len(wled.received) == 3)
        self.assertEqual(wled.received[-1], {"on": False})
        strip = daemon.ctx.component("wled").strips["shelf"]
        self.assertIsNone(strip.error_state)

    async def test_a_missing_serial_device_is_retried_and_reported(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "\n[wled shelf]\ntype: serial\nserial: /dev/nonexistent-wled\n")
        strip = daemon.ctx.component("wled").strips["shelf"]
        await wait_for(lambda: strip.error_state is not None)
        self.assertEqual(strip.error_state, "WLED: Error serial port /dev/nonexistent-wled is not open")
