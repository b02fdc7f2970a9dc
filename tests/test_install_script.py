"""scripts/install and --uninstall with fake sudo/systemctl/groupadd/usermod on PATH and a temporary HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from tests.source_copy import source_copy

FAKE = """#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_LOG"
{body}
"""
KIAUH_ENV = 'MOONRAKER_ARGS="/home/pi/moonraker/moonraker/moonraker.py -d {data}"\n'


class InstallScriptTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mt-install"))
        self.addCleanup(shutil.rmtree, self.root, True)
        self.source = source_copy(self.root / "source")
        self.home = self.root / "home"
        self.data = self.home / "printer_data"
        (self.data / "systemd").mkdir(parents=True)
        (self.data / "systemd" / "moonraker.env").write_text(KIAUH_ENV.format(data=self.data))
        self.systemd_dir = self.root / "etc" / "systemd" / "system"
        self.systemd_dir.mkdir(parents=True)
        (self.systemd_dir / "moonraker.service").write_text("[Service]\nExecStart=/bin/true\n")
        self.polkit_dir = self.root / "etc" / "polkit-1" / "rules.d"
        self.log = self.root / "commands.log"
        fakes = self.root / "bin"
        fakes.mkdir()
        bodies = {"sudo": 'exec "$@"', "systemctl": 'exit 0', "groupadd": "exit 0", "usermod": "exit 0"}
        for name, body in bodies.items():
            (fakes / name).write_text(FAKE.format(body=body))
            (fakes / name).chmod(0o755)
        self.env = {
            **os.environ,
            "HOME": str(self.home),
            "SUDO_USER": "",
            "PATH": f"{fakes}:{os.environ['PATH']}",
            "FAKE_LOG": str(self.log),
            "MOONTWIST_SYSTEMD_DIR": str(self.systemd_dir),
            "MOONTWIST_POLKIT_DIR": str(self.polkit_dir),
            # The dependencies would come from PyPI; the test checks the install, not them.
            "PIP_NO_DEPS": "1",
        }

    def run_script(self, *args: str) -> str:
        result = subprocess.run([str(self.source / "scripts" / "install"), "--data", str(self.data),
                                 "--venv", str(self.home / "moontwist-env"), *args],
                                env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def commands(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def test_install_then_uninstall_switches_to_moontwist_and_back(self) -> None:
        self.run_script()
        venv = self.home / "moontwist-env"
        self.assertTrue((venv / "bin" / "moontwist").exists())
        # Editable from this clone: the update manager's `moonraker` entry updates it with git.
        record, = venv.glob("lib/python*/site-packages/moontwist-*.dist-info/direct_url.json")
        self.assertEqual(json.loads(record.read_text()),
                         {"url": self.source.resolve().as_uri(), "dir_info": {"editable": True}})
        unit = (self.systemd_dir / "moontwist.service").read_text()
        self.assertIn("Type=notify", unit)
        self.assertIn(f"EnvironmentFile={self.data}/systemd/moonraker.env", unit)
        self.assertIn(f"ExecStart={venv}/bin/python -OO -X pycache_prefix={venv}/pycache -m moontwist $MOONRAKER_ARGS",
                      unit)
        self.assertIn("SupplementaryGroups=moonraker-admin", unit)
        self.assertIn('subject.isInGroup("moonraker-admin")', (self.polkit_dir / "moontwist.rules").read_text())
        self.assertIn("moontwist", (self.data / "moonraker.asvc").read_text().split())
        self.assertEqual((self.data / "systemd" / "moonraker.env").read_text(), KIAUH_ENV.format(data=self.data))
        commands = self.commands()
        for expected in ("groupadd -f moonraker-admin", "systemctl daemon-reload",
                         "systemctl disable --now moonraker.service", "systemctl enable --now moontwist.service"):
            self.assertIn(expected, commands)
        self.assertLess(commands.index("systemctl disable --now moonraker.service"),
                        commands.index("systemctl enable --now moontwist.service"))
        self.assertTrue(any(c.startswith("usermod -aG moonraker-admin ") for c in commands))
        self.assertTrue(all(not c.startswith(("systemctl", "groupadd", "usermod")) or
                            f"sudo {c}" in commands for c in commands), commands)

        self.log.unlink()
        self.run_script("--uninstall")
        self.assertFalse((self.systemd_dir / "moontwist.service").exists())
        self.assertFalse((self.polkit_dir / "moontwist.rules").exists())
        self.assertFalse(venv.exists())
        self.assertTrue((self.systemd_dir / "moonraker.service").exists())
        self.assertEqual(self.commands()[-2:], ["sudo systemctl enable --now moonraker.service",
                                                "systemctl enable --now moonraker.service"])

    def test_env_file_is_written_when_moonraker_left_none(self) -> None:
        (self.data / "systemd" / "moonraker.env").unlink()
        self.run_script()
        self.assertEqual((self.data / "systemd" / "moonraker.env").read_text(),
                         f'MOONRAKER_ARGS="-d {self.data}"\n')
