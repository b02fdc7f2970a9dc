"""``server.database.post_backup / delete_backup / restore / compact`` over the registry, real lmdb and SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from moontwist.api import Request, Transport
from moontwist.database.moonraker import read_sqlite
from moontwist.errors import ApiError
from moontwist.services.database import DatabaseService
from tests.database.helpers import encode_record
from tests.services.test_database import make_context


class RecordingServer:
    def __init__(self) -> None:
        self.restarts: list[float] = []

    def schedule_restart(self, delay: float) -> None:
        self.restarts.append(delay)


class PrintingJobState:
    tracking = True
    state = "printing"


class BackupTests(TestCase):
    def setUp(self) -> None:
        self.data_path = Path(self.mktemp()).resolve()
        self.ctx = make_context(self.data_path)
        self.service = DatabaseService(self.ctx)
        self.ctx.add_component("database", self.service)
        self.server = RecordingServer()
        self.ctx.components["server"] = self.server  # type: ignore[assignment]
        self.service.startService()
        self.addCleanup(self.service.stopService)
        self.folder = self.data_path / "backup" / "database"

    def call(self, method: str, **args: Any) -> "Deferred[Any]":
        return self.ctx.registry.dispatch(Request(method, args, Transport.WEBSOCKET))

    async def error(self, method: str, **args: Any) -> ApiError:
        error: ApiError = await self.assertFailure(self.call(method, **args), ApiError)
        return error

    async def fill(self) -> None:
        await self.service.store.import_namespaces({
            "mainsail": {"general": {"name": "V2"}}, "fluidd": {"x": 1},
            "authorized_users": {"_API_KEY_USER_": {"api_key": "k"}}})

    async def test_backup_with_moonrakers_default_name_then_listed(self) -> None:
        await self.service.store.insert("mainsail", ["general"], {"name": "V2"})
        answer = await self.call("server.database.post_backup")
        path = Path(answer["backup_path"])
        self.assertEqual(path.parent, self.folder)
        self.assertRegex(path.name, r"^sqldb-backup-\d{8}-\d{6}\.db$")
        self.assertEqual(read_sqlite(path).namespaces, {"mainsail": {"general": {"name": "V2"}}})
        (self.folder / f".{path.name}.partial").write_bytes(b"being written")
        listed = await self.call("server.database.list")
        self.assertEqual(listed["backups"], [path.name])

    async def test_names_outside_the_backup_folder_are_refused(self) -> None:
        for name in ("../escape.db", "/tmp/x.db", "", "."):
            error = await self.error("server.database.post_backup", filename=name)
            self.assertEqual((error.status, error.message), (400, f"Invalid name {name}."))
        self.assertFalse((self.data_path / "backup" / "escape.db").exists())

    async def test_delete_backup(self) -> None:
        await self.call("server.database.post_backup", filename="a.db")
        answer = await self.call("server.database.delete_backup", filename="a.db")
        self.assertEqual(answer, {"backup_path": str(self.folder / "a.db")})
        self.assertEqual((await self.call("server.database.list"))["backups"], [])
        error = await self.error("server.database.delete_backup", filename="a.db")
        self.assertEqual((error.status, error.message), (404, "Backup file a.db does not exist"))

    async def test_restore_replaces_everything_then_restarts(self) -> None:
        await self.fill()
        await self.call("server.database.post_backup", filename="good.db")
        await self.call("server.database.post_item", namespace="mainsail", key="general", value={"name": "new"})
        await self.call("server.database.post_item", namespace="later", key="k", value=1)
        answer = await self.call("server.database.restore", filename="good.db")
        self.assertEqual(answer, {"restored_tables": ["table_registry", "namespace_store"],
                                  "restored_namespaces": ["authorized_users", "fluidd", "mainsail"]})
        self.assertEqual(self.service.store.snapshot(), {
            "authorized_users": {"_API_KEY_USER_": {"api_key": "k"}}, "fluidd": {"x": 1},
            "mainsail": {"general": {"name": "V2"}}})
        self.assertEqual(self.server.restarts, [0.1])
        for method, message in (("server.database.post_backup", "Cannot backup restored database, awaiting restart"),
                                ("server.database.compact", "Cannot compact restored database, awaiting restart"),
                                ("server.database.restore", "Database already restored")):
            error = await self.error(method, filename="good.db")
            self.assertEqual(error.message, message)

    async def test_a_moonraker_backup_restores_with_its_history_table(self) -> None:
        self.folder.mkdir(parents=True)
        path = self.folder / "sqldb-backup-20250101-120000.db"
        connection = sqlite3.connect(path)
        with connection:
            connection.execute("CREATE TABLE namespace_store (namespace TEXT, key TEXT, value record)")
            connection.execute("CREATE TABLE job_history (job_id INTEGER PRIMARY KEY, filename TEXT)")
            connection.execute("INSERT INTO namespace_store VALUES ('mainsail', 'general', ?)",
                               (encode_record({"name": "from Moonraker"}),))
            connection.execute("INSERT INTO job_history VALUES (26, 'benchy.gcode')")
        connection.close()
        answer = await self.call("server.database.restore", filename=path.name)
        self.assertEqual(answer["restored_tables"], ["namespace_store", "job_history"])
        snapshot = self.service.store.snapshot()
        self.assertEqual(snapshot["mainsail"], {"general": {"name": "from Moonraker"}})
        self.assertEqual(snapshot["history"]["00001A"]["filename"], "benchy.gcode")

    async def test_a_failed_restore_changes_nothing(self) -> None:
        await self.fill()
        before = self.service.store.snapshot()
        self.folder.mkdir(parents=True)
        (self.folder / "broken.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000)
        for name, message in (("broken.db", "Invalid database for restoration"),
                              ("missing.db", f"Restoration File {self.folder / 'missing.db'} does not exist")):
            error = await self.error("server.database.restore", filename=name)
            self.assertEqual(error.status, 400)
            self.assertIn(message, error.message)
        self.assertEqual(self.service.store.snapshot(), before)
        self.assertEqual(self.server.restarts, [])

    async def test_compact_reports_sizes(self) -> None:
        await self.service.store.insert_many("bulk", {f"k{i}": "x" * 400 for i in range(2000)})
        await self.service.store.clear("bulk")
        answer = await self.call("server.database.compact")
        self.assertEqual(set(answer), {"previous_size", "new_size"})
        self.assertLess(answer["new_size"], answer["previous_size"])

    async def test_nothing_is_done_while_printing(self) -> None:
        self.ctx.components["job_state"] = PrintingJobState()  # type: ignore[assignment]
        for method, action in (("server.database.post_backup", "backup"), ("server.database.compact", "compact"),
                               ("server.database.restore", "restore")):
            error = await self.error(method, filename="x.db")
            self.assertEqual((error.status, error.message), (400, f"Cannot {action} when Klipper is printing"))
