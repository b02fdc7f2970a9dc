"""Attacks on the real daemon over real sockets, each expecting a precise refusal.

Loopback is an untrusted address unless a config trusts it, so "an attacker
on the network" is any client here with ``trusted_clients`` left empty.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from moontwist.api import Transport
from moontwist.errors import ApiError
from moontwist.services.authorization.users import TRUSTED_USER
from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import RunningDaemon, start_daemon

SERVER = "[server]\nhost: 127.0.0.1\nport: 0\nssl_port: 0\n\n"
UNTRUSTED = (SERVER + "[octoprint_compat]\n\n"
             "[authorization]\ncors_domains:\n    http://allowed.example\n    *.home\n")
TRUSTED = SERVER + "[authorization]\ntrusted_clients:\n    127.0.0.0/8\n"
FORCED = TRUSTED + "force_logins: True\n"
# Every endpoint a client may call without a user. Adding one is a decision: add it here too.
OPEN_METHODS = {"access.login", "access.refresh_jwt", "access.info", "server.connection.identify",
                "octoprint.version", "octoprint.server"}
REACHED = 418


async def request(test: TestCase, daemon: RunningDaemon, verb: str, path: str,
                  headers: dict[str, str] | None = None, body: Any = None) -> tuple[int, Any, Any]:
    """``(status, decoded JSON body or None, response headers)``."""
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json", **(headers or {})} if data else (headers or {})
    response = await http_client(test).request(verb, daemon.http_url + path, headers=all_headers, data=data)
    text = await response.text()
    if not getattr(test, "waits_for_closes", False):
        # Let the server see the connections close before the daemon stops (a clean reactor).
        test.waits_for_closes = True  # type: ignore[attr-defined]
        test.addCleanup(deferLater, reactor, 0.05, lambda: None)
    return response.code, (json.loads(text) if text else None), response.headers


async def create_user(daemon: RunningDaemon, test: TestCase, username: str = "alice",
                      password: str = "s3cret-pass") -> dict[str, Any]:
    """Create a user over the Unix socket (local, so trusted)."""
    client = await connect_unix(test, daemon.unix_path)
    reply = await client.call("access.post_user", {"username": username, "password": password})
    return reply["result"]  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class RegistryCoverageTests(TestCase):
    """Generated from the registry, so every endpoint added later is covered too."""

    async def start(self) -> RunningDaemon:
        daemon = await start_daemon(self, UNTRUSTED)

        def handler_reached(entry: Any, request: Any) -> None:
            raise ApiError("handler reached", REACHED)

        # Runs after authorization's check: an endpoint that lets the call through
        # answers 418 instead of doing its work (no restart, no reboot).
        daemon.ctx.registry.checks.append(handler_reached)
        return daemon

    async def test_open_endpoints_are_only_the_known_ones(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        opened = {e.method for e in daemon.ctx.registry.endpoints() if not e.auth_required}
        self.assertEqual(opened, OPEN_METHODS)

    async def test_every_http_endpoint_refuses_an_unauthenticated_untrusted_client(self) -> None:
        daemon = await self.start()
        checked = 0
        for entry in daemon.ctx.registry.endpoints():
            if not entry.http_path or not entry.http_verb:
                continue
            code, body, _ = await request(self, daemon, entry.http_verb, entry.http_path)
            expected = (REACHED, "handler reached") if entry.method in OPEN_METHODS else (401, "Unauthorized")
            self.assertEqual((code, body["error"]["message"]), expected, f"{entry.http_verb} {entry.http_path}")
            checked += 1
        self.assertGreater(checked, 10)

    async def test_every_jsonrpc_method_refuses_an_unauthenticated_websocket(self) -> None:
        daemon = await self.start()
        client = await connect_websocket(self, daemon.ws_url)
        for entry in daemon.ctx.registry.endpoints():
            reply = await client.call(entry.method, {})
            if reply["error"]["code"] == -32601:
                self.assertFalse(entry.transports & Transport.WEBSOCKET, entry.method)
            elif entry.method in OPEN_METHODS:
                self.assertEqual(reply["error"]["code"], REACHED, entry.method)
            else:
                self.assertEqual(reply["error"], {"code": -32602, "message": "Unauthorized"}, entry.method)

    async def test_every_method_over_http_jsonrpc_refuses_an_unauthenticated_client(self) -> None:
        daemon = await self.start()
        for entry in daemon.ctx.registry.endpoints():
            payload = {"jsonrpc": "2.0", "method": entry.method, "params": {}, "id": 1}
            code, body, _ = await request(self, daemon, "POST", "/server/jsonrpc", body=payload)
            error = body["error"]
            if error["code"] == -32601:
                self.assertFalse(entry.transports & Transport.HTTP, entry.method)
                continue
            if entry.method in OPEN_METHODS:
                continue
            self.assertEqual((code, error), (200, {"code": -32602, "message": "Unauthorized"}), entry.method)

    async def test_routes_outside_the_registry_refuse_too(self) -> None:
        daemon = await self.start()
        for verb, path in [("GET", "/server/files/config/printer.cfg"), ("POST", "/server/files/upload"),
                           ("DELETE", "/server/files/gcodes/a.gcode"), ("GET", "/klippysocket"),
                           ("GET", "/server/files/moonraker.log"), ("POST", "/api/files/local"),
                           ("GET", "/api/job"), ("POST", "/api/printer/command"), ("GET", "/no/such/route")]:
            code, body, _ = await request(self, daemon, verb, path)
            self.assertEqual((code, body["error"]["message"]), (401, "Unauthorized"), path)

    async def test_thumbnails_and_octoprint_version_probes_stay_open(self) -> None:
        daemon = await self.start()
        code, _, _ = await request(self, daemon, "GET", "/server/files/gcodes/.thumbs/benchy.png")
        self.assertEqual(code, 404)
        for path in ("/api/version", "/api/server"):
            self.assertEqual((await request(self, daemon, "GET", path))[0], REACHED, path)


class TokenAttackTests(TestCase):
    async def start(self) -> tuple[RunningDaemon, dict[str, Any]]:
        daemon = await start_daemon(self, UNTRUSTED)
        return daemon, await create_user(daemon, self)

    async def refusal(self, daemon: RunningDaemon, headers: dict[str, str], path: str = "/server/info") -> Any:
        code, body, _ = await request(self, daemon, "GET", path, headers)
        return code, body["error"]["message"]

    async def test_login_token_gets_in(self) -> None:
        daemon, user = await self.start()
        code, body, _ = await request(self, daemon, "GET", "/access/user", bearer(user["token"]))
        self.assertEqual((code, body["result"]["username"]), (200, "alice"))

    async def test_tampered_token_is_refused(self) -> None:
        daemon, user = await self.start()
        header, payload, signature = user["token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["username"] = "admin"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        self.assertEqual(await self.refusal(daemon, bearer(f"{header}.{forged}.{signature}")),
                         (401, "JWT Decode Error: Invalid JWT signature"))

    async def test_alg_none_token_is_refused(self) -> None:
        daemon, user = await self.start()
        _, payload, _ = user["token"].split(".")
        none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        self.assertEqual(await self.refusal(daemon, bearer(f"{none}.{payload}.")),
                         (401, "JWT Decode Error: Invalid JWT header"))

    async def test_refresh_token_used_as_access_token_is_refused(self) -> None:
        daemon, user = await self.start()
        self.assertEqual(await self.refusal(daemon, bearer(user["refresh_token"])),
                         (401, "JWT Decode Error: Invalid token type"))

    async def test_token_of_a_deleted_user_is_refused(self) -> None:
        daemon, alice = await self.start()
        bob = await create_user(daemon, self, "bob")
        code, _, _ = await request(self, daemon, "DELETE", "/access/user", bearer(bob["token"]),
                                   {"username": "alice"})
        self.assertEqual(code, 200)
        self.assertEqual(await self.refusal(daemon, bearer(alice["token"])),
                         (401, "JWT Decode Error: Invalid key ID"))

    async def test_deleting_oneself_is_refused(self) -> None:
        daemon, alice = await self.start()
        code, body, _ = await request(self, daemon, "DELETE", "/access/user", bearer(alice["token"]),
                                      {"username": "alice"})
        self.assertEqual((code, body["error"]["message"]), (403, "Cannot delete logged in user alice"))

    async def test_logout_revokes_the_token(self) -> None:
        daemon, alice = await self.start()
        code, body, _ = await request(self, daemon, "POST", "/access/logout", bearer(alice["token"]))
        self.assertEqual((code, body["result"]), (200, {"username": "alice", "action": "user_logged_out"}))
        self.assertEqual(await self.refusal(daemon, bearer(alice["token"])),
                         (401, "JWT Decode Error: Invalid key ID"))

    async def test_reused_oneshot_token_is_refused(self) -> None:
        daemon, alice = await self.start()
        _, body, _ = await request(self, daemon, "GET", "/access/oneshot_token", bearer(alice["token"]))
        token = body["result"]
        code, _, _ = await request(self, daemon, "GET", f"/server/info?token={token}")
        self.assertEqual(code, 200)
        self.assertEqual(await self.refusal(daemon, {}, f"/server/info?token={token}"),
                         (401, "Invalid oneshot token"))

    async def test_oneshot_token_opens_a_websocket(self) -> None:
        daemon, alice = await self.start()
        _, body, _ = await request(self, daemon, "GET", "/access/oneshot_token", bearer(alice["token"]))
        client = await connect_websocket(self, f"{daemon.ws_url}?token={body['result']}")
        reply = await client.call("access.get_user")
        self.assertEqual(reply["result"]["username"], "alice")

    async def test_oneshot_token_downloads_a_file_once(self) -> None:
        daemon, alice = await self.start()
        (daemon.data_path / "gcodes" / "cube.gcode").write_text("G28\n")
        _, body, _ = await request(self, daemon, "GET", "/access/oneshot_token", bearer(alice["token"]))
        url = f"{daemon.http_url}/server/files/gcodes/cube.gcode?token={body['result']}"
        response = await http_client(self).get(url)
        self.assertEqual((response.code, await response.text()), (200, "G28\n"))
        again = await http_client(self).get(url)
        self.assertEqual((again.code, json.loads(await again.text())["error"]["message"]),
                         (401, "Invalid oneshot token"))

    async def test_old_api_key_is_refused_after_rotation(self) -> None:
        daemon, alice = await self.start()
        _, body, _ = await request(self, daemon, "GET", "/access/api_key", bearer(alice["token"]))
        old = body["result"]
        self.assertEqual((await request(self, daemon, "GET", "/server/info", {"X-Api-Key": old}))[0], 200)
        _, body, _ = await request(self, daemon, "POST", "/access/api_key", bearer(alice["token"]))
        self.assertNotEqual(body["result"], old)
        self.assertEqual(await self.refusal(daemon, {"X-Api-Key": old}), (401, "Invalid API Key"))
        self.assertEqual((await request(self, daemon, "GET", "/server/info", {"X-Api-Key": body["result"]}))[0],
                         200)

    async def test_password_brute_force_hits_the_rate_limit(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED + "max_login_attempts: 3\n")
        await create_user(daemon, self)
        for guess in ["a", "b", "c"]:
            code, body, _ = await request(self, daemon, "POST", "/access/login", body={
                "username": "alice", "password": guess})
            self.assertEqual((code, body["error"]["message"]), (400, "Invalid username or password"))
        code, body, _ = await request(self, daemon, "POST", "/access/login", body={
            "username": "alice", "password": "s3cret-pass"})
        self.assertEqual((code, body["error"]["message"]), (401, "Unauthorized, Maximum Login Attempts Reached"))


class OriginTests(TestCase):
    async def test_websocket_upgrade_from_a_disallowed_origin_is_refused(self) -> None:
        daemon = await start_daemon(self, TRUSTED + "cors_domains:\n    *.home\n")
        code, body, _ = await request(self, daemon, "GET", "/websocket", {"Origin": "http://evil.example"})
        self.assertEqual((code, body["error"]["message"]), (403, "Origin not allowed"))
        with self.assertRaises(ConnectionError):
            await connect_websocket(self, daemon.ws_url, {"Origin": "http://evil.example"})
        client = await connect_websocket(self, daemon.ws_url, {"Origin": "http://printer.home"})
        self.assertIn("result", await client.call("server.info"))

    async def test_preflight_from_an_allowed_origin(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        code, _, headers = await request(self, daemon, "OPTIONS", "/server/files/upload", {
            "Origin": "http://allowed.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true"})
        self.assertEqual(code, 204)
        self.assertEqual(headers.getRawHeaders("access-control-allow-origin"), ["http://allowed.example"])
        self.assertIn("DELETE", headers.getRawHeaders("access-control-allow-methods")[0])
        self.assertIn("X-Api-Key", headers.getRawHeaders("access-control-allow-headers")[0])
        self.assertEqual(headers.getRawHeaders("access-control-allow-private-network"), ["true"])

    async def test_preflight_from_a_disallowed_origin_is_refused(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        code, body, headers = await request(self, daemon, "OPTIONS", "/server/files/upload", {
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual((code, body["error"]["message"]), (403, "Origin not allowed"))
        self.assertIsNone(headers.getRawHeaders("access-control-allow-origin"))

    async def test_cross_site_post_from_a_trusted_browser_is_refused(self) -> None:
        daemon = await start_daemon(self, TRUSTED)
        code, body, _ = await request(self, daemon, "POST", "/server/restart", {"Origin": "http://evil.example"})
        self.assertEqual((code, body["error"]["message"]), (403, "Origin not allowed"))

    async def test_allowed_origin_sees_cors_headers_on_errors_too(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        code, _, headers = await request(self, daemon, "GET", "/server/info", {"Origin": "http://allowed.example"})
        self.assertEqual(code, 401)
        self.assertEqual(headers.getRawHeaders("access-control-allow-origin"), ["http://allowed.example"])


class ClientAddressTests(TestCase):
    async def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies(self) -> None:
        daemon = await start_daemon(self, SERVER + "[authorization]\ntrusted_clients:\n    10.0.0.7\n")
        for header in ("X-Forwarded-For", "X-Real-IP"):
            code, body, _ = await request(self, daemon, "GET", "/server/info", {header: "10.0.0.7"})
            self.assertEqual((code, body["error"]["message"]), (401, "Unauthorized"))

    async def test_forwarded_for_counts_from_a_trusted_proxy(self) -> None:
        daemon = await start_daemon(self, SERVER + "[authorization]\ntrusted_clients:\n    10.0.0.7\n"
                                    "trusted_proxies:\n    127.0.0.1\n")
        code, _, _ = await request(self, daemon, "GET", "/server/info", {"X-Forwarded-For": "10.0.0.7"})
        self.assertEqual(code, 200)
        code, _, _ = await request(self, daemon, "GET", "/server/info",
                                   {"X-Forwarded-For": "10.0.0.7, 192.168.9.9"})
        self.assertEqual(code, 401)


class TrustedClientTests(TestCase):
    async def test_dummy_api_key_and_blank_token_from_a_trusted_client_still_work(self) -> None:
        daemon = await start_daemon(self, TRUSTED)
        code, _, _ = await request(self, daemon, "GET", "/server/info", {"X-Api-Key": "88888888"})
        self.assertEqual(code, 200)
        code, _, _ = await request(self, daemon, "GET", "/server/info?token=")
        self.assertEqual(code, 200)
        client = await connect_websocket(self, daemon.ws_url + "?token=")
        self.assertIn("result", await client.call("server.info"))

    async def test_trusted_websocket_needs_no_login(self) -> None:
        daemon = await start_daemon(self, TRUSTED)
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("access.get_user")
        self.assertEqual(reply["result"]["username"], TRUSTED_USER)

    async def test_wide_trusted_range_is_a_server_info_warning(self) -> None:
        daemon = await start_daemon(self, TRUSTED + "    192.0.0.0/8\n")
        _, body, _ = await request(self, daemon, "GET", "/server/info")
        self.assertTrue(any("192.0.0.0/8 is wider than a private network" in w for w in body["result"]["warnings"]))


def scripts_run_config() -> str:
    """The moonraker.conf scripts/run writes on first start, on a free port."""
    script = (Path(__file__).parents[2] / "scripts" / "run").read_text()
    config = script.split("<<CONF\n", 1)[1].split("\nCONF\n", 1)[0]
    return config.replace("$data", "{data_path}").replace("port: 7125", "port: 0")


class DefaultConfigTests(TestCase):
    async def test_mainsail_works_without_logging_in_on_the_scripts_run_config(self) -> None:
        daemon = await start_daemon(self, scripts_run_config())
        for origin in ("http://localhost:8080", "http://127.0.0.1", "http://127.0.0.1:8080"):
            client = await connect_websocket(self, daemon.ws_url, {"Origin": origin})
            identified = await client.call("server.connection.identify", {
                "client_name": "mainsail", "version": "2.18.0", "type": "web", "url": "https://docs.mainsail.xyz"})
            self.assertIn("connection_id", identified["result"], origin)
            self.assertEqual((await client.call("access.get_user"))["result"]["username"], TRUSTED_USER)
            self.assertIn("result", await client.call("server.info"), origin)
            code, _, headers = await request(self, daemon, "OPTIONS", "/server/files/upload", {
                "Origin": origin, "Access-Control-Request-Method": "POST"})
            self.assertEqual((code, headers.getRawHeaders("access-control-allow-origin")), (204, [origin]))
            code, body, _ = await request(self, daemon, "GET", "/server/files/config/.theme/default.json",
                                          {"Origin": origin})
            self.assertEqual((code, body["error"]["code"]), (404, 404), origin)
        info = (await request(self, daemon, "GET", "/access/info"))[1]["result"]
        self.assertEqual((info["login_required"], info["trusted"]), (False, True))


class ForceLoginsTests(TestCase):
    async def test_with_force_logins_and_no_trusted_clients_only_a_login_gets_in(self) -> None:
        daemon = await start_daemon(self, SERVER + "[authorization]\nforce_logins: True\n")
        await create_user(daemon, self)
        self.assertEqual((await request(self, daemon, "GET", "/server/info"))[0], 401)
        code, body, _ = await request(self, daemon, "POST", "/access/login", body={
            "username": "alice", "password": "s3cret-pass"})
        self.assertEqual((code, body["result"]["action"]), (200, "user_logged_in"))
        token = body["result"]["token"]
        self.assertEqual((await request(self, daemon, "GET", "/server/info", bearer(token)))[0], 200)
        info = (await request(self, daemon, "GET", "/access/info"))[1]["result"]
        self.assertEqual((info["login_required"], info["trusted"]), (True, False))

    async def test_trusted_address_needs_a_login_once_a_user_exists(self) -> None:
        daemon = await start_daemon(self, FORCED)
        self.assertEqual((await request(self, daemon, "GET", "/server/info"))[0], 200)
        await create_user(daemon, self)
        code, body, _ = await request(self, daemon, "GET", "/server/info")
        self.assertEqual((code, body["error"]["message"]), (401, "Unauthorized, Force Logins Enabled"))

    async def test_websocket_authenticates_after_connecting(self) -> None:
        daemon = await start_daemon(self, FORCED)
        user = await create_user(daemon, self)
        client = await connect_websocket(self, daemon.ws_url)
        refused = await client.call("server.info")
        self.assertEqual(refused["error"], {"code": -32602, "message": "Unauthorized"})
        identified = await client.call("server.connection.identify", {
            "client_name": "test", "version": "1", "type": "web", "url": "x", "access_token": user["token"]})
        self.assertIn("connection_id", identified["result"])
        self.assertIn("result", await client.call("server.info"))

    async def test_websocket_login_and_notifications_only_when_authenticated(self) -> None:
        daemon = await start_daemon(self, FORCED)
        await create_user(daemon, self)
        anonymous = await connect_websocket(self, daemon.ws_url)
        member = await connect_websocket(self, daemon.ws_url)
        login = await member.call("access.login", {"username": "alice", "password": "s3cret-pass"})
        self.assertEqual(login["result"]["username"], "alice")
        await create_user(daemon, self, "bob")
        await deferLater(reactor, 0.1, lambda: None)
        self.assertIn("notify_user_created", [n["method"] for n in member.notifications])
        self.assertEqual(anonymous.notifications, [])
