"""The frames of one small websocket message, read and written directly.

Autobahn takes every received frame through its general state machine
(fragments, control frames, compression, partial reads, statistics): about
10 µs per message on the 2-core test VM, a sixth of a ``server.info`` round
trip. Nearly everything a front end sends is one complete, final, masked text
frame arriving in one read. ``single_client_message`` recognises exactly that
and nothing else; whatever it declines is left to Autobahn. ``server_frame``
is the frame Autobahn writes for an unfragmented, uncompressed message.
"""

from __future__ import annotations

import struct

from moontwist.protocols.wsmask import unmask

FIN_TEXT = 0x81
FIN_BINARY = 0x82
MASKED = 0x80
_LENGTH16 = struct.Struct("!H")
_HEADER16 = struct.Struct("!BBH")
_HEADER64 = struct.Struct("!BBQ")


def single_client_message(data: bytes) -> tuple[bool, bytes] | None:
    """``(is_binary, payload)`` when ``data`` is exactly one final, masked,
    uncompressed text or binary frame with a payload under 64 KiB, else None."""
    size = len(data)
    if size < 6:
        return None
    first = data[0]
    if first != FIN_TEXT and first != FIN_BINARY:
        return None
    second = data[1]
    if not second & MASKED:
        return None
    length = second & 0x7F
    if length < 126:
        start = 6
    elif length == 126 and size >= 8:
        length = _LENGTH16.unpack_from(data, 2)[0]
        if length < 126:
            return None  # not the minimal encoding: a protocol error Autobahn reports
        start = 8
    else:
        return None
    if size != start + length:
        return None
    return first == FIN_BINARY, unmask(data[start - 4:start], data[start:])


def server_frame(payload: bytes, binary: bool = False) -> bytes:
    """One final, unmasked frame carrying ``payload``."""
    first = FIN_BINARY if binary else FIN_TEXT
    size = len(payload)
    if size < 126:
        return bytes((first, size)) + payload
    if size < 65536:
        return _HEADER16.pack(first, 126, size) + payload
    return _HEADER64.pack(first, 127, size) + payload
