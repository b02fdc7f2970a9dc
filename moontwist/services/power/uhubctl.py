"""``uhubctl``: a USB hub port's power, switched by running the ``uhubctl`` program.

The state is read from uhubctl's report on the port (``Port N: 0503 power ...``),
after the ``Current status`` (query) or ``New status`` (switch) line of the hub.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from moontwist.config import ConfigError
from moontwist.processes import ProcessError, run, which
from moontwist.services.power.reachable import DeviceUnreachable, ReachableDevice

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

PORT_LINE = re.compile(
    r"""^\s*Port\s(?P<port>[0-9]+):\s(?P<bits>[0-9a-f]{4})\s(?P<pstate>power|off)
        (?P<flags>(?:\s[0-9a-z.]+)+)?(?:\s\[(?P<desc>.+)\])?\s*$""",
    re.VERBOSE | re.IGNORECASE)


class UHubCtl(ReachableDevice):
    switch_error = "Power Device {name}: Error turning device {state}"

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.location: str = self.options["location"]
        self.port: int | None = self.options["port"]
        if which("uhubctl") is None:
            raise ConfigError(f"[{section.name}]: failed to locate 'uhubctl' binary.  "
                              "Make sure uhubctl is correctly installed on the host machine.")

    async def _run(self, action: str | None) -> str:
        argv = ["uhubctl", "-l", self.location]
        if self.port is not None:
            argv += ["-p", str(self.port)]
        prefix = f"Current status for hub {self.location}"
        if action is not None:
            argv += ["-a", action]
            prefix = f"New status for hub {self.location}"
        try:
            result = await run(self.reactor, argv, timeout=self.timeout)
        except ProcessError as error:
            raise DeviceUnreachable(str(error)) from None
        if not result.ok:
            raise DeviceUnreachable(f"uhubctl exited with {result.exit_code}: {result.stderr.strip()}")
        return _port_state(result.stdout, prefix, self.port, self.location)

    async def read_state(self) -> str:
        return await self._run(None)

    async def write_state(self, state: str) -> str:
        return await self._run(state)


def _port_state(output: str, prefix: str, port: int | None, location: str) -> str:
    found_hub = False
    for line in output.splitlines():
        if not found_hub:
            found_hub = line.startswith(prefix)
            continue
        match = PORT_LINE.match(line)
        if match is None or (port is not None and int(match["port"]) != port):
            continue
        return "on" if match["pstate"].lower() == "power" else "off"
    raise DeviceUnreachable(f"Failed to receive response for device at location {location}, port {port}")
