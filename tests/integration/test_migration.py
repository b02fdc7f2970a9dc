"""First start on a Moonraker data folder takes over its database (made by real Moonraker 0.11.0)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from twisted.logger import globalLogPublisher
from twisted.trial.unittest import TestCase

from moontwist.database.migration import moonraker_database
from tests.database.test_backup import write_legacy_lmdb, write_sqlite
from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "moonraker-0.11.0" / "moonraker-sql.db"
API_KEY = "08e70e10920b4c5ca3e614204ed7f622"
# Nobody trusted: the API key and the imported user's login have to work on their own.
UNTRUSTED_CONFIG = "[server]\nhost: 127.0.0.1\nport: 0\nssl_port: 0\n"


def with_moonraker_database(data: Path) -> None:
    (data / "database").mkdir(exist_ok=True)
    shutil.copy(FIXTURE, data / "database" / "moonraker-sql.db")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class MigrationTests(TestCase):
    timeout = 30

    def capture_log(self) -> list[str]:
        lines: list[str] = []

        def observer(event: dict[str, Any]) -> None:
            from twisted.logger import formatEvent

            lines.append(formatEvent(event))

        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        return lines

    async def call(self, daemon: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        client = http_client(self)
        response = await client.request(method, daemon.http_url + path, **kwargs)
        return response.code, await response.json()

    async def test_settings_history_users_and_api_key_are_taken_over_file_unchanged(self) -> None:
        log = self.capture_log()
        daemon = await start_daemon(self, UNTRUSTED_CONFIG, prepare=with_moonraker_database)
        key = {"headers": {"X-Api-Key": API_KEY}}
        code, body = await self.call(daemon, "GET", "/server/database/item?namespace=mainsail&key=general", **key)
        self.assertEqual((code, body["result"]["value"]["printername"]), (200, "Voron Switch"))
        code, body = await self.call(daemon, "GET", "/server/database/item?namespace=fluidd&key=uiSettings", **key)
        self.assertEqual(body["result"]["value"]["general"]["instanceName"], "Fluidd Switch")
        code, body = await self.call(daemon, "GET", "/server/history/list", **key)
        jobs = {job["job_id"]: (job["filename"], job["status"]) for job in body["result"]["jobs"]}
        self.assertEqual(jobs, {"000001": ("cube.gcode", "error"), "000002": ("benchy.gcode", "completed")})
        code, body = await self.call(daemon, "GET", "/server/history/totals", **key)
        self.assertEqual(body["result"]["job_totals"]["total_jobs"], 2)
        code, body = await self.call(daemon, "GET", "/server/info")
        self.assertEqual(code, 401)
        code, body = await self.call(daemon, "POST", "/access/login",
                                     json={"username": "alice", "password": "s3cret-pass"})
        self.assertEqual((code, body["result"]["username"]), (200, "alice"))
        code, body = await self.call(daemon, "GET", "/server/info",
                                     headers={"Authorization": f"Bearer {body['result']['token']}"})
        self.assertEqual(code, 200)
        self.assertEqual([w for w in body["result"]["warnings"] if "Moonraker's database" in w], [])
        imported = [line for line in log if line.startswith("Imported ")]
        self.assertEqual(len(imported), 1, log)
        self.assertIn("users: alice; API key: yes; history jobs: 2", imported[0])
        self.assertIn("the file is left as it was", imported[0])
        moonraker_file = daemon.data_path / "database" / "moonraker-sql.db"
        self.assertEqual(digest(moonraker_file), digest(FIXTURE))
        self.assertEqual(sorted(p.name for p in moonraker_file.parent.iterdir()), ["moonraker-sql.db", "moontwist"])

    async def test_import_happens_once(self) -> None:
        daemon = await start_daemon(self, prepare=with_moonraker_database)
        code, _ = await self.call(daemon, "POST", "/server/database/item",
                                  json={"namespace": "mainsail", "key": "general.printername", "value": "Renamed"})
        self.assertEqual(code, 200)
        await daemon.service.stopService()
        log = self.capture_log()
        again = await start_daemon(self, config=None, data_path=daemon.data_path)
        code, body = await self.call(again, "GET", "/server/database/item?namespace=mainsail&key=general")
        self.assertEqual(body["result"]["value"]["printername"], "Renamed")
        self.assertEqual([line for line in log if "Moonraker's database" in line], [])

    async def test_database_in_use_before_is_not_overwritten(self) -> None:
        daemon = await start_daemon(self)
        await self.call(daemon, "POST", "/server/database/item",
                        json={"namespace": "mainsail", "key": "general.printername", "value": "Ours"})
        await daemon.service.stopService()
        with_moonraker_database(daemon.data_path)
        log = self.capture_log()
        again = await start_daemon(self, config=None, data_path=daemon.data_path)
        code, body = await self.call(again, "GET", "/server/database/item?namespace=mainsail&key=general")
        self.assertEqual(body["result"]["value"]["printername"], "Ours")
        self.assertTrue(any("is not imported: moontwist's database already has data" in line for line in log), log)

    async def test_records_that_cannot_be_read_are_server_info_warnings(self) -> None:
        def prepare(data: Path) -> None:
            (data / "database").mkdir()
            write_sqlite(data / "database" / "moonraker-sql.db")

        daemon = await start_daemon(self, prepare=prepare)
        code, body = await self.call(daemon, "GET", "/server/info")
        warnings = [w for w in body["result"]["warnings"] if "Moonraker's database" in w]
        self.assertEqual(len(warnings), 1, body["result"]["warnings"])
        self.assertIn("mainsail/broken", warnings[0])
        code, body = await self.call(daemon, "GET", "/server/database/item?namespace=mainsail&key=general")
        self.assertEqual(body["result"]["value"]["printername"], "Voron")

    async def test_old_lmdb_database_is_taken_over(self) -> None:
        def prepare(data: Path) -> None:
            (data / "database").mkdir()
            write_legacy_lmdb(data / "database")

        daemon = await start_daemon(self, prepare=prepare)
        code, body = await self.call(daemon, "GET", "/server/database/item?namespace=mainsail&key=general")
        self.assertEqual(body["result"]["value"]["printername"], "Voron")


class LegacyLocationTests(TestCase):
    def test_database_of_installs_from_before_the_data_folder_is_found(self) -> None:
        home = Path(self.mktemp())
        data = home / "printer_data"
        (data / "database").mkdir(parents=True)
        self.assertIsNone(moonraker_database(data, home))
        (home / ".moonraker_database").mkdir()
        write_legacy_lmdb(home / ".moonraker_database")
        self.assertEqual(moonraker_database(data, home), home / ".moonraker_database" / "data.mdb")
        write_sqlite(data / "database" / "moonraker-sql.db")
        self.assertEqual(moonraker_database(data, home), data / "database" / "moonraker-sql.db")
