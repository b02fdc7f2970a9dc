"""Write RGBA PNGs and read the common PNG kinds slicers embed (8-bit, not interlaced)."""

from __future__ import annotations

import struct
import zlib

from moontwist.metadata.images import Image, ImageError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR = struct.Struct(">IIBBBBB")
MAX_PIXELS = 4096 * 4096
# Bytes per pixel for each 8-bit colour type: grey, RGB, palette, grey+alpha, RGBA.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def encode_png(image: Image) -> bytes:
    """An RGBA PNG of ``image`` (every row unfiltered, zlib-compressed)."""
    stride = image.width * 4
    rows = b"".join(
        b"\x00" + image.rgba[start : start + stride]
        for start in range(0, len(image.rgba), stride)
    )
    header = _IHDR.pack(image.width, image.height, 8, 6, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(
        b"IEND", b"")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    if not data.startswith(SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        raise ImageError("not a PNG image")
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


def decode_png(data: bytes) -> Image:
    """Decode an 8-bit, non-interlaced PNG into RGBA; raise ImageError otherwise."""
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != _IHDR.size:
        raise ImageError("PNG without a header")
    width, height, depth, colour, _, _, interlace = _IHDR.unpack(chunks[0][1])
    if depth != 8 or colour not in _CHANNELS or interlace or not 0 < width * height <= MAX_PIXELS:
        raise ImageError("unsupported PNG kind")
    palette = b"".join(body for kind, body in chunks if kind == b"PLTE")
    transparency = b"".join(body for kind, body in chunks if kind == b"tRNS")
    try:
        raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error as error:
        raise ImageError("corrupt PNG data") from error
    channels = _CHANNELS[colour]
    pixels = _unfilter(raw, width, height, channels)
    return Image(width, height, _to_rgba(pixels, colour, palette, transparency))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body))


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise ImageError("not a PNG image")
    chunks: list[tuple[bytes, bytes]] = []
    position = len(SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if len(body) != length:
            raise ImageError("PNG chunk truncated")
        if kind == b"IEND":
            break
        chunks.append((kind, body))
        position += 12 + length
    return chunks


def _unfilter(raw: bytes, width: int, height: int, channels: int) -> bytearray:
    stride = width * channels
    if len(raw) < height * (stride + 1):
        raise ImageError("PNG data truncated")
    pixels = bytearray(height * stride)
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((x + y) & 0xFF for x, y in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                corner = previous[i - channels] if i >= channels else 0
                line[i] = (line[i] + _paeth(left, previous[i], corner)) & 0xFF
        elif kind != 0:
            raise ImageError("unknown PNG filter")
        pixels[row * stride : (row + 1) * stride] = line
        previous = line
    return pixels


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    to_left, to_up, to_corner = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
    if to_left <= to_up and to_left <= to_corner:
        return left
    return up if to_up <= to_corner else corner


def _to_rgba(pixels: bytearray, colour: int, palette: bytes, transparency: bytes) -> bytes:
    if colour == 6:
        return bytes(pixels)
    if colour == 2:
        out = bytearray(len(pixels) // 3 * 4)
        for channel in range(3):
            out[channel::4] = pixels[channel::3]
        out[3::4] = b"\xff" * (len(pixels) // 3)
        return bytes(out)
    if colour == 0:
        return b"".join(bytes((grey, grey, grey, 255)) for grey in pixels)
    if colour == 4:
        return b"".join(
            bytes((grey, grey, grey, alpha)) for grey, alpha in zip(pixels[0::2], pixels[1::2]))
    if len(palette) < 3 * (max(pixels, default=0) + 1):
        raise ImageError("PNG palette too short")
    alphas = transparency + b"\xff" * (256 - len(transparency))
    table = [palette[3 * i : 3 * i + 3] + alphas[i : i + 1] for i in range(len(palette) // 3)]
    return b"".join(table[index] for index in pixels)
