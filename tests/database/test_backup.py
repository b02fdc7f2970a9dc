import io
import sqlite3
import sys
from pathlib import Path
from typing import Any

import lmdb
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase, TestCase

from moontwist.database import store_path
from moontwist.database.__main__ import parse_arguments, run
from moontwist.database.backup import BackupError, import_into, read_source, write_backup
from moontwist.database.moonraker import decode_record
from moontwist.protocols import jsoncodec
from tests.database.helpers import encode_record, open_store

NAMESPACES: dict[str, dict[str, Any]] = {
    "mainsail": {"general": {"printername": "Voron", "dots.in": [1, 2.5, None]}},
    "moonraker": {"instance_id": "abc", "count": -7, "ratio": 0.25, "flag": False},
    "gcode_metadata": {"dir/benchy.gcode": {"size": 1234}},
}


class DecodeRecordTests(SynchronousTestCase):
    def test_every_tag_decodes(self) -> None:
        values = (-(2**63), 2**63 - 1, 1.5, True, False, "ünï", [1, "a"], {"a": {"b": 1}}, None)
        for value in values:
            with self.subTest(value=value):
                decoded = decode_record(encode_record(value))
                self.assertEqual((decoded, type(decoded)), (value, type(value)))

    def test_malformed_records_are_value_errors(self) -> None:
        for raw in (b"", b"x1", b"q\x01\x02", b"?", b"s\xff", b"[1,"):
            with self.subTest(raw=raw):
                self.assertRaises(ValueError, decode_record, raw)


def write_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE namespace_store (namespace TEXT NOT NULL, key TEXT NOT NULL,
            value record NOT NULL, PRIMARY KEY(namespace, key));
        CREATE TABLE job_history (job_id INTEGER PRIMARY KEY ASC, user TEXT, filename TEXT,
            status TEXT, start_time REAL, end_time REAL NULL, print_duration REAL,
            total_duration REAL, filament_used REAL, metadata pyjson, auxiliary_data pyjson,
            instance_id TEXT NOT NULL);
        CREATE TABLE job_totals (provider TEXT NOT NULL, field TEXT NOT NULL, maximum REAL NOT NULL,
            total REAL NOT NULL, instance_id TEXT NOT NULL, PRIMARY KEY(provider, field));
        CREATE TABLE authorized_users (username TEXT PRIMARY KEY NOT NULL, password TEXT NOT NULL,
            created_on REAL NOT NULL, salt TEXT NOT NULL, source TEXT NOT NULL,
            jwt_secret TEXT, jwk_id TEXT, groups pyjson);
        """
    )
    rows = [
        (namespace, key, encode_record(value))
        for namespace, items in NAMESPACES.items()
        for key, value in items.items()
    ]
    rows.append(("mainsail", "broken", b"Zjunk"))
    connection.executemany("INSERT INTO namespace_store VALUES (?, ?, ?)", rows)
    connection.execute(
        "INSERT INTO job_history VALUES (42, 'alice', 'benchy.gcode', 'completed', 10.0, 20.0,"
        " 8.0, 10.0, 123.4, ?, '[]', 'default')",
        ('{"size": 1234}',),
    )
    connection.execute("INSERT INTO job_totals VALUES ('history', 'total_jobs', 0, 1, 'default')")
    connection.execute(
        "INSERT INTO authorized_users VALUES ('bob', 'hash', 1.0, 'salt', 'moonraker', NULL, NULL,"
        " '[\"admin\"]')"
    )
    connection.execute(
        "INSERT INTO authorized_users VALUES ('_API_KEY_USER_', 'the-key', 2.0, '', 'moonraker',"
        " NULL, NULL, NULL)"
    )
    connection.commit()
    connection.close()


def write_legacy_lmdb(path: Path) -> None:
    env = lmdb.open(str(path), max_dbs=10)
    moonraker = {**NAMESPACES["moonraker"], "database": {"unsafe_shutdowns": 2}}
    legacy = {**NAMESPACES, "moonraker": moonraker}
    for namespace, items in legacy.items():
        database = env.open_db(namespace.encode())
        with env.begin(write=True, db=database) as txn:
            for key, value in items.items():
                txn.put(key.encode(), encode_record(value))
    env.close()


class ReadSourceTests(SynchronousTestCase):
    def test_moonraker_sqlite_namespaces_and_tables(self) -> None:
        path = Path(self.mktemp())
        path.parent.mkdir(parents=True, exist_ok=True)
        write_sqlite(path)
        source = read_source(path)
        for namespace, items in NAMESPACES.items():
            for key, value in items.items():
                self.assertEqual(source.namespaces[namespace][key], value)
        self.assertEqual(len(source.skipped), 1)
        self.assertIn("mainsail/broken", source.skipped[0])
        job = source.namespaces["history"]["00002A"]
        self.assertEqual(
            (job["job_id"], job["metadata"], job["auxiliary_data"]), ("00002A", {"size": 1234}, [])
        )
        self.assertEqual(source.namespaces["history"]["job_totals"][0]["field"], "total_jobs")
        users = source.namespaces["authorized_users"]
        self.assertEqual(users["bob"]["groups"], ["admin"])
        self.assertEqual(users["_API_KEY_USER_"], {"api_key": "the-key", "created_on": 2.0})

    def test_legacy_lmdb_folder_or_data_file(self) -> None:
        folder = Path(self.mktemp())
        write_legacy_lmdb(folder)
        for path in (folder, folder / "data.mdb"):
            source = read_source(path)
            self.assertEqual(source.namespaces["mainsail"], NAMESPACES["mainsail"])
            self.assertEqual(source.namespaces["moonraker"], NAMESPACES["moonraker"])
            self.assertEqual(source.namespaces["database"], {"unsafe_shutdowns": 2})

    def test_unknown_files_are_refused(self) -> None:
        path = Path(self.mktemp())
        path.parent.mkdir(parents=True, exist_ok=True)
        wrong_version = b'{"format": "moontwist-database", "version": 9}'
        for content in (b"garbage", b'{"format": "other"}', wrong_version):
            path.write_bytes(content)
            self.assertRaises(BackupError, read_source, path)
        self.assertRaises(BackupError, read_source, path.with_name("missing"))
        self.assertRaises(BackupError, read_source, path.parent)


class ExportImportTests(TestCase):
    async def fill(self) -> Any:
        store = open_store(self)
        await store.import_namespaces(NAMESPACES)
        return store

    async def test_json_backup_round_trip(self) -> None:
        store = await self.fill()
        backup = Path(self.mktemp())
        backup.parent.mkdir(parents=True, exist_ok=True)
        self.assertEqual(write_backup(store, backup), 6)
        self.assertEqual(jsoncodec.decode(backup.read_bytes())["namespaces"], NAMESPACES)
        restored = open_store(self)
        self.assertEqual(await import_into(restored, read_source(backup)), 6)
        self.assertEqual({n: restored.records(n) for n in restored.namespaces()}, NAMESPACES)

    async def test_import_merges_into_existing_records(self) -> None:
        store = open_store(self)
        await store.insert("mainsail", ["mine"], 1)
        await store.insert("mainsail", ["general"], "old")
        folder = Path(self.mktemp())
        write_legacy_lmdb(folder)
        await import_into(store, read_source(folder))
        self.assertEqual(store.records("mainsail"), {"mine": 1, **NAMESPACES["mainsail"]})
        self.assertEqual(store.transactions, 3)

    async def test_sqlite_import_lands_in_the_store(self) -> None:
        store = open_store(self)
        path = Path(self.mktemp())
        path.parent.mkdir(parents=True, exist_ok=True)
        write_sqlite(path)
        await import_into(store, read_source(path))
        self.assertEqual(store.get("history", ["00002A", "filename"]), "benchy.gcode")
        self.assertEqual(store.get("moonraker", ["count"]), -7)


class CommandLineTests(TestCase):
    def setUp(self) -> None:
        self.output = io.StringIO()
        self.patch(sys, "stdout", self.output)
        self.patch(sys, "stderr", self.output)
        self.root = Path(self.mktemp()).resolve()
        self.root.mkdir(parents=True)

    def command(self, *argv: str) -> "Deferred[None]":
        return Deferred.fromCoroutine(run(reactor, parse_arguments(list(argv))))

    async def test_import_then_export_through_the_command_line(self) -> None:
        write_sqlite(self.root / "moonraker-sql.db")
        first, second = self.root / "first", self.root / "second"
        await self.command("import", str(self.root / "moonraker-sql.db"), "--datapath", str(first))
        self.assertIn("skipped mainsail/broken", self.output.getvalue())
        await self.command("export", str(self.root / "backup.json"), "--datapath", str(first))
        await self.command("import", str(self.root / "backup.json"), "--datapath", str(second))
        store = open_store(self, store_path(second))
        self.assertEqual(store.records("mainsail"), NAMESPACES["mainsail"])
        self.assertEqual(store.get("authorized_users", ["bob", "source"]), "moonraker")

    async def test_exporting_a_missing_database_is_refused(self) -> None:
        export = self.command("export", str(self.root / "x.json"), "--datapath", str(self.root))
        failure = await self.assertFailure(export, SystemExit)
        self.assertEqual(failure.code, 1)
        self.assertFalse(store_path(self.root).exists())

    async def test_a_datapath_in_use_is_refused(self) -> None:
        open_store(self, store_path(self.root))
        export = self.command("export", str(self.root / "x.json"), "--datapath", str(self.root))
        failure = await self.assertFailure(export, SystemExit)
        self.assertEqual(failure.code, 1)
        self.assertIn("in use", self.output.getvalue())
