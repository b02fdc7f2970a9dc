"""The daemon on real sockets, driven by real clients on every transport."""

from __future__ import annotations

import json

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from moontwist.api import Request, endpoint
from moontwist.protocols import jsoncodec
from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon


async def get_json(test: TestCase, url: str, **kwargs: object) -> tuple[int, dict]:
    response = await http_client(test).get(url, **kwargs)
    return response.code, json.loads(await response.text())


class HttpTransportTests(TestCase):
    async def test_server_info_over_http(self) -> None:
        daemon = await start_daemon(self)
        code, body = await get_json(self, daemon.http_url + "/server/info")
        self.assertEqual(code, 200)
        self.assertEqual(body["result"]["klippy_state"], "disconnected")
        self.assertEqual(body["result"]["api_version_string"], "1.5.0")

    async def test_an_immediate_answer_has_a_content_length_not_chunks(self) -> None:
        daemon = await start_daemon(self)
        received = Deferred()

        class RawClient(Protocol):
            data = b""

            def connectionMade(self) -> None:
                self.transport.write(b"GET /server/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

            def dataReceived(self, data: bytes) -> None:
                self.data += data

            def connectionLost(self, reason: object) -> None:
                received.callback(self.data)

        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", daemon.port_of("http")), RawClient())
        head, _, body = (await received).partition(b"\r\n\r\n")
        headers = head.lower().split(b"\r\n")
        self.assertIn(b"content-length: %d" % len(body), headers)
        self.assertNotIn(b"transfer-encoding: chunked", headers)
        self.assertEqual(json.loads(body)["result"]["klippy_state"], "disconnected")

    async def test_unknown_path_is_json_404(self) -> None:
        daemon = await start_daemon(self)
        code, body = await get_json(self, daemon.http_url + "/server/nothing")
        self.assertEqual((code, body), (404, {"error": {"code": 404, "message": "Not Found"}}))

    async def test_wrong_verb_is_json_405(self) -> None:
        daemon = await start_daemon(self)
        response = await http_client(self).delete(daemon.http_url + "/server/info")
        self.assertEqual(response.code, 405)
        self.assertEqual(json.loads(await response.text())["error"]["code"], 405)

    async def test_get_carries_etag_and_honours_if_none_match(self) -> None:
        daemon = await start_daemon(self)
        url = daemon.http_url + "/server/config"
        first = await http_client(self).get(url)
        await first.content()
        etag = first.headers.getRawHeaders("etag")[0]
        second = await http_client(self).get(url, headers={"If-None-Match": etag})
        self.assertEqual((second.code, await second.content()), (304, b""))

    async def test_error_body_has_no_traceback_by_default(self) -> None:
        daemon = await start_daemon(self)
        code, body = await get_json(self, daemon.http_url + "/server/info?raw:bool=maybe")
        self.assertEqual(code, 400)
        self.assertNotIn("traceback", body["error"])

    async def test_invalid_json_body_is_400(self) -> None:
        daemon = await start_daemon(self)
        response = await http_client(self).post(daemon.http_url + "/server/restart", data=b"{not json",
                                   headers={"Content-Type": "application/json"})
        self.assertEqual(response.code, 400)
        self.assertIn("Error Parsing JSON body", json.loads(await response.text())["error"]["message"])

    async def test_jsonrpc_over_http_always_answers_200(self) -> None:
        daemon = await start_daemon(self)
        url = daemon.http_url + "/server/jsonrpc"
        good = await http_client(self).post(url, data=b'{"jsonrpc":"2.0","method":"server.info","id":5}')
        self.assertEqual((good.code, json.loads(await good.text())["id"]), (200, 5))
        bad = await http_client(self).post(url, data=b'{"jsonrpc":"2.0","method":"server.nope","id":6}')
        self.assertEqual((bad.code, json.loads(await bad.text())["error"]["code"]), (200, -32601))

    async def test_identify_is_not_available_over_http_jsonrpc(self) -> None:
        daemon = await start_daemon(self)
        response = await http_client(self).post(daemon.http_url + "/server/jsonrpc",
                                   data=b'{"jsonrpc":"2.0","method":"server.websocket.id","id":1}')
        self.assertEqual(json.loads(await response.text())["error"]["code"], -32601)

    async def test_route_prefix_moves_every_route(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "route_prefix: printer1/\n")
        code, _ = await get_json(self, daemon.http_url + "/printer1/server/info")
        self.assertEqual(code, 200)
        code, _ = await get_json(self, daemon.http_url + "/server/info")
        self.assertEqual(code, 404)


class WebsocketTransportTests(TestCase):
    async def test_server_info_over_websocket(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("server.info")
        self.assertEqual(reply["result"]["websocket_count"], 1)

    async def test_identify_once_then_error(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        params = {"client_name": "test", "version": "1", "type": "web", "url": "http://x"}
        first = await client.call("server.connection.identify", params)
        ws_id = await client.call("server.websocket.id")
        self.assertEqual(first["result"]["connection_id"], ws_id["result"]["websocket_id"])
        second = await client.call("server.connection.identify", params)
        self.assertEqual(second["error"]["code"], 400)

    async def test_parse_error_has_null_id(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.send_raw(b"{broken", None)
        self.assertEqual(reply, {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None})

    async def test_missing_required_argument_and_wrong_type(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        missing = await client.call("server.connection.identify", {"client_name": "x"})
        self.assertEqual(missing["error"], {"code": 400, "message": "No data for argument: version"})
        wrong = await client.call("server.info", {"raw": {"a": 1}})
        self.assertEqual(wrong["error"]["code"], 400)

    async def test_batch_over_websocket(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        done = Deferred()
        client.pending[None] = done
        client.sendMessage(b'[{"jsonrpc":"2.0","method":"server.info","id":1},'
                           b'{"jsonrpc":"2.0","method":"nope","id":2}]')
        await deferLater(reactor, 0.2, lambda: None)
        batch = [message for message in client.raw if isinstance(message, list)][-1]
        self.assertEqual([m["id"] for m in batch], [1, 2])
        self.assertEqual(batch[1]["error"]["code"], -32601)

    async def test_ten_megabyte_frame_closes_that_connection_only(self) -> None:
        daemon = await start_daemon(self)
        big = await connect_websocket(self, daemon.ws_url)
        other = await connect_websocket(self, daemon.ws_url)
        big.sendMessage(b'{"jsonrpc":"2.0","method":"server.info","params":{"x":"' + b"a" * 10_000_000 + b'"},"id":1}')
        code = await big.closed
        self.assertEqual(code, 1009)
        reply = await other.call("server.info")
        self.assertIn("result", reply)

    async def test_invalid_utf8_text_frame_closes_connection(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        client.sendMessage(b'{"jsonrpc":"2.0","method":"\xff\xfe","id":1}', isBinary=False)
        self.assertEqual(await client.closed, 1007)

    async def test_connection_past_the_limit_gets_json_503(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "max_websocket_connections: 1\n")
        first = await connect_websocket(self, daemon.ws_url)
        with self.assertRaises(ConnectionError):
            await connect_websocket(self, daemon.ws_url)
        response = await http_client(self).get(daemon.http_url + "/websocket",
                                  headers={"Upgrade": "websocket", "Connection": "Upgrade"})
        self.assertEqual(response.code, 503)
        body = json.loads(await response.text())
        self.assertEqual(body["error"]["message"], "Maximum number of open websockets reached")

    async def test_notification_reaches_websocket_and_unix_clients(self) -> None:
        daemon = await start_daemon(self)
        ws = await connect_websocket(self, daemon.ws_url)
        unix = await connect_unix(self, daemon.unix_path)
        await unix.call("server.info")
        waits = [ws.next_notification("notify_test"), unix.next_notification("notify_test")]
        daemon.ctx.notify("notify_test", [{"n": 1}])
        for waiting in waits:
            self.assertEqual((await waiting)["params"], [{"n": 1}])


class UnixTransportTests(TestCase):
    async def test_server_info_over_unix_socket(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_unix(self, daemon.unix_path)
        reply = await client.call("server.info")
        self.assertIn("klippy_connected", reply["result"])

    async def test_invalid_utf8_is_a_parse_error(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_unix(self, daemon.unix_path)
        reply = await client.send_raw(b'{"jsonrpc":"2.0","method":"\xff","id":1}', None)
        self.assertEqual(reply["error"]["code"], -32700)

    async def test_garbage_without_etx_is_disconnected_and_others_served(self) -> None:
        daemon = await start_daemon(self)
        garbage = await connect_unix(self, daemon.unix_path)
        chunk = b"x" * 65536
        for _ in range(48):
            garbage.transport.write(chunk)
        await garbage.closed
        other = await connect_unix(self, daemon.unix_path)
        self.assertIn("result", await other.call("server.info"))


class HttpArgumentTests(TestCase):
    async def test_bare_names_and_type_hints_reach_the_handler(self) -> None:
        daemon = await start_daemon(self)
        seen = []

        class Probe:
            @endpoint("test.args", "GET /test/args")
            def args(self, request: Request) -> dict:
                seen.append(request.args)
                return {}

        daemon.ctx.registry.register(Probe())
        daemon.service.getServiceNamed("http").factory.resource.build()
        await get_json(self, daemon.http_url + "/test/args?extruder&fan=speed&n:int=3&f:json=%7B%22a%22%3A1%7D")
        self.assertEqual(seen, [{"extruder": "", "fan": "speed", "n": 3, "f": {"a": 1}}])

    async def test_body_wins_over_query_for_json_and_form(self) -> None:
        daemon = await start_daemon(self)
        seen = []

        class Probe:
            @endpoint("test.body", "POST /test/body")
            def body(self, request: Request) -> dict:
                seen.append(request.args)
                return {}

        daemon.ctx.registry.register(Probe())
        daemon.service.getServiceNamed("http").factory.resource.build()
        client = http_client(self)
        response = await client.post(daemon.http_url + "/test/body?a=query&b=query", data=b'{"a": "json"}',
                                     headers={"Content-Type": "application/json"})
        await response.content()
        response = await client.post(daemon.http_url + "/test/body?a=query", data=b"a=form&c=",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        await response.content()
        self.assertEqual(seen, [{"a": "json", "b": "query"}, {"a": "form", "c": ""}])

    async def test_invalid_utf8_in_query_is_400(self) -> None:
        daemon = await start_daemon(self)
        code, body = await get_json(self, daemon.http_url + "/server/info?raw=%ff")
        self.assertEqual((code, body["error"]["message"]), (400, "Invalid UTF-8 in request arguments"))


class ShutdownTests(TestCase):
    async def test_stopping_the_daemon_closes_client_connections(self) -> None:
        daemon = await start_daemon(self)
        ws = await connect_websocket(self, daemon.ws_url)
        unix = await connect_unix(self, daemon.unix_path)
        await daemon.service.stopService()
        self.assertEqual(await ws.closed, 1000)
        await unix.closed
        self.assertEqual(len(daemon.ctx.connections), 0)


class ServerMethodTests(TestCase):
    async def test_only_one_agent_per_client_name(self) -> None:
        daemon = await start_daemon(self)
        params = {"client_name": "bot", "version": "1", "type": "agent", "url": "x"}
        first = await connect_websocket(self, daemon.ws_url)
        second = await connect_websocket(self, daemon.ws_url)
        self.assertIn("result", await first.call("server.connection.identify", params))
        reply = await second.call("server.connection.identify", params)
        self.assertEqual(reply["error"]["code"], 400)
        web = await second.call("server.connection.identify", {**params, "type": "web"})
        self.assertIn("result", web)

    async def test_debug_flag_adds_a_traceback_to_error_bodies(self) -> None:
        daemon = await start_daemon(self, debug=True)
        code, body = await get_json(self, daemon.http_url + "/server/info?raw:bool=maybe")
        self.assertEqual(code, 400)
        code, body = await get_json(self, daemon.http_url + "/server/database/item?namespace=none&key=x")
        self.assertEqual(code, 404)
        self.assertIn("Traceback", body["error"]["traceback"])

    async def test_server_config_shows_defaults_orig_and_files(self) -> None:
        daemon = await start_daemon(self)
        code, body = await get_json(self, daemon.http_url + "/server/config")
        result = body["result"]
        self.assertEqual(result["config"]["server"]["max_websocket_connections"], 50)
        self.assertEqual(result["orig"]["server"]["port"], "0")
        self.assertEqual(result["files"][0]["filename"], "moonraker.conf")

    async def test_unknown_option_and_section_are_server_info_warnings(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "no_such_option: 1\n\n[no_such_section]\nx: 1\n")
        code, body = await get_json(self, daemon.http_url + "/server/info")
        warnings = " ".join(body["result"]["warnings"])
        self.assertIn("Unparsed config option 'no_such_option: 1'", warnings)
        self.assertIn("[no_such_section]: moontwist has no no_such_section component", warnings)

    async def test_database_round_trip_over_http_and_websocket(self) -> None:
        daemon = await start_daemon(self)
        client = http_client(self)
        response = await client.post(daemon.http_url + "/server/database/item", json={
            "namespace": "mainsail", "key": "general.theme", "value": "dark"})
        self.assertEqual((await response.json())["result"]["value"], "dark")
        ws = await connect_websocket(self, daemon.ws_url)
        reply = await ws.call("server.database.get_item", {"namespace": "mainsail"})
        self.assertEqual(reply["result"]["value"], {"general": {"theme": "dark"}})
        missing = await ws.call("server.database.get_item", {"namespace": "mainsail", "key": "nope"})
        self.assertEqual(missing["error"]["code"], -32601)
        protected = await ws.call("server.database.post_item",
                                  {"namespace": "history", "key": "x", "value": 1})
        self.assertEqual(protected["error"]["code"], 403)

    async def test_section_of_a_served_component_without_options_is_not_a_warning(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "\n[history]\n\n[job_state]\n")
        code, body = await get_json(self, daemon.http_url + "/server/info")
        self.assertEqual([w for w in body["result"]["warnings"] if "Unparsed" in w], [])
