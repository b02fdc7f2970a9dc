"""``moontwist migrate --check`` on a Moonraker data folder: what a switch keeps and loses, changing nothing."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

from tests.integration.daemon import short_temp_dir
from tests.integration.process import REPO

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime)
            for path in folder.rglob("*")}


class MigrateCheckTests(TestCase):
    timeout = 60

    def moonraker_folder(self) -> Path:
        data = short_temp_dir(self) / "printer_data"
        for name in ("config", "database", "gcodes", "logs"):
            (data / name).mkdir(parents=True)
        shutil.copy(FIXTURES / "moonraker-0.11.0" / "moonraker-sql.db", data / "database")
        config = (FIXTURES / "mainsailos-moonraker.conf").read_text()
        config = config.replace("enable_object_processing: False\n",
                                "enable_object_processing: False\ncheck_klipper_config_path: False\n")
        (data / "config" / "moonraker.conf").write_text(
            config + "\n[timelapse]\noutput_path: ~/timelapse\n\n[zeroconf]\n\n"
            "[power plug]\ntype: mqtt\ncommand_topic: plug/set\ncommand_payload: {command}\nstate_topic: plug/state\n")
        return data

    async def migrate(self, *args: str) -> tuple[int, str]:
        out, err, code = await getProcessOutputAndValue(
            sys.executable, ["-m", "moontwist", "migrate", *args],
            env={**os.environ, "PYTHONPATH": str(REPO)}, path=str(REPO))
        return code, (out + err).decode()

    async def test_reports_what_is_kept_and_lost_and_changes_nothing(self) -> None:
        data = self.moonraker_folder()
        before = snapshot(data)
        code, output = await self.migrate("--check", "-d", str(data))
        self.assertEqual(code, 0, output)
        self.assertIn("users: alice; API key: yes; history jobs: 2", output)
        self.assertIn("namespaces authorized_users, database, fluidd, gcode_metadata, history, mainsail", output)
        self.assertIn("keeps: [server], [file_manager], [authorization], [octoprint_compat], [history], [announcements], "
                      "[update_manager], [update_manager mainsail], [update_manager mainsail-config], "
                      "[update_manager crowsnest], [update_manager sonar], [zeroconf], [power plug]", output)
        self.assertIn("ignores: [file_manager] check_klipper_config_path", output)
        self.assertIn("loses: Failed to load power device [power plug]\n[power plug]: type 'mqtt' needs the [mqtt] "
                      "component; add an [mqtt] section", output)
        self.assertIn("loses: [timelapse]: moontwist has no timelapse component", output)
        self.assertNotIn("Unparsed", output)
        self.assertEqual(snapshot(data), before)

    async def test_config_that_would_not_start_exits_1(self) -> None:
        data = self.moonraker_folder()
        (data / "config" / "moonraker.conf").write_text("[server]\nport: many\n")
        code, output = await self.migrate("--check", "-d", str(data))
        self.assertEqual(code, 1)
        self.assertIn("moontwist would not start: Configuration error: [server]: Option 'port'", output)

    async def test_without_check_it_explains_and_fails(self) -> None:
        code, output = await self.migrate()
        self.assertEqual(code, 2)
        self.assertIn("imported at the first start", output)
