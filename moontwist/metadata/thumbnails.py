"""Thumbnails embedded in G-code comments, written to ``.thumbs/`` beside the file.

A block looks like ``; thumbnail begin 300x300 12345`` (or ``thumbnail_PNG``,
``thumbnail_JPG``, ``thumbnail_QOI``), base64 lines each starting with ``;``, and
``; thumbnail end`` with the same tag. A block whose base64 length differs from
the announced one, or that does not decode to its format, is skipped.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moontwist.metadata.atomic import write_atomically
from moontwist.metadata.images import ImageError
from moontwist.metadata.images.png import SIGNATURE, decode_png, encode_png, png_size
from moontwist.metadata.images.qoi import decode_qoi
from moontwist.metadata.images.resize import fit_within

THUMBS_DIR = ".thumbs"
SMALL_SIZE = 32
MAX_UFP_THUMBNAIL = 16 * 1024 * 1024

_BEGIN = re.compile(
    r"^;[ \t]*(thumbnail(?:_([A-Za-z]+))?) begin[ \t]+(\d+)x(\d+)[ \t]+(\d+)[ \t]*$",
    re.MULTILINE,
)
_END = re.compile(r"^;[ \t]*(thumbnail(?:_[A-Za-z]+)?) end", re.MULTILINE)
_JPEG_START = b"\xff\xd8"

Thumbnail = dict[str, Any]


@dataclass(frozen=True)
class Block:
    """One embedded image as announced by its ``begin`` line."""

    kind: str
    width: int
    height: int
    data: bytes


def find_blocks(text: str) -> Iterator[Block]:
    """Every well-formed thumbnail block in ``text``, in file order."""
    position = 0
    while (begin := _BEGIN.search(text, position)) is not None:
        position = begin.end()
        end = _END.search(text, position)
        if end is None:
            return
        if end.group(1) != begin.group(1) or _BEGIN.search(text, position, end.start()):
            continue  # mismatched end, or a block that never ended before the next
        position = end.end()
        encoded = "".join(
            line.lstrip(";").strip() for line in text[begin.end() : end.start()].split("\n"))
        if len(encoded) != int(begin.group(5)):
            continue
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        kind = (begin.group(2) or "png").lower()
        yield Block(kind, int(begin.group(3)), int(begin.group(4)), data)


def write_thumbnails(gcode: Path, head: str) -> list[Thumbnail]:
    """Write the thumbnails embedded in ``head``; their entries, a 32×32 one first."""
    written: dict[str, tuple[Thumbnail, bytes]] = {}
    for block in find_blocks(head):
        converted = _as_file(block)
        if converted is None:
            continue
        extension, data = converted
        name = f"{gcode.stem}-{block.width}x{block.height}.{extension}"
        if name in written:
            continue
        entry = _write(gcode, name, data, block.width, block.height)
        if entry is not None:
            written[name] = (entry, data)
    thumbnails = [entry for entry, _ in written.values()]
    if not any(t["width"] == t["height"] == SMALL_SIZE for t in thumbnails):
        pngs = [data for entry, data in written.values() if data.startswith(SIGNATURE)]
        _insert_small(gcode, thumbnails, pngs)
    return thumbnails


def ufp_thumbnails(gcode: Path) -> list[Thumbnail]:
    """Entries for ``.thumbs/<name>.png`` left by a UFP upload, and a 32×32 one first."""
    name = f"{gcode.stem}.png"
    path = gcode.parent / THUMBS_DIR / name
    try:
        if path.stat().st_size > MAX_UFP_THUMBNAIL:
            return []
        data = path.read_bytes()
        width, height = png_size(data)
    except (OSError, ImageError):
        return []
    thumbnails = [_entry(name, width, height, len(data))]
    if (width, height) != (SMALL_SIZE, SMALL_SIZE):
        _insert_small(gcode, thumbnails, [data])
    return thumbnails


def _as_file(block: Block) -> tuple[str, bytes] | None:
    """The extension and bytes to store for ``block``; QOI becomes PNG."""
    if block.kind == "png" and block.data.startswith(SIGNATURE):
        return "png", block.data
    if block.kind == "jpg" and block.data.startswith(_JPEG_START):
        return "jpg", block.data
    if block.kind == "qoi":
        try:
            return "png", encode_png(decode_qoi(block.data))
        except ImageError:
            return None
    return None


def _insert_small(gcode: Path, thumbnails: list[Thumbnail], pngs: list[bytes]) -> None:
    """Add a copy of one PNG shrunk to fit 32×32, as the first entry.

    The source is the smallest PNG at least 32 pixels wide or high (else the
    largest): cheaper to decode in pure Python than the biggest, and as sharp.
    """
    sizes = []
    for data in pngs:
        try:
            sizes.append((png_size(data), data))
        except ImageError:
            continue
    if not sizes:
        return
    covering = [item for item in sizes if max(item[0]) >= SMALL_SIZE]
    pick = min if covering else max
    _, source = pick(covering or sizes, key=lambda item: item[0][0] * item[0][1])
    try:
        small = fit_within(decode_png(source), SMALL_SIZE, SMALL_SIZE)
    except ImageError:
        return
    name = f"{gcode.stem}-{SMALL_SIZE}x{SMALL_SIZE}.png"
    entry = _write(gcode, name, encode_png(small), small.width, small.height)
    if entry is not None:
        thumbnails.insert(0, entry)


def _write(gcode: Path, name: str, data: bytes, width: int, height: int) -> Thumbnail | None:
    directory = gcode.parent / THUMBS_DIR
    try:
        directory.mkdir(exist_ok=True)
        write_atomically(directory / name, data)
    except OSError:
        return None
    return _entry(name, width, height, len(data))


def _entry(name: str, width: int, height: int, size: int) -> Thumbnail:
    return {
        "width": width,
        "height": height,
        "size": size,
        "relative_path": f"{THUMBS_DIR}/{name}",
    }
