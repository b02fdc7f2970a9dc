"""The ``moontwist`` command as systemd runs it, with moonraker.env as the installers write it."""

from __future__ import annotations

import ast
import re
import shlex
import sys
from pathlib import Path
from typing import Sequence

from twisted.trial.unittest import TestCase

from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.integration.process import REPO, DaemonProcess, spawn_command, wait_for

LISTENING = re.compile(r"HTTP listening on [^:]+:(\d+)")

# What Moonraker's install-moonraker.sh and KIAUH write to <data>/systemd/moonraker.env.
MOONRAKER_INSTALLER_ENV = """\
MOONRAKER_ARGS="-m moonraker"
PYTHONPATH="/home/pi/moonraker"
MOONRAKER_DATA_PATH="{data}"
"""
KIAUH_ENV = 'MOONRAKER_ARGS="/home/pi/moonraker/moonraker/moonraker.py -d {data}"\n'


def read_env_file(path: Path) -> dict[str, str]:
    """KEY="value" lines, as systemd's EnvironmentFile= reads them."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = shlex.split(value)[0] if value.strip() else ""
    return values


class CommandTests(TestCase):
    timeout = 60

    def prepare(self, env_text: str, config: str = BASE_CONFIG) -> tuple[Path, Path, dict[str, str]]:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(config)
        (data / "systemd").mkdir()
        (data / "systemd" / "moonraker.env").write_text(env_text.format(data=data))
        cwd = short_temp_dir(self)
        return data, cwd, read_env_file(data / "systemd" / "moonraker.env")

    async def run_as_systemd(self, env_text: str, config: str = BASE_CONFIG,
                             python_flags: Sequence[str] = ()) -> tuple[Path, Path, DaemonProcess]:
        """ExecStart=python [python_flags] -m moontwist $MOONRAKER_ARGS with EnvironmentFile=moonraker.env."""
        data, cwd, env = self.prepare(env_text, config)
        # systemd's environment has no PYTHONDONTWRITEBYTECODE (empty is unset).
        env["PYTHONDONTWRITEBYTECODE"] = ""
        process = spawn_command(env["MOONRAKER_ARGS"].split(), cwd, env, python_flags=python_flags)
        self.addCleanup(process.kill)
        process.listening.addErrback(lambda _: None)  # stdout stays empty: the log file says it
        log = data / "logs" / "moonraker.log"
        await wait_for(lambda: process.ended.called or (log.exists() and LISTENING.search(log.read_text())),
                       timeout=30)
        self.assertFalse(process.ended.called, process.output)
        port = LISTENING.search(log.read_text())[1]
        response = await http_client(self).get(f"http://127.0.0.1:{port}/server/info")
        self.assertEqual(response.code, 200)
        process.signal("TERM")
        status = await process.ended
        self.assertEqual(status.exitCode, 0)
        return data, cwd, process

    async def test_moonraker_installer_env_runs_on_its_data_path(self) -> None:
        data, cwd, process = await self.run_as_systemd(MOONRAKER_INSTALLER_ENV)
        self.assertTrue((data / "database" / "moontwist").is_dir())

    async def test_the_units_interpreter_flags_cache_bytecode_without_docstrings(self) -> None:
        """scripts/install's unit: ``python -OO -X pycache_prefix=<venv>/pycache -m moontwist``."""
        prefix = short_temp_dir(self) / "pycache"
        await self.run_as_systemd(MOONRAKER_INSTALLER_ENV, python_flags=["-OO", "-X", f"pycache_prefix={prefix}"])
        app = REPO / "moontwist" / "app.py"
        cached = prefix / app.parent.relative_to("/") / f"app.{sys.implementation.cache_tag}.opt-2.pyc"
        self.assertTrue(cached.is_file(), sorted(prefix.rglob("app.*")))
        docstring = ast.get_docstring(ast.parse(app.read_text()))
        assert docstring is not None
        self.assertNotIn(docstring.encode(), cached.read_bytes())
        self.assertEqual([path for path in prefix.rglob("*.pyc") if ".opt-2." not in path.name], [])

    async def test_kiauh_env_runs_with_the_script_path_skipped(self) -> None:
        data, cwd, process = await self.run_as_systemd(KIAUH_ENV)
        self.assertTrue((data / "database" / "moontwist").is_dir())

    async def test_no_pid_or_log_file_in_the_current_folder_and_nothing_on_stdout(self) -> None:
        data, cwd, process = await self.run_as_systemd(KIAUH_ENV)
        self.assertEqual(list(cwd.iterdir()), [])
        self.assertEqual(process.output, b"")

    async def test_log_states_version_files_klippy_socket_and_config_warnings(self) -> None:
        data, cwd, process = await self.run_as_systemd(KIAUH_ENV, BASE_CONFIG + "no_such_option: 1\n")
        log = (data / "logs" / "moonraker.log").read_text()
        self.assertRegex(log, r"moontwist \d+\.\d+\.\d+ \(Moonraker API 1\.5\.0\) on Python 3\.")
        self.assertIn(f"Config file: {data}/config/moonraker.conf", log)
        self.assertIn(f"Data folder: {data}", log)
        self.assertIn(f"Klippy socket: {data}/comms/klippy.sock", log)
        self.assertEqual(log.count(f"Waiting for Klippy at {data}/comms/klippy.sock"), 1)
        self.assertIn("Unparsed config option 'no_such_option: 1' detected in section [server]", log)
        self.assertNotRegex(log, r"object at 0x|Scheduling retry")

    async def test_nologfile_logs_to_stdout(self) -> None:
        data, cwd, env = self.prepare(KIAUH_ENV)
        process = spawn_command(["-d", str(data), "-n"], cwd)
        self.addCleanup(process.kill)
        ports = await process.listening
        self.assertIn("HTTP", ports)
        process.signal("TERM")
        self.assertEqual((await process.ended).exitCode, 0)
        self.assertFalse((data / "logs" / "moonraker.log").exists())

    async def test_version_names_ours_and_the_api_level(self) -> None:
        cwd = short_temp_dir(self)
        process = spawn_command(["-m", "moonraker", "--version"], cwd)
        process.listening.addErrback(lambda _: None)
        self.assertEqual((await process.ended).exitCode, 0)
        self.assertRegex(process.output.decode(), r"^moontwist \d+\.\d+\.\d+ \(Moonraker API 1\.5\.0\)\n$")
