"""TP-Link Kasa smart plug protocol: JSON, length-prefixed and XOR autokey "encrypted", over TCP.

A message is a 4-byte big-endian length, then the JSON text where each byte
is XORed with the previous encrypted byte (the first with 0xAB). One request,
one answer, then the plug closes the connection.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

START_KEY = 0xAB
MAX_ANSWER = 64 * 1024


class TPLinkError(Exception):
    """The plug's answer is missing, too large or not JSON."""


def encrypt(message: Any) -> bytes:
    data = json.dumps(message, separators=(",", ":")).encode("utf-8")
    key = START_KEY
    out = bytearray()
    for byte in data:
        key ^= byte
        out.append(key)
    return struct.pack(">I", len(data)) + bytes(out)


def decrypt(data: bytes) -> bytes:
    key = START_KEY
    out = bytearray()
    for byte in data:
        out.append(key ^ byte)
        key = byte
    return bytes(out)


class TPLinkClient(Protocol):
    """Sends ``message`` once connected; ``answer`` fires with the decoded reply."""

    def __init__(self, message: Any) -> None:
        self.message = message
        # Cancelling the wait drops the connection.
        self.answer: Deferred[Any] = Deferred(lambda _: self._abort())
        self._buffer = b""

    def connectionMade(self) -> None:
        self.transport.write(encrypt(self.message))

    def dataReceived(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) < 4:
            return
        (length,) = struct.unpack(">I", self._buffer[:4])
        if length > MAX_ANSWER:
            self._finish(Failure(TPLinkError(f"answer of {length} bytes is too large")))
            return
        if len(self._buffer) - 4 >= length:
            try:
                decoded = json.loads(decrypt(self._buffer[4:4 + length]))
            except ValueError:
                self._finish(Failure(TPLinkError("answer is not JSON")))
                return
            self._finish(decoded)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        if not self.answer.called:
            self.answer.errback(TPLinkError("connection closed before a whole answer"))

    def _finish(self, result: Any) -> None:
        if not self.answer.called:
            if isinstance(result, Failure):
                self.answer.errback(result)
            else:
                self.answer.callback(result)
        self.transport.loseConnection()

    def _abort(self) -> None:
        if self.transport is not None:
            self.transport.abortConnection()
