"""Spoolman on the real daemon: a fake Spoolman on loopback, the Klippy simulator, real clients."""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.process import wait_for
from tests.integration.test_jobs import extruding_print, start_with_simulator
from tests.services.spoolman.fake_spoolman import FakeSpoolman


def spoolman_config(spoolman: FakeSpoolman) -> str:
    return f"\n[spoolman]\nserver: {spoolman.url}\nsync_rate: 1\n"


async def call(daemon: RunningDaemon, test: TestCase, verb: str, path: str, body: Any = None) -> tuple[int, Any]:
    if body is None:
        response = await http_client(test).request(verb, daemon.http_url + path)
    else:
        response = await http_client(test).request(verb, daemon.http_url + path, json=body)
    return response.code, await response.json()


class SpoolmanIntegrationTests(TestCase):
    timeout = 90

    def start_spoolman(self) -> FakeSpoolman:
        spoolman = FakeSpoolman()
        spoolman.add_spool(1)
        spoolman.add_spool(2)
        spoolman.start()
        self.addCleanup(spoolman.stop)
        return spoolman

    async def connected(self, daemon: RunningDaemon, expected: bool = True) -> None:
        await wait_for(lambda: daemon.ctx.component("spoolman").connected is expected, timeout=20)

    async def test_status_and_the_proxy_in_both_answer_forms(self) -> None:
        spoolman = self.start_spoolman()
        daemon = await start_daemon(self, BASE_CONFIG + spoolman_config(spoolman))
        await self.connected(daemon)
        self.assertIn("spoolman", (await call(daemon, self, "GET", "/server/info"))[1]["result"]["components"])
        status, body = await call(daemon, self, "GET", "/server/spoolman/status")
        self.assertEqual(body["result"], {"spoolman_connected": True, "pending_reports": [], "spool_id": None})

        status, body = await call(daemon, self, "POST", "/server/spoolman/proxy",
                                  {"request_method": "GET", "path": "/v1/spool"})
        self.assertEqual((status, [spool["id"] for spool in body["result"]]), (200, [1, 2]))
        status, body = await call(daemon, self, "POST", "/server/spoolman/proxy",
                                  {"request_method": "GET", "path": "/v1/spool", "query": "limit=1",
                                   "use_v2_response": True})
        result = body["result"]
        self.assertEqual((result["error"], result["response_headers"]["X-Total-Count"]), (None, "2"))
        self.assertIn(("GET", "/api/v1/spool?limit=1"), spoolman.calls)

        status, body = await call(daemon, self, "POST", "/server/spoolman/proxy",
                                  {"request_method": "GET", "path": "/v1/spool/99"})
        self.assertEqual((status, body["error"]["message"]), (404, "Not Found"))
        status, body = await call(daemon, self, "POST", "/server/spoolman/proxy",
                                  {"request_method": "GET", "path": "/v1/spool/99", "use_v2_response": True})
        self.assertEqual((status, body["result"]), (200, {"response": None, "error": {
            "status_code": 404, "message": "No spool with ID 99 found."}}))

        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("server.spoolman.proxy", {
            "request_method": "PATCH", "path": "/v1/spool/2", "body": {"comment": "dried"}})
        self.assertEqual(answer["result"]["comment"], "dried")
        answer = await client.call("server.spoolman.proxy", {"request_method": "GET", "path": "/v1/spool/99"})
        # Spoolman's 404 is the proxy's 404, which JSON-RPC reports as -32601 (as Moonraker does).
        self.assertEqual(answer["error"], {"code": -32601, "message": "Not Found"})

    async def test_a_print_reports_its_filament_to_the_active_spool(self) -> None:
        spoolman = self.start_spoolman()
        daemon = await start_with_simulator(self, spoolman_config(spoolman))
        await self.connected(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        answer = await client.call("server.spoolman.post_spool_id", {"spool_id": 2})
        self.assertEqual(answer["result"], {"spool_id": 2})
        self.assertEqual(daemon.ctx.component("database").namespace("moonraker").get(["spoolman", "spool_id"]), 2)
        (daemon.data_path / "gcodes" / "extrude.gcode").write_text(extruding_print())
        await client.call("printer.objects.subscribe", {"objects": {"print_stats": ["filament_used", "state"]}})
        await client.call("printer.print.start", {"filename": "extrude.gcode"})
        await wait_for(lambda: daemon.ctx.component("job_state").state == "complete", timeout=60)
        final = daemon.ctx.component("klippy").status["print_stats"]["filament_used"]
        await wait_for(lambda: abs(spoolman.used(2) - final) < 1e-6, timeout=10)
        self.assertEqual(spoolman.used(1), 0.0)
        self.assertEqual(spoolman.spools[2]["used_length"], spoolman.used(2))

    async def test_use_while_spoolman_is_down_reaches_it_when_it_returns(self) -> None:
        spoolman = self.start_spoolman()
        daemon = await start_with_simulator(self, spoolman_config(spoolman))
        await self.connected(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("server.spoolman.post_spool_id", {"spool_id": 1})
        await spoolman.stop()
        await self.connected(daemon, False)
        self.assertIn({"spoolman_connected": False},
                      [m["params"][0] for m in client.notifications if m["method"] == "notify_spoolman_status_changed"])
        answer = await client.call("server.spoolman.proxy", {"request_method": "GET", "path": "/v1/spool"})
        self.assertEqual(answer["error"], {"code": 503, "message": "Spoolman server not available"})

        (daemon.data_path / "gcodes" / "extrude.gcode").write_text(extruding_print())
        await client.call("printer.print.start", {"filename": "extrude.gcode"})
        await wait_for(lambda: daemon.ctx.component("job_state").state == "complete", timeout=60)
        final = daemon.ctx.component("klippy").status["print_stats"]["filament_used"]
        stored = daemon.ctx.component("database").namespace("moonraker")
        await wait_for(lambda: stored.get(["spoolman", "pending_reports"], {}).get("1") == final, timeout=10)
        status = (await client.call("server.spoolman.status"))["result"]
        self.assertEqual(status["pending_reports"], [{"spool_id": 1, "filament_used": final}])

        spoolman.start()
        await self.connected(daemon)
        await wait_for(lambda: abs(spoolman.used(1) - final) < 1e-6, timeout=10)
        self.assertEqual(len(spoolman.uses), 1)
        await wait_for(lambda: stored.get(["spoolman", "pending_reports"]) == {}, timeout=10)

    async def test_deleting_the_active_spool_in_spoolman_clears_it(self) -> None:
        spoolman = self.start_spoolman()
        daemon = await start_daemon(self, BASE_CONFIG + spoolman_config(spoolman))
        await self.connected(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("server.spoolman.post_spool_id", {"spool_id": 1})
        cleared = client.next_notification("notify_active_spool_set")
        spoolman.delete_spool(1)
        self.assertEqual((await cleared)["params"], [{"spool_id": None}])
        self.assertEqual((await client.call("server.spoolman.get_spool_id"))["result"], {"spool_id": None})

    async def test_a_spoolman_that_refuses_the_websocket_is_not_connected(self) -> None:
        spoolman = self.start_spoolman()
        spoolman.refuse_websocket = True
        daemon = await start_daemon(self, BASE_CONFIG + spoolman_config(spoolman))
        await wait_for(lambda: any(call == ("GET", "/api/v1/spool") for call in spoolman.calls), timeout=20)
        status, body = await call(daemon, self, "GET", "/server/spoolman/status")
        self.assertFalse(body["result"]["spoolman_connected"])


class SpoolmanConfigTests(TestCase):
    async def test_without_the_section_there_is_no_spoolman_api(self) -> None:
        daemon = await start_daemon(self)
        status, body = await call(daemon, self, "GET", "/server/spoolman/status")
        self.assertEqual(status, 404)
        self.assertNotIn("spoolman", (await call(daemon, self, "GET", "/server/info"))[1]["result"]["components"])

    async def test_a_bad_server_address_fails_the_component_not_the_daemon(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "\n[spoolman]\nserver: http://spoolman:99999\n")
        info = (await call(daemon, self, "GET", "/server/info"))[1]["result"]
        self.assertIn("spoolman", info["failed_components"])
        self.assertIn("Unable to load component (spoolman): Section [spoolman], Option server: "
                      "http://spoolman:99999: Invalid URL format", info["warnings"])
