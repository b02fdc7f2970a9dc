"""The daemon beside a simulator whose printer.cfg has extra macros: Klippy macros
calling Moonraker's remote methods (notify, set_wled_state, ...)."""

from __future__ import annotations

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from moontwist.simulator.config import PRINTER_CFG
from moontwist.simulator.printer import SimulatedPrinter
from moontwist.simulator.service import SimulatorService
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.process import wait_for

KLIPPY_SOCKET = "klippy_uds_address: {data_path}/comms/klippy.sock\n"


async def start_with_macros(test: TestCase, extra_config: str, macros: str, **flags: object) -> RunningDaemon:
    daemon = await start_daemon(test, BASE_CONFIG + KLIPPY_SOCKET + extra_config, **flags)
    printer = SimulatedPrinter(reactor, str(daemon.data_path / "gcodes"), printer_cfg=PRINTER_CFG + macros)
    simulator = SimulatorService(printer, str(daemon.data_path / "comms" / "klippy.sock"))
    await simulator.startService()
    test.addCleanup(simulator.stopService)
    await wait_for(lambda: daemon.ctx.component("klippy").state == "ready", timeout=20)
    return daemon
