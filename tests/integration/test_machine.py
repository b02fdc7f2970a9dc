"""The machine side of the real daemon: the 1 Hz heartbeat, system info, process stats, components."""

from __future__ import annotations

import platform
import sys
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import start_daemon
from tests.integration.process import wait_for


class MachineTests(TestCase):
    timeout = 30

    async def test_a_listening_websocket_gets_proc_stats_every_second(self) -> None:
        # The 1 s cadence is proven on a Clock (test_proc_stats); here: a client that only listens gets them.
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)

        def updates() -> list[Any]:
            return [m["params"][0] for m in client.notifications if m["method"] == "notify_proc_stat_update"]

        await wait_for(lambda: len(updates()) >= 3)
        samples = daemon.ctx.component("proc_stats").samples
        times = [update["moonraker_stats"]["time"] for update in updates()]
        self.assertEqual(times, sorted(set(times)))
        self.assertLessEqual(set(times), {sample["time"] for sample in samples})
        latest = updates()[-1]
        self.assertEqual(latest["websocket_connections"], 1)
        self.assertGreater(latest["moonraker_stats"]["memory"], 0)
        self.assertEqual(latest["moonraker_stats"]["mem_units"], "kB")
        self.assertIn("cpu", latest["system_cpu_usage"])

    async def test_proc_stats_and_system_info_over_http(self) -> None:
        daemon = await start_daemon(self)
        await wait_for(lambda: bool(daemon.ctx.component("proc_stats").samples))
        client = http_client(self)
        stats = (await (await client.get(daemon.http_url + "/machine/proc_stats")).json())["result"]
        self.assertGreaterEqual(len(stats["moonraker_stats"]), 1)
        self.assertGreater(stats["system_uptime"], 0)
        self.assertIsNone(stats["throttled_state"])
        info = (await (await client.get(daemon.http_url + "/machine/system_info")).json())["result"]["system_info"]
        self.assertGreater(info["cpu_info"]["cpu_count"], 0)
        self.assertEqual(info["python"]["version"][:2], list(sys.version_info[:2]))
        self.assertIn(info["virtualization"]["virt_type"], ("none", "container", "vm"))
        self.assertIsInstance(info["distribution"]["name"], str)
        self.assertEqual(info["distribution"]["kernel_version"], platform.release())
        self.assertIsInstance(info["distribution"]["release_info"], dict)
        self.assertEqual(info["provider"], "systemd_dbus")

    async def test_components_are_listed_because_they_are_served(self) -> None:
        daemon = await start_daemon(self)
        client = http_client(self)
        info = (await (await client.get(daemon.http_url + "/server/info")).json())["result"]
        for name in ("machine", "proc_stats", "job_state", "history", "job_queue"):
            self.assertIn(name, info["components"])
        for path in ("/server/history/list", "/server/history/totals", "/server/job_queue/status",
                     "/machine/sudo/info"):
            response = await client.get(daemon.http_url + path)
            self.assertEqual(response.code, 200, path)
            await response.content()
