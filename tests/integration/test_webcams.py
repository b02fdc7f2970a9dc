"""Webcams on the running daemon, over HTTP, the websocket and the Unix socket, as Mainsail uses them."""

from __future__ import annotations

import json
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon

WEBCAM_CONFIG = BASE_CONFIG + """
[webcam printer]
stream_url: /webcam/?action=stream
snapshot_url: /webcam/?action=snapshot
"""


class WebcamIntegrationTests(TestCase):
    timeout = 30

    async def test_mainsail_start_and_webcam_panel_on_every_transport(self) -> None:
        daemon = await start_daemon(self, WEBCAM_CONFIG)
        http = http_client(self)
        info = json.loads(await (await http.get(daemon.http_url + "/server/info")).text())["result"]
        self.assertIn("webcam", info["components"])
        listed = json.loads(await (await http.get(daemon.http_url + "/server/webcams/list")).text())["result"]
        self.assertEqual([(cam["name"], cam["source"]) for cam in listed["webcams"]], [("printer", "config")])

        # Mainsail: init list, then a new webcam from its settings dialog over the websocket.
        mainsail = await connect_websocket(self, daemon.ws_url)
        watcher = await connect_unix(self, daemon.unix_path)
        announced = watcher.next_notification("notify_webcams_changed")
        first = await mainsail.call("server.webcams.list", {})
        self.assertEqual(first["result"], listed)
        posted = await mainsail.call("server.webcams.post_item", {
            "name": "nozzle", "service": "webrtc-camerastreamer", "icon": "mdiRadar", "enabled": True,
            "target_fps": 15, "target_fps_idle": 5, "stream_url": "/webcam2/webrtc", "snapshot_url": "",
            "flip_horizontal": False, "flip_vertical": True, "rotation": 270, "aspect_ratio": "16:9",
            "extra_data": {"nozzleCrosshair": True}})
        nozzle = posted["result"]["webcam"]
        self.assertEqual((nozzle["source"], nozzle["rotation"], nozzle["extra_data"]),
                         ("database", 270, {"nozzleCrosshair": True}))
        notification = await announced
        self.assertEqual([cam["name"] for cam in notification["params"][0]["webcams"]], ["printer", "nozzle"])

        # The Unix socket and HTTP see it at once; the config webcam stays read-only everywhere.
        got = await watcher.call("server.webcams.get_item", {"uid": nozzle["uid"]})
        self.assertEqual(got["result"], {"webcam": nozzle})
        refused = await mainsail.call("server.webcams.delete_item", {"name": "printer"})
        self.assertEqual(refused["error"], {
            "code": 400, "message": "Cannot delete webcam 'printer' sourced from Moonraker configuration"})
        response = await http.post(daemon.http_url + "/server/webcams/item", json={"name": "printer", "rotation": 90})
        self.assertEqual(response.code, 400)
        await response.content()
        missing = await mainsail.call("server.webcams.get_item", {"name": "gone"})
        self.assertEqual(missing["error"], {"code": -32601, "message": "Webcam gone not found"})

        # Deleting over HTTP answers the removed webcam; the namespace record goes too.
        response = await http.delete(daemon.http_url + "/server/webcams/item", params={"name": "nozzle"})
        self.assertEqual(json.loads(await response.text())["result"], {"webcam": nozzle})
        namespaces = (await mainsail.call("server.database.list", {}))["result"]["namespaces"]
        self.assertNotIn("webcams", namespaces)

    async def test_no_webcam_configured_lists_an_empty_list_and_mainsail_may_write_the_namespace(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        self.assertEqual((await client.call("server.webcams.list"))["result"], {"webcams": []})
        # Mainsail's theme defaults are written straight into the ``webcams`` namespace.
        record: dict[str, Any] = {"name": "theme cam", "urlStream": "/webcam/?action=stream", "service": "mjpegstreamer"}
        written = await client.call("server.database.post_item",
                                    {"namespace": "webcams", "key": "6a4c1c2e-theme", "value": record})
        self.assertIn("result", written)
        listed = (await client.call("server.webcams.list"))["result"]["webcams"]
        self.assertEqual([(cam["name"], cam["uid"]) for cam in listed], [("theme cam", "6a4c1c2e-theme")])

    async def test_webcam_test_answers_the_resolved_urls(self) -> None:
        daemon = await start_daemon(self, WEBCAM_CONFIG)
        # This machine's LAN address would be the default host; tests reach loopback only.
        daemon.ctx.component("webcam").probe.default_host = lambda: "http://127.0.0.1"
        client = await connect_websocket(self, daemon.ws_url)
        tested = (await client.call("server.webcams.test", {"name": "printer"}))["result"]
        self.assertEqual(set(tested), {"name", "snapshot_reachable", "snapshot_url", "stream_url"})
        self.assertEqual(tested["stream_url"], "http://127.0.0.1/webcam/?action=stream")
        self.assertIs(type(tested["snapshot_reachable"]), bool)
