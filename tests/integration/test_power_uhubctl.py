"""uhubctl devices on the daemon against a uhubctl stand-in on PATH that keeps its ports' power in a file."""

from __future__ import annotations

import os
from pathlib import Path

from twisted.trial.unittest import TestCase

from moontwist.api import Request
from moontwist.services.power import PowerService
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import wait_for

# Answers as uhubctl 2.5 prints: the hub line, then one line per port.
UHUBCTL = r'''#!/bin/sh
dir=$(dirname "$0")
echo "$@" >> "$dir/calls.log"
location=""; port=""; action=""
while [ $# -gt 0 ]; do
  case "$1" in -l) location=$2; shift 2;; -p) port=$2; shift 2;; -a) action=$2; shift 2;; *) shift;; esac
done
[ "$location" = "1-1" ] || { echo "No compatible devices detected at location $location!" >&2; exit 1; }
line() { if [ "$(cat "$dir/port$1" 2>/dev/null || echo off)" = on ]; then
  echo "  Port $1: 0503 power highspeed enable connect [0bda:8153 Realtek USB 10/100/1000 LAN]"
  else echo "  Port $1: 0000 off"; fi; }
echo "Current status for hub 1-1 [2109:3431 USB2.0 Hub, USB 2.10, 4 ports, ppps]"
line 1; line 2
if [ -n "$action" ]; then
  echo "$action" > "$dir/port${port:-1}"
  echo "Sent power $action request"
  echo "New status for hub 1-1 [2109:3431 USB2.0 Hub, USB 2.10, 4 ports, ppps]"
  line 1; line 2
fi
'''


class UHubCtlTests(TestCase):
    def setUp(self) -> None:
        self.bin = Path(self.mktemp())
        self.bin.mkdir(parents=True)
        script = self.bin / "uhubctl"
        script.write_text(UHUBCTL)
        script.chmod(0o755)
        previous = os.environ.get("PATH", "")
        os.environ["PATH"] = f"{self.bin}{os.pathsep}{previous}"
        self.addCleanup(os.environ.__setitem__, "PATH", previous)

    async def start(self, config: str) -> PowerService:
        daemon = await start_daemon(self, BASE_CONFIG + config)
        self.ctx = daemon.ctx
        power: PowerService = daemon.ctx.component("power")
        return power

    async def test_reads_and_switches_a_hub_port(self) -> None:
        power = await self.start("\n[power hub]\ntype: uhubctl\nlocation: 1-1\nport: 2\n")
        await wait_for(lambda: power.devices["hub"].state != "init")
        self.assertEqual(power.devices["hub"].state, "off")
        answer = await self.ctx.registry.dispatch(Request("machine.device_power.post_device",
                                                          {"device": "hub", "action": "on"}))
        self.assertEqual(answer, {"hub": "on"})
        self.assertEqual((self.bin / "port2").read_text(), "on\n")
        self.assertIn("-l 1-1 -p 2 -a on", (self.bin / "calls.log").read_text())

    async def test_a_hub_uhubctl_cannot_find_is_an_error(self) -> None:
        power = await self.start("\n[power hub]\ntype: uhubctl\nlocation: 9-9\n")
        await wait_for(lambda: power.devices["hub"].state != "init")
        self.assertEqual(power.devices["hub"].state, "error")
        error = await self.assertFailure(self.ctx.registry.dispatch(
            Request("machine.device_power.post_device", {"device": "hub", "action": "on"})), Exception)
        self.assertEqual(error.message, "Power Device hub: Error turning device on")

    async def test_without_the_program_the_device_is_left_out(self) -> None:
        (self.bin / "uhubctl").unlink()
        power = await self.start("\n[power hub]\ntype: uhubctl\nlocation: 1-1\n")
        self.assertEqual(power.devices, {})
        self.assertIn("Failed to load power device [power hub]\n[power hub]: failed to locate 'uhubctl' binary.  "
                      "Make sure uhubctl is correctly installed on the host machine.", self.ctx.warnings)
