"""``GET /`` answers a small HTML page, as Moonraker's root does, open to everyone."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon

UNTRUSTED = "[authorization]\n[server]\nhost: 127.0.0.1\nport: 0\nssl_port: 0\n"


class WelcomePageTests(TestCase):
    async def page(self, config: str) -> tuple[int, str, str]:
        daemon = await start_daemon(self, config)
        daemon.ctx.warnings.append("Something <odd> in moonraker.conf")
        response = await http_client(self).get(daemon.http_url + "/")
        content_type = response.headers.getRawHeaders(b"content-type")[0].decode()
        return response.code, content_type, await response.text()

    async def test_trusted_device_sees_it_is_authorized_and_the_warnings(self) -> None:
        code, content_type, text = await self.page(BASE_CONFIG)
        self.assertEqual((code, content_type), (200, "text/html; charset=UTF-8"))
        self.assertIn("<title>moontwist ", text)
        self.assertIn("Your device is authorized", text)
        self.assertIn("Klipper is not connected.", text)
        self.assertIn("Something &lt;odd&gt; in moonraker.conf", text)

    async def test_untrusted_device_gets_the_page_without_warnings(self) -> None:
        code, _, text = await self.page(UNTRUSTED)
        self.assertEqual(code, 200)
        self.assertIn("Your device is not authorized", text)
        self.assertNotIn("Something", text)
