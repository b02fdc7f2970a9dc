"""``type: python``: a package in its own virtualenv, from a loopback package index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.daemon import BASE_CONFIG, short_temp_dir, start_daemon
from tests.services.machine.helpers import calls
from tests.services.update_manager.fake_pypi import PROJECT, start_fake_index, wheel_name
from tests.services.update_manager.fixtures import host_programs
from tests.services.update_manager.test_git_repo import get, post
from tests.services.update_manager.test_power_loss import Daemon


def installed(venv: Path) -> str:
    return subprocess.run([str(venv / "bin" / "python"), "-c", f"import {PROJECT}; print({PROJECT}.VERSION)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def make_venv(index: Any, venv: Path, version: str) -> None:
    """The installed version, from a wheel on disk (the loopback index is served by this reactor)."""
    wheels = venv.parent / "wheels"
    wheels.mkdir()
    (wheels / wheel_name(version)).write_bytes(index.wheels[version])
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index",
                    "--find-links", str(wheels), f"{PROJECT}=={version}"], check=True)


def python_config(index: Any, venv: Path) -> str:
    return (f"[update_manager]\nenable_system_updates: False\n\n"
            f"[update_manager {PROJECT}]\ntype: python\nvirtualenv: {venv}\nindex_url: {index.base}\n\n"
            + BASE_CONFIG)


class PythonEnvTests(TestCase):
    timeout = 180

    async def test_update_builds_a_new_virtualenv_swaps_it_in_and_rolls_back(self) -> None:
        programs = host_programs(self)
        index = start_fake_index(self)
        index.publish("1.0")
        venv = short_temp_dir(self) / "demo-env"
        make_venv(index, venv, "1.0")
        daemon = await start_daemon(self, python_config(index, venv))
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"][PROJECT]
        self.assertEqual((info["configured_type"], info["version"], info["remote_version"]), ("python", "1.0", "?"))
        index.publish("2.0")
        code, body = await post(daemon, f"/machine/update/upgrade?name={PROJECT}")
        self.assertEqual((code, body.get("result")), (200, "ok"), body)
        self.assertTrue(venv.is_symlink())
        self.assertEqual(installed(venv), "2.0")
        self.assertIn(f"systemctl restart {PROJECT}", calls(programs))
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"][PROJECT]
        self.assertEqual((info["version"], info["rollback_version"]), ("2.0", "1.0"))
        code, _ = await post(daemon, f"/machine/update/rollback?name={PROJECT}")
        self.assertEqual(code, 200)
        self.assertEqual(installed(venv), "1.0")

    async def test_killed_while_building_keeps_the_old_virtualenv(self) -> None:
        host_programs(self)
        index = start_fake_index(self)
        index.publish("1.0")
        venv = short_temp_dir(self) / "demo-env"
        make_venv(index, venv, "1.0")
        index.publish("2.0")
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(python_config(index, venv))
        daemon = Daemon(self, data)
        index.on_download = lambda: daemon.process.signal("KILL")
        await daemon.start()
        try:
            await daemon.post(f"/machine/update/upgrade?name={PROJECT}")
        except Exception:
            pass
        await daemon.process.ended
        index.on_download = None

        restarted = await Daemon(self, data).start()
        info = await restarted.info(PROJECT)
        self.assertEqual((info["version"], info["is_valid"]), ("1.0", True))
        self.assertIn("was interrupted", info["warnings"][0])
        self.assertEqual(installed(venv), "1.0")
        releases = venv.parent / f".{venv.name}.releases"
        self.assertFalse((releases / "2.0").exists())
        code, _ = await restarted.post(f"/machine/update/upgrade?name={PROJECT}")
        self.assertEqual(code, 200)
        self.assertEqual(installed(venv), "2.0")
        code, _ = await restarted.post(f"/machine/update/rollback?name={PROJECT}")
        self.assertEqual(code, 200)
        self.assertEqual(installed(venv), "1.0")
        await restarted.stop()
