"""Decode the "Quite OK Image" format (https://qoiformat.org/qoi-specification.pdf)."""

from __future__ import annotations

import struct

from moontwist.metadata.images import Image, ImageError

MAGIC = b"qoif"
_HEADER = struct.Struct(">4sIIBB")
_END_MARKER = b"\x00" * 7 + b"\x01"
# Thumbnails are small; refuse headers that would make us allocate gigabytes.
MAX_PIXELS = 4096 * 4096

_OP_RGB = 0xFE
_OP_RGBA = 0xFF


def decode_qoi(data: bytes) -> Image:
    """Decode a QOI file into RGBA pixels; raise ImageError if it is malformed."""
    if len(data) < _HEADER.size + len(_END_MARKER):
        raise ImageError("QOI data too short")
    magic, width, height, channels, _colorspace = _HEADER.unpack_from(data)
    if magic != MAGIC or channels not in (3, 4) or not 0 < width * height <= MAX_PIXELS:
        raise ImageError("not a QOI image")
    pixel_count = width * height
    out = bytearray(pixel_count * 4)
    index = [(0, 0, 0, 0)] * 64
    r, g, b, a = 0, 0, 0, 255
    position = _HEADER.size
    limit = len(data) - len(_END_MARKER)
    pixel = 0
    # Every op is read before the 8-byte end marker, so no read can run off the end.
    while pixel < pixel_count:
        if position >= limit:
            raise ImageError("QOI data truncated")
        byte = data[position]
        position += 1
        run = 1
        if byte == _OP_RGB:
            r, g, b = data[position], data[position + 1], data[position + 2]
            position += 3
        elif byte == _OP_RGBA:
            r, g, b, a = data[position : position + 4]
            position += 4
        else:
            tag = byte >> 6
            if tag == 0:
                r, g, b, a = index[byte]
            elif tag == 1:
                r = (r + ((byte >> 4) & 3) - 2) & 0xFF
                g = (g + ((byte >> 2) & 3) - 2) & 0xFF
                b = (b + (byte & 3) - 2) & 0xFF
            elif tag == 2:
                green = (byte & 0x3F) - 32
                second = data[position]
                position += 1
                r = (r + green - 8 + (second >> 4)) & 0xFF
                g = (g + green) & 0xFF
                b = (b + green - 8 + (second & 0x0F)) & 0xFF
            else:
                run = min((byte & 0x3F) + 1, pixel_count - pixel)
        start = pixel * 4
        out[start : start + 4 * run] = bytes((r, g, b, a)) * run
        pixel += run
        index[(r * 3 + g * 5 + b * 7 + a * 11) % 64] = (r, g, b, a)
    return Image(width, height, bytes(out))
