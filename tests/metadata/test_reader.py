"""Only the head and tail are read, whatever the size; text is decoded forgivingly."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, BinaryIO

from twisted.trial.unittest import SynchronousTestCase

from moontwist.metadata import extract, reader
from moontwist.metadata.reader import CHUNK_SIZE, read_gcode

from .helpers import command_bounds, sample

GIB = 1024**3


class _CountingFile:
    """A file object that adds up the bytes its reads return."""

    def __init__(self, wrapped: BinaryIO, counter: list[int]) -> None:
        self._wrapped = wrapped
        self._counter = counter

    def read(self, size: int = -1) -> bytes:
        data = self._wrapped.read(size)
        self._counter[0] += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._wrapped.seek(offset, whence)

    def __enter__(self) -> _CountingFile:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._wrapped.close()


def _split_prusa_sample() -> tuple[bytes, bytes]:
    """The PrusaSlicer sample cut before its first layer: (header, footer)."""
    data = sample("prusaslicer")
    cut = data.index(b";LAYER_CHANGE")
    return data[:cut], b"\n" + data[data.index(b"M107\nM104 S0") :]


class BoundedReadTests(SynchronousTestCase):
    """Extraction cost does not grow with the file: bytes read are counted, not timed."""

    def setUp(self) -> None:
        self.bytes_read = [0]
        counter = self.bytes_read

        def counting_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            return _CountingFile(builtins.open(path, mode, *args, **kwargs), counter)

        # A module global shadows the builtin for reader.py alone.
        reader.open = counting_open  # type: ignore[attr-defined]
        self.addCleanup(delattr, reader, "open")
        self.directory = Path(self.mktemp())
        self.directory.mkdir()

    def sparse_file(self, name: str, size: int) -> tuple[Path, int]:
        """A ``size``-byte file: sample header, a hole, sample footer; and the footer's offset."""
        header, footer = _split_prusa_sample()
        path = self.directory / name
        with open(path, "wb") as output:
            output.write(header)
            output.truncate(size - len(footer))
            output.seek(size - len(footer))
            output.write(footer)
        return path, size - len(footer)

    def test_one_gigabyte_file_reads_only_head_and_tail(self) -> None:
        path, footer_offset = self.sparse_file("huge.gcode", GIB)
        metadata = extract(path, "huge.gcode")
        self.assertLessEqual(self.bytes_read[0], 2 * CHUNK_SIZE)
        self.assertEqual(metadata["size"], GIB)
        self.assertEqual(metadata["slicer"], "PrusaSlicer")
        self.assertEqual(metadata["filament_total"], 1335.0)
        self.assertEqual(metadata["estimated_time"], 3723.0)
        self.assertEqual(metadata["layer_height"], 0.15)
        header, footer = _split_prusa_sample()
        self.assertEqual(metadata["gcode_start_byte"], command_bounds(header)[0])
        self.assertEqual(metadata["gcode_end_byte"], footer_offset + command_bounds(footer)[1])

    def test_bytes_read_are_the_same_for_5_megabytes_and_1_gigabyte(self) -> None:
        small, _ = self.sparse_file("small.gcode", 5 * 1024**2)
        extract(small, "small.gcode")
        read_for_small = self.bytes_read[0]
        self.bytes_read[0] = 0
        huge, _ = self.sparse_file("huge.gcode", GIB)
        extract(huge, "huge.gcode")
        self.assertEqual(self.bytes_read[0], read_for_small)

    def test_file_up_to_two_chunks_is_read_once_whole(self) -> None:
        path, _ = self.sparse_file("medium.gcode", CHUNK_SIZE + CHUNK_SIZE // 2)
        text = read_gcode(path, path.stat().st_size)
        self.assertEqual(self.bytes_read[0], CHUNK_SIZE + CHUNK_SIZE // 2)
        self.assertIs(text.head, text.tail)


class ChunkBoundaryTests(SynchronousTestCase):
    """Head and tail keep whole lines only, and offsets count bytes of the file."""

    def write(self, data: bytes) -> Path:
        path = Path(self.mktemp())
        path.write_bytes(data)
        return path

    def test_partial_lines_at_the_cuts_are_dropped(self) -> None:
        lines = [f"; setting_{n:03d} = {n}\n".encode() for n in range(40)]
        path = self.write(b"".join(lines))
        text = read_gcode(path, path.stat().st_size, chunk_size=100)
        self.assertTrue(text.head.endswith("\n"))
        self.assertTrue(all(line.startswith("; setting_") for line in text.head.splitlines()))
        self.assertTrue(all(line.startswith("; setting_") for line in text.tail.splitlines()))
        self.assertTrue(text.tail.endswith("; setting_039 = 39\n"))

    def test_command_offsets_are_byte_offsets_in_the_whole_file(self) -> None:
        body = b"".join(f"G1 X{n} Y{n}\n".encode() for n in range(100))
        data = "; Ünïcödé 😀 header\n".encode() + body + b"; statistics\n" * 3
        path = self.write(data)
        text = read_gcode(path, len(data), chunk_size=128)
        self.assertEqual((text.gcode_start_byte, text.gcode_end_byte), command_bounds(data))

    def test_file_without_commands_has_no_offsets(self) -> None:
        path = self.write(b"; only a comment\n")
        text = read_gcode(path, path.stat().st_size)
        self.assertEqual((text.gcode_start_byte, text.gcode_end_byte), (None, None))

    def test_last_command_without_a_newline_ends_at_the_end_of_file(self) -> None:
        path = self.write(b"; x\nG28\nM84")
        text = read_gcode(path, path.stat().st_size)
        self.assertEqual((text.gcode_start_byte, text.gcode_end_byte), (4, 11))


class DecodingTests(SynchronousTestCase):
    """Invalid UTF-8 and CRLF line endings do not disturb extraction."""

    def extract_bytes(self, data: bytes) -> dict[str, Any]:
        directory = Path(self.mktemp())
        directory.mkdir()
        path = directory / "part.gcode"
        path.write_bytes(data)
        return extract(path, "part.gcode")

    def test_invalid_utf8_in_comments_is_ignored(self) -> None:
        data = sample("prusaslicer").replace(
            b'"Prusament PLA";', b'"Prusa\xff\xfement PLA";'
        ).replace(b"; external perimeters", b"; \xc3 broken \xe2\x82 bytes\n; external perimeters")
        metadata = self.extract_bytes(data)
        self.assertEqual(metadata["filament_name"], '["Prusament PLA", "Prusament PETG"]')
        self.assertEqual(metadata["layer_height"], 0.15)
        self.assertEqual(
            (metadata["gcode_start_byte"], metadata["gcode_end_byte"]), command_bounds(data))

    def test_crlf_line_endings_give_the_same_fields(self) -> None:
        data = sample("cura")
        windows_data = data.replace(b"\n", b"\r\n")
        unix, windows = self.extract_bytes(data), self.extract_bytes(windows_data)
        self.assertEqual(
            (windows["gcode_start_byte"], windows["gcode_end_byte"]), command_bounds(windows_data))
        for key in ("size", "modified", "uuid", "gcode_start_byte", "gcode_end_byte"):
            del unix[key], windows[key]
        self.assertEqual(windows, unix)
