"""The fields every metadata object carries, whatever wrote the file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist.metadata import extract


class CommonFieldTests(SynchronousTestCase):
    def setUp(self) -> None:
        directory = Path(self.mktemp())
        directory.mkdir()
        self.path = directory / "part.gcode"
        self.path.write_bytes(b"; nothing known\nG28\n")
        os.utime(self.path, (1_700_000_000.5, 1_700_000_000.5))

    def test_stat_name_and_job_fields(self) -> None:
        metadata = extract(self.path, "sub/part.gcode")
        self.assertEqual(metadata["size"], 20)
        self.assertEqual(metadata["modified"], 1_700_000_000.5)
        self.assertEqual(metadata["filename"], "sub/part.gcode")
        self.assertIsNone(metadata["print_start_time"])
        self.assertIsNone(metadata["job_id"])

    def test_each_parse_gets_a_fresh_uuid4(self) -> None:
        first = uuid.UUID(extract(self.path, "part.gcode")["uuid"])
        second = uuid.UUID(extract(self.path, "part.gcode")["uuid"])
        self.assertEqual(first.version, 4)
        self.assertNotEqual(first, second)

    def test_empty_file_has_only_the_common_fields(self) -> None:
        self.path.write_bytes(b"")
        metadata = extract(self.path, "part.gcode")
        self.assertEqual(
            set(metadata),
            {"size", "modified", "uuid", "file_processors", "slicer", "slicer_version", "filename",
             "print_start_time", "job_id"},
        )
        self.assertEqual(metadata["file_processors"], [])

    def test_missing_file_raises(self) -> None:
        self.assertRaises(FileNotFoundError, extract, self.path.with_name("gone.gcode"), "gone")
