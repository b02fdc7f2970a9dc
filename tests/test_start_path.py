"""What the daemon's start path imports: the simulator and Jinja2 only with --simulate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from twisted.trial.unittest import TestCase

REPO = Path(__file__).resolve().parents[1]
PROBE = (
    "import sys\n"
    "import moontwist.app, moontwist.cli\n"
    "from moontwist.cli import MoontwistOptions\n"
    "options = MoontwistOptions(); options.parseOptions([])\n"
    "print(sorted(name for name in sys.modules if name.split('.')[0] == 'jinja2'"
    " or name.startswith('moontwist.simulator')))\n"
)


class StartPathTests(TestCase):
    def test_the_daemon_without_simulate_imports_neither_the_simulator_nor_jinja2(self) -> None:
        output = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True)
        self.assertEqual(output.stdout.strip(), "[]")
