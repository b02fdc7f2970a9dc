"""Read only the head and the tail of a G-code file, however large it is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Moonraker reads 1 MiB from each end: slicers write their settings there.
CHUNK_SIZE = 1024 * 1024

_COMMAND_LINE = re.compile(rb"^[ \t]*[GM]\d", re.MULTILINE)


@dataclass(frozen=True)
class GcodeText:
    """The decoded head and tail of a file (the same text when it is small).

    Both are decoded as UTF-8 ignoring invalid bytes, with CRLF turned into LF,
    and start and end on whole lines.
    """

    head: str
    tail: str
    gcode_start_byte: int | None
    gcode_end_byte: int | None


def read_gcode(path: Path, size: int, chunk_size: int = CHUNK_SIZE) -> GcodeText:
    """Read at most ``2 * chunk_size`` bytes of ``path`` (``size`` bytes long)."""
    with open(path, "rb") as gcode:
        if size <= 2 * chunk_size:
            whole = _read_exactly(gcode, size)
            text = _decode(whole)
            return GcodeText(text, text, _start_byte(whole, 0), _end_byte(whole, 0))
        head = _whole_lines_head(_read_exactly(gcode, chunk_size))
        tail_offset = size - chunk_size
        gcode.seek(tail_offset)
        tail = _read_exactly(gcode, chunk_size)
        cut = tail.find(b"\n") + 1
        tail, tail_offset = tail[cut:], tail_offset + cut
    return GcodeText(
        _decode(head),
        _decode(tail),
        _start_byte(head, 0),
        _end_byte(tail, tail_offset),
    )


def _read_exactly(gcode: BinaryIO, count: int) -> bytes:
    parts: list[bytes] = []
    remaining = count
    while remaining > 0:
        data = gcode.read(remaining)
        if not data:
            break
        parts.append(data)
        remaining -= len(data)
    return b"".join(parts)


def _whole_lines_head(head: bytes) -> bytes:
    last_newline = head.rfind(b"\n")
    return head[: last_newline + 1] if last_newline >= 0 else head


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="ignore").replace("\r\n", "\n")


def _start_byte(data: bytes, offset: int) -> int | None:
    match = _COMMAND_LINE.search(data)
    return None if match is None else offset + match.start()


def _end_byte(data: bytes, offset: int) -> int | None:
    """The offset just past the last G/M command line (its newline included)."""
    line_end = len(data)
    while line_end > 0:
        line_start = data.rfind(b"\n", 0, line_end - 1) + 1
        if _COMMAND_LINE.match(data, line_start):
            newline = data.find(b"\n", line_start)
            return offset + (len(data) if newline < 0 else newline + 1)
        line_end = line_start
    return None
