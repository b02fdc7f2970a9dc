"""Values JSON allows but no client may send, on every transport of the real daemon.

A lone surrogate (``\\ud800``) or a non-finite number (``NaN``, ``1e999999``)
is refused at the edge with a 400 (Invalid Request -32600 for an id), the
connection stays open, and nothing stored can make a later reply fail.
"""

from __future__ import annotations

import json
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import RunningDaemon
from tests.integration.raw_http import send_raw
from tests.integration.test_printer import klippy_ready, start_simulated

SURROGATE_SCRIPT = b'{"jsonrpc":"2.0","method":"printer.gcode.script","params":{"script":"M118 \\ud800"},"id":41}'
INVALID_STRING = {"code": 400, "message": "Invalid string: a lone surrogate is not valid Unicode"}
INVALID_REQUEST = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}


async def json_rpc_clients(test: TestCase, daemon: RunningDaemon) -> dict[str, Any]:
    return {"websocket": await connect_websocket(test, daemon.ws_url),
            "unix": await connect_unix(test, daemon.unix_path)}


async def http_post(daemon: RunningDaemon, path: str, body: bytes) -> tuple[int, Any]:
    head = (f"POST {path} HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    answer = await send_raw(daemon.port_of("http"), head + body)
    return answer.status, json.loads(answer.body)


class LoneSurrogateTests(TestCase):
    timeout = 60

    async def test_surrogate_script_is_400_on_every_transport_and_the_store_keeps_serving(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        clients = await json_rpc_clients(self, daemon)
        for name, client in clients.items():
            reply = await client.send_raw(SURROGATE_SCRIPT, 41)
            self.assertEqual(reply["error"], INVALID_STRING, name)
            self.assertEqual((await client.call("server.info"))["result"]["klippy_state"], "ready", name)
        status, body = await http_post(daemon, "/printer/gcode/script", b'{"script": "M118 \\ud800"}')
        self.assertEqual((status, body["error"]), (400, INVALID_STRING))
        status, body = await http_post(daemon, "/server/jsonrpc", SURROGATE_SCRIPT)
        self.assertEqual((status, body["error"]), (200, INVALID_STRING))
        response = await http_client(self).get(daemon.http_url + "/server/gcode_store")
        self.assertEqual(response.code, 200)
        self.assertNotIn("\ud800", json.dumps(await response.json()))

    async def test_surrogate_echoed_by_klippy_is_stored_and_served_escaped(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        clients = await json_rpc_clients(self, daemon)
        await clients["websocket"].call("server.connection.identify",
                                        {"client_name": "t", "version": "1", "type": "web", "url": "x"})
        # Klippy itself may send a lone surrogate (a file name that is not UTF-8):
        # a second client of the simulator's socket makes it echo one.
        klippy = await connect_unix(self, daemon.ctx.component("klippy").socket_path)
        echoed = clients["websocket"].next_notification("notify_gcode_response")
        await klippy.send_raw(b'{"id": 5, "method": "gcode/script", "params": {"script": "M118 \\ud800 x"}}', 5)
        self.assertEqual((await echoed)["params"], ["echo: \ud800 x"])
        response = await http_client(self).get(daemon.http_url + "/server/gcode_store")
        self.assertEqual(response.code, 200)
        self.assertIn(b'"echo: \\ud800 x"', await response.content())
        for name, client in clients.items():
            reply = await client.call("server.gcode_store", {"count": 5})
            self.assertIn("echo: \ud800 x", [line["message"] for line in reply["result"]["gcode_store"]], name)


class NonFiniteTests(TestCase):
    timeout = 60

    async def test_non_finite_id_is_invalid_request_everywhere_and_the_connection_stays(self) -> None:
        daemon = await start_simulated(self)
        clients = await json_rpc_clients(self, daemon)
        for raw_id in (b"1e999999", b"NaN", b"-Infinity"):
            call = b'{"jsonrpc":"2.0","method":"server.info","id":' + raw_id + b"}"
            for name, client in clients.items():
                self.assertEqual(await client.send_raw(call, None), INVALID_REQUEST, name)
                self.assertIn("result", await client.call("server.info"), name)
            status, body = await http_post(daemon, "/server/jsonrpc", call)
            self.assertEqual((status, body), (200, INVALID_REQUEST))

    async def test_non_finite_argument_is_400(self) -> None:
        daemon = await start_simulated(self)
        clients = await json_rpc_clients(self, daemon)
        call = b'{"jsonrpc":"2.0","method":"server.database.post_item","params":{"namespace":"x","key":"k",' \
               b'"value":1e999},"id":3}'
        for name, client in clients.items():
            reply = await client.send_raw(call, 3)
            self.assertEqual(reply["error"], {"code": 400, "message": "Invalid number: not finite"}, name)
        status, body = await http_post(daemon, "/server/database/item",
                                       b'{"namespace":"x","key":"k","value":NaN}')
        self.assertEqual((status, body["error"]["message"]), (400, "Invalid number: not finite"))


class ArgumentTypeTests(TestCase):
    timeout = 60

    async def test_wrong_argument_types_are_400_with_the_argument_name(self) -> None:
        daemon = await start_simulated(self)
        clients = await json_rpc_clients(self, daemon)
        for name, client in clients.items():
            reply = await client.call("server.files.zip", {"items": [1, [2, {}]]})
            self.assertEqual(reply["error"], {"code": 400, "message": "Unable to convert argument [items] to list "
                                                                      "of strings: value received: [1, [2, {}]]"}, name)
            reply = await client.call("server.files.metadata", {"filename": "a" * 5000})
            self.assertEqual(reply["error"]["code"], 400, name)
