"""Announcements on the running daemon, fed by a feed server on loopback, on every transport."""

from __future__ import annotations

import json
import os

from twisted.trial.unittest import TestCase

from moontwist.app import ANNOUNCEMENTS_URL_VARIABLE
from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import start_daemon
from tests.services.announcements.feeds import item, rss, serve_feeds


class AnnouncementsIntegrationTests(TestCase):
    timeout = 30

    def use_feed_server(self) -> tuple[object, str]:
        feeds, base_url, _ = serve_feeds(self)
        self.patch(os, "environ", {**os.environ, ANNOUNCEMENTS_URL_VARIABLE: base_url})
        return feeds, base_url

    async def test_mainsail_and_fluidd_read_and_dismiss_announcements(self) -> None:
        feeds, _ = self.use_feed_server()
        feeds.publish("moonraker", rss("moonraker", item("moonraker/2025/1", "Moonraker news")))  # type: ignore[attr-defined]
        feeds.publish("klipper", rss("klipper", item("klipper/2025/1", "Klipper news", priority="high")))  # type: ignore[attr-defined]
        daemon = await start_daemon(self)
        http = http_client(self)
        info = json.loads(await (await http.get(daemon.http_url + "/server/info")).text())["result"]
        self.assertIn("announcements", info["components"])

        mainsail = await connect_websocket(self, daemon.ws_url)
        # The first scheduled fetch comes a few seconds after start; ask for one now.
        updated = (await mainsail.call("server.announcements.update", {}))["result"]
        self.assertTrue(updated["modified"])
        listed = (await mainsail.call("server.announcements.list", {}))["result"]
        self.assertEqual(listed["feeds"], ["moonraker", "klipper"])
        self.assertEqual(sorted(e["entry_id"] for e in listed["entries"]), ["klipper/2025/1", "moonraker/2025/1"])

        display = await connect_unix(self, daemon.unix_path)
        dismissed = display.next_notification("notify_announcement_dismissed")
        response = await http.post(daemon.http_url + "/server/announcements/dismiss",
                                   json={"entry_id": "klipper/2025/1", "wake_time": 86400})
        self.assertEqual(json.loads(await response.text())["result"], {"entry_id": "klipper/2025/1"})
        self.assertEqual((await dismissed)["params"], [{"entry_id": "klipper/2025/1"}])
        undismissed = (await display.call("server.announcements.list", {"include_dismissed": False}))["result"]
        self.assertEqual([e["entry_id"] for e in undismissed["entries"]], ["moonraker/2025/1"])

        feeds.publish("voron", rss("voron", item("voron/1", "Voron news")))  # type: ignore[attr-defined]
        announced = mainsail.next_notification("notify_announcement_update")
        added = (await mainsail.call("server.announcements.post_feed", {"name": "voron"}))["result"]
        self.assertEqual(added, {"feed": "voron", "action": "added"})
        self.assertIn("voron/1", [e["entry_id"] for e in (await announced)["params"][0]["entries"]])
        missing = await mainsail.call("server.announcements.dismiss", {"entry_id": "nope"})
        self.assertEqual(missing["error"], {"code": 400, "message": "No key matching entry id: nope"})
