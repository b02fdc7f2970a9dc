"""The simulated printer as a whole: the physical world, the running Klippy
host, restarts, and the Unix socket it serves."""

from __future__ import annotations

import os
import platform
import socket
import time
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import UNIXServerEndpoint
from twisted.internet.interfaces import IListeningPort, IReactorTime

from moontwist.simulator.config import PRINTER_CFG
from moontwist.simulator.host import KlippyHost
from moontwist.simulator.physics import World
from moontwist.simulator.server import KlippyServerFactory
from moontwist.simulator.timing import Timers

SOFTWARE_VERSION = "v0.13.0-sim"
RESTART_DOWNTIME = 1.0
FIRMWARE_RESTART_DELAY = 0.04
INITIAL_STATES = ("ready", "startup", "error")


def _cpu_info() -> str:
    model = platform.machine() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count() or 1} core {model}"


class SimulatedPrinter:
    """A Klippy API server for one simulated printer.

    ``speed`` scales simulated physics (moves, dwells, heating); protocol
    timers (the 250 ms status tick) run in real reactor time. ``initial_state``
    is how the first start ends: ``ready``, ``startup`` (ready after
    ``startup_delay`` seconds) or ``error`` (an MCU that will not connect, until
    a RESTART). Every restart goes through ``startup`` for ``startup_delay``.
    """

    def __init__(
        self,
        reactor: IReactorTime,
        gcodes_path: str,
        speed: float = 1.0,
        initial_state: str = "ready",
        startup_delay: float = 0.5,
        printer_cfg: str = PRINTER_CFG,
        monotonic_origin: float | None = None,
    ):
        if initial_state not in INITIAL_STATES:
            raise ValueError(f"initial_state must be one of {', '.join(INITIAL_STATES)}")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.reactor = reactor
        self.gcodes_path = os.path.abspath(gcodes_path)
        self.initial_state = initial_state
        self.startup_delay = startup_delay
        self.printer_cfg = printer_cfg.replace("{gcodes_path}", self.gcodes_path)
        origin = time.monotonic() if monotonic_origin is None else monotonic_origin
        self._timers = Timers(reactor, origin)
        self.world = World(speed, self._timers.monotonic())
        self.info: dict[str, Any] = {
            "hostname": socket.gethostname(),
            "klipper_path": os.path.expanduser("~/klipper"),
            "python_path": os.path.expanduser("~/klippy-env/bin/python"),
            "process_id": os.getpid(),
            "user_id": os.getuid(),
            "group_id": os.getgid(),
            "log_file": None,
            "config_file": os.path.join(os.path.dirname(self.gcodes_path), "config", "printer.cfg"),
            "software_version": SOFTWARE_VERSION,
            "cpu_info": _cpu_info(),
        }
        self.host: KlippyHost | None = None

    @property
    def state(self) -> str:
        """Klippy's state category, or ``disconnected`` while restarting."""
        return self.host.state if self.host is not None else "disconnected"

    def start(self) -> None:
        """Start the host software (idempotent)."""
        if self.host is None:
            self._start_host(self.initial_state)

    def stop(self) -> None:
        """Exit as Klippy does: tell clients, close them, stop every timer."""
        self._timers.cancel_all()
        if self.host is not None:
            self.host.disconnect()
            self.host = None

    def factory(self) -> KlippyServerFactory:
        return KlippyServerFactory(self)

    def listen(self, socket_path: str) -> Deferred[IListeningPort]:
        """Start, replace any stale socket file and listen on ``socket_path``."""
        if os.path.exists(socket_path):
            os.remove(socket_path)
        self.start()
        return UNIXServerEndpoint(self.reactor, socket_path).listen(self.factory())  # type: ignore[arg-type]

    def _start_host(self, initial_state: str) -> None:
        timers = Timers(self.reactor, self._timers.monotonic())
        self.host = KlippyHost(timers, self.world, self.printer_cfg, self.info, self._host_exited)
        self.host.start(initial_state, self.startup_delay)

    def _host_exited(self, host: KlippyHost, kind: str) -> None:
        delay = FIRMWARE_RESTART_DELAY if kind == "firmware_restart" else 0.0
        self._timers.call_later(delay, self._restart, host)

    def _restart(self, host: KlippyHost) -> None:
        host.disconnect()
        self.host = None
        self._timers.call_later(RESTART_DOWNTIME, self._start_host, "startup")
