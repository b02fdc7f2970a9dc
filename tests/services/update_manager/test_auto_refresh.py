"""Automatic refreshes: hourly, inside ``refresh_window``, once an application's interval has passed."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import start_daemon
from tests.services.machine.helpers import calls
from tests.services.update_manager.fixtures import host_programs, origin_in, update_config

HOUR = 3600.0


class AutoRefreshTests(TestCase):
    timeout = 30

    async def test_refreshes_only_inside_the_window_and_after_the_interval(self) -> None:
        programs = host_programs(self)
        origin = origin_in(self)
        config = update_config(origin, extra="enable_auto_refresh: True\nrefresh_window: 22-3\nrefresh_interval: 24")
        daemon = await start_daemon(self, config)
        manager = daemon.ctx.component("update_manager")
        self.assertEqual(manager._timer.interval, HOUR)
        fetches = lambda: [line for line in calls(programs) if line.startswith("git fetch")]  # noqa: E731
        now = 1_000_000_000.0
        manager.now = lambda: now
        manager.local_hour = lambda: 12
        self.assertIsNone(manager.auto_refresh())
        self.assertEqual(fetches(), [])

        client = await connect_websocket(self, daemon.ws_url)
        refreshed = client.next_notification("notify_update_refreshed")
        manager.local_hour = lambda: 1  # inside 22-3, which wraps midnight
        await manager.auto_refresh()
        self.assertEqual(len(fetches()), 1)
        self.assertIn("klipper", (await refreshed)["params"][0]["version_info"])

        now += 23 * HOUR
        self.assertIsNone(manager.auto_refresh())
        now += 2 * HOUR
        await manager.auto_refresh()
        self.assertEqual(len(fetches()), 2)

    async def test_no_timer_without_enable_auto_refresh(self) -> None:
        host_programs(self)
        daemon = await start_daemon(self, update_config(origin_in(self)))
        self.assertIsNone(daemon.ctx.component("update_manager")._timer)
