"""The versions a client reads from the running daemon, over the websocket as Fluidd reads them."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from moontwist import __version__
from tests.integration.clients import connect_websocket
from tests.integration.daemon import start_daemon
from tests.services.test_versions import fluidd_accepts, fluidd_min_api, mainsail_too_old, mobileraker_version


class VersionIntegrationTests(TestCase):
    async def test_fluidd_mainsail_and_mobileraker_read_moonraker_0_11(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("server.connection.identify",
                          {"client_name": "fluidd", "version": "1.37.4", "type": "web", "url": "https://fluidd.xyz"})
        info = (await client.call("server.info", {}))["result"]
        self.assertTrue(fluidd_accepts(info["moonraker_version"]))
        self.assertTrue(fluidd_min_api(info["api_version_string"], "1.5.0"))
        self.assertFalse(mainsail_too_old(info["moonraker_version"], "v0.11.0-0"))
        self.assertEqual(mobileraker_version(info["moonraker_version"])[:3], (0, 11, 0))
        self.assertEqual(info["moontwist_version"], __version__)
