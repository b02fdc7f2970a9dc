"""Debug APIs exist only when the daemon runs with --debug (-g), on every transport."""

from __future__ import annotations

import json
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon

NOTIFIER = "\n[notifier phone]\nurl: json://127.0.0.1:9/\nevents: complete\n"


async def request(test: TestCase, verb: str, url: str, body: Any = None) -> tuple[int, Any]:
    client = http_client(test)
    if verb == "GET":
        response = await client.get(url)
    elif verb == "DELETE":
        response = await client.delete(url)
    else:
        response = await client.post(url, json=body)
    return response.code, json.loads(await response.text())


class DebugApiTests(TestCase):
    async def test_without_debug_the_debug_methods_do_not_exist(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + NOTIFIER)
        for verb, path in (("GET", "/debug/database/list"), ("GET", "/debug/database/item?namespace=a&key=b"),
                           ("POST", "/debug/database/item"), ("DELETE", "/debug/database/item?namespace=a&key=b"),
                           ("POST", "/debug/notifiers/test?name=phone")):
            code, _ = await request(self, verb, daemon.http_url + path)
            self.assertEqual(code, 404, path)
        client = await connect_websocket(self, daemon.ws_url)
        for method in ("debug.database.list", "debug.database.get_item", "debug.database.post_item",
                       "debug.database.delete_item", "debug.notifiers.test"):
            reply = await client.call(method)
            self.assertEqual(reply["error"]["code"], -32601, method)

    async def test_with_debug_the_database_methods_reach_forbidden_namespaces(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG, debug=True)
        code, body = await request(self, "POST", daemon.http_url + "/debug/database/item",
                                   {"namespace": "authorized_users", "key": "probe", "value": 7})
        self.assertEqual((code, body["result"]["value"]), (200, 7))
        client = await connect_unix(self, daemon.unix_path)
        item = await client.call("debug.database.get_item", {"namespace": "authorized_users", "key": "probe"})
        self.assertEqual(item["result"]["value"], 7)
        listed = await client.call("debug.database.list")
        self.assertIn("authorized_users", listed["result"]["namespaces"])
        code, body = await request(self, "DELETE", daemon.http_url + "/debug/database/item?namespace=authorized_users&key=probe")
        self.assertEqual((code, body["result"]["value"]), (200, 7))
        plain = await client.call("server.database.get_item", {"namespace": "authorized_users", "key": "probe"})
        self.assertIn("error", plain)

    async def test_enable_debug_logging_is_deprecated_and_enables_nothing(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "enable_debug_logging: True\n")
        self.assertIsNone(daemon.ctx.registry.by_method("debug.database.list"))
        self.assertTrue(any("'enable_debug_logging' is deprecated" in w for w in daemon.ctx.warnings), daemon.ctx.warnings)
