"""Websocket payload masking (RFC 6455 §5.3) at C speed, for Autobahn.

Without the optional ``wsaccel`` C extension, Autobahn (un)masks every frame
byte by byte in a Python loop: a tenth of the server's CPU per small JSON-RPC
round trip, and about 0.1 s per MiB of a large message. XOR-ing the payload,
read as one big integer, with the key repeated to the same length does the
same work inside CPython's integer code.
"""

from __future__ import annotations


class IntXorMasker:
    """Autobahn's masker interface: ``process`` may be fed a frame in pieces."""

    __slots__ = ("_key", "_ptr")

    def __init__(self, mask: bytes) -> None:
        self._key = bytes(mask)
        self._ptr = 0

    def pointer(self) -> int:
        return self._ptr

    def reset(self) -> None:
        self._ptr = 0

    def process(self, data: bytes) -> bytes:
        offset = self._ptr & 3
        self._ptr += len(data)
        return unmask(self._key[offset:] + self._key[:offset], data)


def unmask(key: bytes, data: bytes) -> bytes:
    """``data`` XOR-ed with the 4-byte ``key`` repeated (masking and unmasking are the same)."""
    size = len(data)
    if not size:
        return b""
    stream = (key * ((size >> 2) + 1))[:size]
    return (int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")).to_bytes(size, "little")


def create_masker(mask: bytes, length: int | None = None) -> IntXorMasker:
    """Drop-in for ``autobahn.websocket.xormasker.create_xor_masker``."""
    return IntXorMasker(mask)
