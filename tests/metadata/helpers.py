"""Shared test fixtures: sample files, thumbnail blocks and hand-built images."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    """The bytes of ``samples/<name>.gcode``."""
    return (SAMPLES / f"{name}.gcode").read_bytes()


def command_bounds(data: bytes) -> tuple[int | None, int | None]:
    """Start of the first and end of the last G/M command line, found line by line."""
    start = end = None
    offset = 0
    for line in data.splitlines(keepends=True):
        stripped = line.lstrip(b" \t")
        if stripped[:1] in (b"G", b"M") and stripped[1:2].isdigit():
            if start is None:
                start = offset
            end = offset + len(line)
        offset += len(line)
    return start, end


def thumbnail_block(
    data: bytes, width: int, height: int, tag: str = "thumbnail", line_length: int = 78
) -> str:
    """``data`` as a slicer writes it: base64 in ``; ``-prefixed comment lines."""
    encoded = base64.b64encode(data).decode("ascii")
    lines = [f"; {tag} begin {width}x{height} {len(encoded)}"]
    lines += [f"; {encoded[i:i + line_length]}" for i in range(0, len(encoded), line_length)]
    lines.append(f"; {tag} end")
    return "\n".join(lines) + "\n"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = [abs(estimate - left), abs(estimate - up), abs(estimate - corner)]
    return (left, up, corner)[distances.index(min(distances))]


def filtered_png(
    width: int,
    height: int,
    pixels: bytes,
    colour: int = 6,
    channels: int = 4,
    filters: tuple[int, ...] = (0, 1, 2, 3, 4),
    extra_chunks: bytes = b"",
) -> bytes:
    """A PNG whose rows use ``filters`` in turn (written independently of our encoder)."""
    stride = width * channels
    previous = bytes(stride)
    raw = bytearray()
    for row in range(height):
        line = pixels[row * stride : (row + 1) * stride]
        kind = filters[row % len(filters)]
        out = bytearray()
        for i, value in enumerate(line):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            out.append((value - predictor) & 0xFF)
        raw += bytes((kind,)) + out
        previous = line
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + extra_chunks
        + png_chunk(b"IDAT", zlib.compress(bytes(raw)))
        + png_chunk(b"IEND", b"")
    )


def gradient(width: int, height: int) -> bytes:
    """RGBA pixels that differ everywhere, so every filter has work to do."""
    return bytes(
        value
        for y in range(height)
        for x in range(width)
        for value in ((x * 7) & 0xFF, (y * 11) & 0xFF, (x * y) & 0xFF, 255 - ((x + y) & 0x7F))
    )


def solid_qoi(width: int, height: int, rgba: tuple[int, int, int, int]) -> bytes:
    """A QOI image of one colour: an RGBA op and runs."""
    body = bytearray(b"\xff" + bytes(rgba))
    remaining = width * height - 1
    while remaining > 0:
        run = min(62, remaining)
        body.append(0xC0 | (run - 1))
        remaining -= run
    header = b"qoif" + struct.pack(">IIBB", width, height, 4, 0)
    return header + bytes(body) + b"\x00" * 7 + b"\x01"
