"""Websocket frames as a client can send them: the direct path for one whole
message per read, and Autobahn for everything else, on a real socket."""

from __future__ import annotations

import json
import os
import struct
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from moontwist.protocols.wsmask import unmask
from tests.integration.daemon import start_daemon

TEXT, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x0, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes, fin: bool = True, masked: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    mask_bit = 0x80 if masked else 0
    if size < 126:
        header = struct.pack("!BB", first, mask_bit | size)
    elif size < 65536:
        header = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, size)
    if not masked:
        return header + payload
    key = os.urandom(4)
    return header + key + unmask(key, payload)


def call(request_id: int, method: str = "server.info") -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": method, "id": request_id}).encode()


class RawWebsocket(Protocol):
    """Sends bytes exactly as the test writes them; parses the server's frames."""

    def __init__(self) -> None:
        self.buffer = b""
        self.opened: Deferred[None] = Deferred()
        self.frames: list[tuple[int, bytes]] = []
        self.waiting: tuple[int, Deferred[None]] | None = None
        self.lost: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(
            b"GET /websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        if not self.opened.called:
            head, separator, rest = self.buffer.partition(b"\r\n\r\n")
            if not separator:
                return
            assert head.startswith(b"HTTP/1.1 101"), head
            self.buffer = rest
            self.opened.callback(None)
        while len(self.buffer) >= 2:
            size, start = self.buffer[1] & 0x7F, 2
            if size == 126:
                size, start = struct.unpack_from("!H", self.buffer, 2)[0], 4
            elif size == 127:
                size, start = struct.unpack_from("!Q", self.buffer, 2)[0], 10
            if len(self.buffer) < start + size:
                return
            self.frames.append((self.buffer[0] & 0x0F, self.buffer[start:start + size]))
            self.buffer = self.buffer[start + size:]
        if self.waiting is not None and len(self.frames) >= self.waiting[0]:
            done, self.waiting = self.waiting[1], None
            done.callback(None)

    def connectionLost(self, reason: Failure) -> None:
        self.lost.callback(None)

    async def frames_until(self, count: int) -> list[tuple[int, bytes]]:
        if len(self.frames) < count:
            self.waiting = (count, Deferred())
            await self.waiting[1]
        return self.frames[:count]


async def open_raw(test: TestCase) -> RawWebsocket:
    daemon = await start_daemon(test)
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", daemon.port_of("http"))
    client = await connectProtocol(endpoint, RawWebsocket())
    test.addCleanup(lambda: client.transport.abortConnection())
    await client.opened
    return client


def close_code(client: RawWebsocket) -> int:
    """The status code of the server's close frame."""
    closes = [payload for opcode, payload in client.frames if opcode == CLOSE]
    return int(struct.unpack("!H", closes[0][:2])[0])


def ids(frames: list[tuple[int, bytes]]) -> list[Any]:
    return [json.loads(payload).get("id") for opcode, payload in frames if opcode == TEXT]


class WebsocketFrameTests(TestCase):
    async def test_one_message_per_read_is_answered(self) -> None:
        client = await open_raw(self)
        client.transport.write(client_frame(TEXT, call(1)))
        [(opcode, payload)] = await client.frames_until(1)
        self.assertEqual(opcode, TEXT)
        self.assertEqual(json.loads(payload)["result"]["klippy_state"], "disconnected")

    async def test_a_message_with_a_16_bit_length_is_answered(self) -> None:
        client = await open_raw(self)
        padded = json.dumps({"jsonrpc": "2.0", "method": "server.info", "id": 7, "params": {"x": "y" * 300}})
        client.transport.write(client_frame(TEXT, padded.encode()))
        self.assertEqual(ids(await client.frames_until(1)), [7])

    async def test_a_frame_split_across_reads_is_answered(self) -> None:
        client = await open_raw(self)
        whole = client_frame(TEXT, call(2))
        client.transport.write(whole[:3])
        await deferLater(reactor, 0.05, lambda: None)
        client.transport.write(whole[3:])
        self.assertEqual(ids(await client.frames_until(1)), [2])

    async def test_two_messages_in_one_read_are_both_answered_in_order(self) -> None:
        client = await open_raw(self)
        client.transport.write(client_frame(TEXT, call(3)) + client_frame(TEXT, call(4)))
        self.assertEqual(ids(await client.frames_until(2)), [3, 4])

    async def test_a_fragmented_message_then_a_whole_one(self) -> None:
        client = await open_raw(self)
        message = call(5)
        client.transport.write(client_frame(TEXT, message[:10], fin=False))
        await deferLater(reactor, 0.05, lambda: None)
        client.transport.write(client_frame(CONTINUATION, message[10:]))
        await deferLater(reactor, 0.05, lambda: None)
        client.transport.write(client_frame(TEXT, call(6)))
        self.assertEqual(ids(await client.frames_until(2)), [5, 6])

    async def test_a_whole_text_frame_inside_a_fragmented_message_is_a_protocol_error(self) -> None:
        client = await open_raw(self)
        client.transport.write(client_frame(TEXT, call(8)[:10], fin=False))
        await deferLater(reactor, 0.05, lambda: None)
        client.transport.write(client_frame(TEXT, call(9)))
        await client.lost
        self.assertEqual(close_code(client), 1002)
        self.assertEqual(ids(client.frames), [])

    async def test_a_ping_gets_its_pong_between_answers(self) -> None:
        client = await open_raw(self)
        client.transport.write(client_frame(TEXT, call(10)))
        await client.frames_until(1)
        client.transport.write(client_frame(PING, b"hi"))
        client.transport.write(client_frame(TEXT, call(11)))
        frames = await client.frames_until(3)
        self.assertIn((PONG, b"hi"), frames)
        self.assertEqual(ids(frames), [10, 11])

    async def test_an_unmasked_frame_is_a_protocol_error(self) -> None:
        client = await open_raw(self)
        client.transport.write(client_frame(TEXT, call(12), masked=False))
        await client.lost
        self.assertEqual(close_code(client), 1002)
        self.assertEqual(ids(client.frames), [])

    async def test_invalid_utf8_in_one_whole_frame_closes_with_1007(self) -> None:
        client = await open_raw(self)
        client.transport.write(client_frame(TEXT, b'{"jsonrpc": "2.0", "method": "\xff"}'))
        await client.lost
        self.assertEqual(close_code(client), 1007)
