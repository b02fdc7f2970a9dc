"""Hostile HTTP on the real daemon: oversized and unauthorized bodies are refused from the headers."""

from __future__ import annotations

import json
import socket

from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import wait_for
from tests.integration.raw_http import send_raw

SERVER = "[server]\nhost: 127.0.0.1\nport: 0\nssl_port: 0\n"
UNTRUSTED = SERVER + "\n[authorization]\n"


def post_head(path: str, length: int | None, content_type: str = "application/json") -> bytes:
    size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"POST {path} HTTP/1.1\r\nHost: printer\r\nContent-Type: {content_type}\r\n{size}\r\n\r\n".encode()


class BodyLimitTests(TestCase):
    timeout = 60

    async def test_anonymous_300_mb_jsonrpc_body_is_413_from_the_headers(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        answer = await send_raw(daemon.port_of("http"), post_head("/server/jsonrpc", 300_000_000), b"[" * 65536)
        self.assertEqual(answer.status, 413)
        self.assertIn(b"connection: close", answer.head.lower())
        self.assertEqual(json.loads(answer.body)["error"]["message"],
                         "Request body of 300000000 bytes exceeds the limit of 4194304 bytes")

    async def test_chunked_body_is_refused_once_past_the_configured_limit(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "max_request_body_size: 1\n")
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        answer = await send_raw(daemon.port_of("http"), post_head("/server/jsonrpc", None), *([chunk] * 40))
        self.assertEqual(answer.status, 413)
        self.assertIn(b"connection: close", answer.head.lower())

    async def test_body_at_the_limit_is_served(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "max_request_body_size: 1\n")
        call = json.dumps({"jsonrpc": "2.0", "method": "server.info", "id": 7}).encode()
        body = call + b" " * (1024 * 1024 - len(call))
        answer = await send_raw(daemon.port_of("http"), post_head("/server/jsonrpc", len(body)), body)
        self.assertEqual((answer.status, json.loads(answer.body)["id"]), (200, 7))

    async def test_unauthorized_body_is_refused_on_its_headers_for_any_route(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        port = daemon.port_of("http")
        for path in ("/server/database/item", "/machine/reboot", "/printer/gcode/script", "/no/such/route"):
            answer = await send_raw(port, post_head(path, 200_000_000), b"{" * 65536)
            self.assertEqual(answer.status, 401, path)
            self.assertIn(b"connection: close", answer.head.lower(), path)

    async def test_unauthorized_upload_is_refused_on_its_headers(self) -> None:
        daemon = await start_daemon(self, UNTRUSTED)
        head = post_head("/server/files/upload", 200_000_000, "multipart/form-data; boundary=xyz")
        answer = await send_raw(daemon.port_of("http"), head, b"x" * 65536)
        self.assertEqual(answer.status, 401)
        self.assertEqual(sorted(p.name for p in (daemon.data_path / "gcodes").iterdir()), [])

    async def test_request_line_over_16_kib_is_414(self) -> None:
        daemon = await start_daemon(self)
        answer = await send_raw(daemon.port_of("http"),
                                b"GET /server/info?" + b"a" * 17000 + b" HTTP/1.1\r\nHost: p\r\n\r\n")
        self.assertEqual((answer.status, answer.closed), (414, True))


class AbandonedUploadTests(TestCase):
    timeout = 60

    async def test_upload_whose_client_leaves_is_stored_and_leaves_no_temp_file(self) -> None:
        daemon = await start_daemon(self)
        parts = (b'--x\r\nContent-Disposition: form-data; name="file"; filename="left.gcode"\r\n'
                 b"Content-Type: application/octet-stream\r\n\r\nG1 X1\n\r\n--x--\r\n")
        request = post_head("/server/files/upload", len(parts), "multipart/form-data; boundary=x") + parts
        await deferToThread(_send_and_close, daemon.port_of("http"), request)
        gcodes = daemon.data_path / "gcodes"
        await wait_for(lambda: (gcodes / "left.gcode").exists())
        await wait_for(lambda: not list(gcodes.glob(".moontwist*")))
        self.assertEqual((gcodes / "left.gcode").read_bytes(), b"G1 X1\n")


def _send_and_close(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
