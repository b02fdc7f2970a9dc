"""A small asyncio websocket client (RFC 6455), cheap enough to load a server.

Only what the load generator needs: the opening handshake, masked text frames
out, unmasked frames in (fragments joined), pings answered, close honoured.
Each complete text message goes to ``on_message`` on the protocol itself, so
a load client replies from the callback without a task switch.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import struct
from typing import Callable

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR ``payload`` with the repeated 4-byte ``key``, as one big-integer operation."""
    size = len(payload)
    if not size:
        return payload
    stream = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(size, "little")


def frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked client frame."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    key = random.getrandbits(32).to_bytes(4, "little")
    return header + key + mask(payload, key)


class WebSocketClient(asyncio.Protocol):
    """One websocket connection; override or assign ``on_message``."""

    def __init__(self, host: str, port: int, path: str = "/websocket") -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n\r\n"
        ).encode()
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_message: Callable[[bytes], None] = lambda payload: None
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the websocket opened"))
        if not self.lost.done():
            self.lost.set_result(None)

    def send_text(self, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(frame(OP_TEXT, payload))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame(OP_CLOSE, struct.pack("!H", 1000)))
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._upgraded and not self._handshake():
            return
        position = 0
        end = len(buffer)
        while end - position >= 2:
            first, second = buffer[position], buffer[position + 1] & 0x7F
            start = position + 2
            if second == 126:
                if end - start < 2:
                    break
                second = int.from_bytes(buffer[start:start + 2], "big")
                start += 2
            elif second == 127:
                if end - start < 8:
                    break
                second = int.from_bytes(buffer[start:start + 8], "big")
                start += 8
            if end - start < second:
                break
            position = start + second
            self._frame(first, bytes(buffer[start:position]))
        del buffer[:position]

    def _handshake(self) -> bool:
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        status = bytes(self._buffer[:self._buffer.find(b"\r\n")])
        if b" 101 " not in status:
            self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
            assert self.transport is not None
            self.transport.close()
            return False
        del self._buffer[:head_end + 4]
        self._upgraded = True
        self.opened.set_result(None)
        return True

    def _frame(self, first: int, payload: bytes) -> None:
        opcode = first & 0x0F
        if opcode == OP_PING:
            assert self.transport is not None
            self.transport.write(frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close()
        elif opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
            if not first & 0x80:
                self._fragments.append(payload)
            elif self._fragments:
                self._fragments.append(payload)
                joined, self._fragments = b"".join(self._fragments), []
                self.on_message(joined)
            else:
                self.on_message(payload)


async def connect(host: str, port: int, path: str = "/websocket") -> WebSocketClient:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: WebSocketClient(host, port, path), host, port)
    await client.opened
    return client
