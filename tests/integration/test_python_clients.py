"""Real Python client libraries from PyPI, unchanged, in their normal session.

Home Assistant's Moonraker integration speaks through ``moonraker-api`` (aiohttp
websocket); ``moonrakerpy`` is a small requests-based HTTP client. Each runs in a
worker thread (its own asyncio loop or blocking sockets) against the daemon on the
reactor, with the built-in simulator as Klippy.
"""

from __future__ import annotations

import asyncio
from typing import Any

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from tests.integration.test_printer import klippy_ready, start_simulated


async def home_assistant_session(port: int) -> dict[str, Any]:
    """What the integration does: connect, read, subscribe, poll, send G-code, disconnect."""
    from moonraker_api import MoonrakerClient, MoonrakerListener

    seen: dict[str, Any] = {"states": [], "notifications": [], "exceptions": []}

    class Listener(MoonrakerListener):
        async def state_changed(self, state: str) -> None:
            seen["states"].append(state)

        async def on_exception(self, exception: Any) -> None:
            seen["exceptions"].append(repr(exception))

        async def on_notification(self, method: str, data: Any) -> None:
            seen["notifications"].append((method, data))

    client = MoonrakerClient(Listener(), "127.0.0.1", port)
    seen["connected"] = await client.connect()
    try:
        seen["klippy_state"] = await client.get_klipper_status()
        seen["host_info"] = await client.get_host_info()
        seen["objects"] = await client.get_supported_modules()
        seen["gcode_help"] = await client.call_method("printer.gcode.help")
        seen["system_info"] = await client.call_method("machine.system_info")
        seen["subscribed"] = await client.call_method(
            "printer.objects.subscribe", objects={"print_stats": None, "toolhead": ["position"]})
        # The integration's poll names objects a printer may not have.
        seen["query"] = await client.call_method(
            "printer.objects.query", objects={"webhooks": None, "extruder": ["temperature"], "u": None})
        seen["totals"] = await client.call_method("server.history.totals")
        seen["queue"] = await client.call_method("server.job_queue.status")
        seen["gcode"] = await client.call_method("printer.gcode.script", script="M118 from home assistant")
        for _ in range(100):
            if any(method == "notify_gcode_response" for method, _ in seen["notifications"]):
                break
            await asyncio.sleep(0.05)
    finally:
        await client.disconnect()
    return seen


def moonrakerpy_session(port: int) -> dict[str, Any]:
    """The library's own calls: configfile on creation, temperatures, G-code, the store."""
    from moonrakerpy import MoonrakerPrinter

    printer = MoonrakerPrinter(f"http://127.0.0.1:{port}")
    return {
        "sensors": printer.temp_sensors,
        "temperatures": printer.query_temperatures(),
        "print_stats": printer.query_status("print_stats"),
        "bed": printer.set_bed_temp(40.0),
        "echo": printer.send_gcode("M118 from moonrakerpy"),
        "store": printer.get_gcode(count=20, msg_type="both"),
        "bed_off": printer.set_bed_temp(0.0),
    }


class PythonClientTests(TestCase):
    timeout = 60

    async def test_home_assistant_moonraker_api_session(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        port = daemon.port_of("http")
        seen = await deferToThread(asyncio.run, home_assistant_session(port))
        self.assertTrue(seen["connected"])
        self.assertEqual(seen["exceptions"], [])
        self.assertEqual(seen["klippy_state"], "ready")
        self.assertEqual(seen["host_info"]["state"], "ready")
        self.assertIsInstance(seen["host_info"]["hostname"], str)
        self.assertIn("print_stats", seen["objects"])
        self.assertIn("RESTART", seen["gcode_help"])
        self.assertIn("cpu_info", seen["system_info"]["system_info"])
        self.assertEqual(seen["subscribed"]["status"]["print_stats"]["state"], "standby")
        # as Klippy does: an object the printer lacks comes back empty
        self.assertEqual(seen["query"]["status"]["u"], {})
        self.assertIsInstance(seen["query"]["status"]["extruder"]["temperature"], float)
        self.assertIn("total_jobs", seen["totals"]["job_totals"])
        self.assertIn("queue_state", seen["queue"])
        self.assertEqual(seen["gcode"], "ok")
        responses = [data for method, data in seen["notifications"] if method == "notify_gcode_response"]
        self.assertIn("from home assistant", " ".join(str(data) for data in responses))
        self.assertEqual(seen["states"], ["ws_connecting", "ws_connected", "ws_stopping", "ws_stopped"])

    async def test_moonrakerpy_session(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        seen = await deferToThread(moonrakerpy_session, daemon.port_of("http"))
        self.assertEqual(sorted(seen["sensors"])[:2], ["extruder", "heater_bed"])
        self.assertIsInstance(seen["temperatures"]["extruder"]["temperature"], float)
        self.assertEqual(seen["print_stats"]["state"], "standby")
        self.assertTrue(seen["bed"])
        self.assertTrue(seen["echo"])
        self.assertTrue(seen["bed_off"])
        # the library keeps only the messages of the store's entries
        messages = seen["store"]
        self.assertIn("M118 from moonrakerpy", messages)
        self.assertIn("SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=40.0", messages)
