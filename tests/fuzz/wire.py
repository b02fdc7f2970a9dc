"""Blocking clients for the fuzzing tests: JSON-RPC over HTTP, the websocket and the Unix socket.

Each sends raw bytes (whatever the test built, valid or not) and returns the
decoded reply, skipping notifications. ``Closed`` means the server closed
the connection; ``socket.timeout`` that no reply came in time.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import struct
import time
from typing import Any

REPLY_TIMEOUT = 15.0


class Closed(Exception):
    """The server closed the connection."""


def _is_reply(message: Any) -> bool:
    return not (isinstance(message, dict) and "method" in message and "id" not in message)


class UnixRpc:
    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = b""

    def exchange(self, payload: bytes, expect_reply: bool = True) -> Any:
        self.sock.sendall(payload + b"\x03")
        return self.read_reply() if expect_reply else None

    def read_reply(self, timeout: float = REPLY_TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            while b"\x03" in self.buffer:
                message, _, self.buffer = self.buffer.partition(b"\x03")
                decoded = json.loads(message)
                if _is_reply(decoded):
                    return decoded
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(1 << 20)
            if not data:
                raise Closed()
            self.buffer += data

    def close(self) -> None:
        self.sock.close()


class WebsocketRpc:
    """A minimal RFC 6455 client: masked text frames out, pings answered."""

    def __init__(self, port: int, path: str = "/websocket", headers: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n{headers}\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise Closed()
            self.buffer += data
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise Closed(head.decode(errors="replace"))
        self.close_code: int | None = None

    def send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (size // 4 + 1))[:size], "big")
                  ).to_bytes(size, "big") if size else b""
        self.sock.sendall(head + mask + masked)

    def exchange(self, payload: bytes, expect_reply: bool = True) -> Any:
        self.send_frame(0x1, payload)
        return self.read_reply() if expect_reply else None

    def read_frame(self, deadline: float) -> tuple[int, bytes]:
        """The next whole frame; bytes stay buffered until one is complete (a timeout loses nothing)."""
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(1 << 20)
            if not data:
                raise Closed()
            self.buffer += data

    def _parse(self) -> tuple[int, bytes] | None:
        if len(self.buffer) < 2:
            return None
        first, second = self.buffer[0], self.buffer[1]
        size, start = second & 0x7F, 2
        if size == 126:
            if len(self.buffer) < 4:
                return None
            size, start = struct.unpack_from("!H", self.buffer, 2)[0], 4
        elif size == 127:
            if len(self.buffer) < 10:
                return None
            size, start = struct.unpack_from("!Q", self.buffer, 2)[0], 10
        if len(self.buffer) < start + size:
            return None
        payload, self.buffer = self.buffer[start:start + size], self.buffer[start + size:]
        return first & 0x0F, payload

    def read_reply(self, timeout: float = REPLY_TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            opcode, payload = self.read_frame(deadline)
            if opcode == 0x9:
                self.send_frame(0xA, payload)
            elif opcode == 0x8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(f"close frame {self.close_code}")
            elif opcode in (0x1, 0x2):
                decoded = json.loads(payload)
                if _is_reply(decoded):
                    return decoded

    def close(self) -> None:
        self.sock.close()


class HttpRpc:
    """``POST /server/jsonrpc`` on one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REPLY_TIMEOUT)

    def exchange(self, payload: bytes, expect_reply: bool = True) -> Any:
        status, headers, body = self.request("POST", "/server/jsonrpc", payload,
                                             {"Content-Type": "application/json"})
        if status != 200:
            raise AssertionError(f"POST /server/jsonrpc answered {status}: {body[:300]!r}")
        if not expect_reply:
            return None
        return json.loads(body)

    def request(self, verb: str, target: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, may_close: tuple[int, ...] = ()) -> tuple[int, Any, bytes]:
        """Status, headers and body; ``Closed`` if the daemon ends the connection after
        answering, unless it answered one of the ``may_close`` statuses."""
        self.connection.request(verb, target, body=body, headers=headers or {})
        response = self.connection.getresponse()
        data = response.read()
        if response.will_close:
            self.connection.close()
            if response.status not in may_close:
                raise Closed(f"{verb} {target[:100]} closed the connection after {response.status}")
        return response.status, response.headers, data

    def close(self) -> None:
        self.connection.close()


def server_info(client: Any, request_id: int = 1) -> Any:
    payload = json.dumps({"jsonrpc": "2.0", "method": "server.info", "id": request_id}).encode()
    return client.exchange(payload)
