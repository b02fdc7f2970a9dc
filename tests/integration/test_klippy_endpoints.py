"""Klippy's own endpoints and agent remote methods, on the real daemon against the simulator."""

from __future__ import annotations

import json

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.process import wait_for
from tests.integration.test_printer import klippy_ready, latest, start_simulated

PRINT_FILE = "G28\n" + "".join(f"G1 X{10 + i % 5} Y{10 + i % 4} F3000\n" for i in range(20000))


class KlippyEndpointTests(TestCase):
    timeout = 60

    async def test_pause_resume_endpoints_on_every_transport(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        (daemon.data_path / "gcodes" / "long.gcode").write_text(PRINT_FILE)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.objects.subscribe", {"objects": {"print_stats": ["state"]}})
        await client.call("printer.print.start", {"filename": "long.gcode"})
        await wait_for(lambda: latest(client, "print_stats", "state") == "printing")
        self.assertEqual((await client.call("printer.pause_resume.pause"))["result"], "ok")
        await wait_for(lambda: latest(client, "print_stats", "state") == "paused")
        unix = await connect_unix(self, daemon.unix_path)
        self.assertEqual((await unix.call("printer.pause_resume.resume"))["result"], "ok")
        await wait_for(lambda: latest(client, "print_stats", "state") == "printing")
        response = await http_client(self).post(daemon.http_url + "/printer/pause_resume/cancel")
        self.assertEqual((response.code, json.loads(await response.text())), (200, {"result": "ok"}))
        await wait_for(lambda: latest(client, "print_stats", "state") == "cancelled", timeout=20)

    async def test_offered_again_after_a_klippy_restart(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        disconnected = client.next_notification("notify_klippy_disconnected")
        ready = client.next_notification("notify_klippy_ready")
        self.assertEqual((await client.call("printer.gcode.restart"))["result"], "ok")
        await disconnected
        await ready
        response = await http_client(self).get(daemon.http_url + "/printer/pause_resume/cancel")
        self.assertEqual((response.code, json.loads(await response.text())), (200, {"result": "ok"}))
        self.assertIn("printer.gcode.firmware_restart", daemon.ctx.component("klippy").klippy_endpoints.methods)


class AgentRemoteMethodTests(TestCase):
    timeout = 60

    async def test_a_klippy_macro_reaches_the_agent_that_registered_the_method(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        agent = await connect_websocket(self, daemon.ws_url)
        await agent.call("server.connection.identify",
                         {"client_name": "obico", "version": "1", "type": "agent", "url": "x"})
        self.assertEqual((await agent.call("connection.register_remote_method",
                                           {"method_name": "paneldue_beep"}))["result"], "ok")
        called = agent.next_notification("paneldue_beep")
        await agent.call("printer.gcode.script", {"script": "BEEP"})
        self.assertEqual((await called)["params"], {"frequency": 300, "duration": 1.0})
