"""Backups as SQLite files in Moonraker's layout: written atomically, read back whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from moontwist.database.moonraker import decode_record, read_sqlite
from moontwist.database.sqlite_backup import InvalidBackup, backup_contents, encode_record, write_sqlite_backup
from tests.database.helpers import encode_record as fixture_encoding

NAMESPACES = {
    "mainsail": {"general": {"printername": "Voron", "nested": [1, 2.5, None]}, "count": 3},
    "fluidd": {"flag": True, "ratio": 0.25, "text": "héllo", "nothing": None, "negative": -7},
    "history": {"000001": {"job_id": "000001", "filename": "a.gcode"}},
}


class EncodingTests(SynchronousTestCase):
    def test_every_json_type_round_trips_and_matches_moonrakers_tags(self) -> None:
        for value in (None, True, False, 0, -2**63, 2**63 - 1, 1.5, "", "s", [1, "a"], {"k": {"n": 1}}):
            self.assertEqual(encode_record(value), fixture_encoding(value), value)
            self.assertEqual(decode_record(encode_record(value)), value)


class SqliteBackupTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = Path(self.mktemp())

    def test_a_backup_reads_back_as_every_namespace(self) -> None:
        path = self.folder / "backup" / "database" / "b.db"
        write_sqlite_backup(NAMESPACES, path)
        self.assertEqual(read_sqlite(path).namespaces, NAMESPACES)
        self.assertEqual(backup_contents(path), (["table_registry", "namespace_store"],
                                                 ["fluidd", "history", "mainsail"]))
        self.assertEqual(sorted(p.name for p in path.parent.iterdir()), ["b.db"])

    def test_writing_over_an_old_backup_replaces_it(self) -> None:
        path = self.folder / "b.db"
        write_sqlite_backup(NAMESPACES, path)
        write_sqlite_backup({"only": {"one": 1}}, path)
        self.assertEqual(read_sqlite(path).namespaces, {"only": {"one": 1}})

    def test_a_failed_write_leaves_the_old_backup_and_no_partial_file(self) -> None:
        path = self.folder / "b.db"
        write_sqlite_backup(NAMESPACES, path)
        self.assertRaises(TypeError, write_sqlite_backup, {"bad": {"set": {1, 2}}}, path)
        self.assertEqual(read_sqlite(path).namespaces, NAMESPACES)
        self.assertEqual([p.name for p in self.folder.iterdir()], ["b.db"])

    def test_files_that_are_not_backups_are_refused(self) -> None:
        self.folder.mkdir()
        text = self.folder / "notes.db"
        text.write_text("not a database at all, just some text " * 10)
        error = self.assertRaises(InvalidBackup, backup_contents, text)
        self.assertIn("Invalid database for restoration", str(error))
        other = self.folder / "other.db"
        connection = sqlite3.connect(other)
        connection.execute("CREATE TABLE something (a INT)")
        connection.close()
        error = self.assertRaises(InvalidBackup, backup_contents, other)
        self.assertEqual(str(error), "Invalid database for restoration, missing table 'namespace_store'")
