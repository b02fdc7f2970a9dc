"""The simulated printer as a whole: the physical world, the running Klippy
host, restarts, and the Unix socket it serves."""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from typing import Any

from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.interfaces import IListeningPort, IReactorTime

from moontwist.simulator.examples import KLIPPER_PATH, ensure_config
from moontwist.simulator.host import KlippyHost
from moontwist.simulator.klippylog import KlippyLog
from moontwist.simulator.physics import World
from moontwist.simulator.server import KlippyServerFactory
from moontwist.simulator.timing import Timers

SOFTWARE_VERSION = "v0.13.0-sim"
# Klippy's timeline: the reply first, the socket closed a moment later (RESTART
# at once, FIRMWARE_RESTART after ~40 ms of MCU reset), the file removed, and
# the new process listening (and ready, in batch mode) ~1.2 s after the reply.
EXIT_DELAYS = {"restart": 0.0, "firmware_restart": 0.04}
RESTART_DOWNTIME = 1.15
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

    ``config_path`` is the printer.cfg Klippy would be started with (an example
    is written there if there is none; default ``../config/printer.cfg`` next to
    the gcodes folder); ``log_path`` is Klippy's ``-l`` file. ``speed`` scales
    simulated physics (moves, homing, dwells, heating); protocol timers (the
    250 ms status tick) run in real reactor time. ``initial_state`` is how the
    first start ends: ``ready``, ``startup`` (ready after ``startup_delay``
    seconds) or ``error`` (an MCU that will not connect, until a RESTART).
    """

    def __init__(
        self,
        reactor: IReactorTime,
        gcodes_path: str,
        speed: float = 1.0,
        initial_state: str = "ready",
        startup_delay: float = 0.5,
        config_path: str | None = None,
        log_path: str | None = None,
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
        if config_path is None:
            config_path = os.path.join(os.path.dirname(self.gcodes_path), "config", "printer.cfg")
        self.config_path = os.path.abspath(config_path)
        self.log = KlippyLog(log_path)
        origin = time.monotonic() if monotonic_origin is None else monotonic_origin
        self._timers = Timers(reactor, origin)
        self.world = World(speed, self._timers.monotonic())
        self.info: dict[str, Any] = {
            "hostname": socket.gethostname(),
            "klipper_path": KLIPPER_PATH,
            "python_path": sys.executable,
            "process_id": os.getpid(),
            "user_id": os.getuid(),
            "group_id": os.getgid(),
            "log_file": self.log.path,
            "config_file": self.config_path,
            "software_version": SOFTWARE_VERSION,
            "cpu_info": _cpu_info(),
        }
        self.host: KlippyHost | None = None
        self.socket_path: str | None = None
        self.port: IListeningPort | None = None
        self.stopped = False

    @property
    def state(self) -> str:
        """Klippy's state category, or ``disconnected`` while restarting."""
        return self.host.state if self.host is not None else "disconnected"

    def start(self) -> None:
        """Start the host software (idempotent)."""
        self.stopped = False
        if self.host is None:
            ensure_config(self.config_path, self.gcodes_path)
            self.log.start(sys.argv, SOFTWARE_VERSION, self.info["cpu_info"])
            self._start_host(self.initial_state)

    def stop(self) -> Deferred[None]:
        """Exit as Klippy does: tell clients, close them, stop every timer and the socket."""
        self.stopped = True
        self._timers.cancel_all()
        if self.host is not None:
            self.host.disconnect()
            self.host = None
        self.log.close()
        return self._stop_listening()

    def factory(self) -> KlippyServerFactory:
        return KlippyServerFactory(self)

    def listen(self, socket_path: str) -> Deferred[IListeningPort]:
        """Start, replace any stale socket file and listen on ``socket_path``."""
        self.socket_path = socket_path
        self.start()
        return self._listen()

    def _listen(self) -> Deferred[IListeningPort]:
        assert self.socket_path is not None
        if os.path.exists(self.socket_path):
            os.remove(self.socket_path)
        # The reactor's own listenUNIX, not twisted.internet.endpoints: importing that module
        # imports pyOpenSSL (moontwist/deferred_tls.py), 12 MiB a --simulate run never uses.
        listening = maybeDeferred(self.reactor.listenUNIX, self.socket_path, self.factory())

        def listening_on(port: IListeningPort) -> IListeningPort:
            self.port = port
            return port

        return listening.addCallback(listening_on)

    def _stop_listening(self) -> Deferred[None]:
        port, self.port = self.port, None
        if port is None:
            return succeed(None)
        return maybeDeferred(port.stopListening)

    def _start_host(self, initial_state: str) -> None:
        timers = Timers(self.reactor, self._timers.monotonic())
        self.host = KlippyHost(timers, self.world, self.config_path, self.info, self.log, self._host_exited)
        self.host.start(initial_state, self.startup_delay)

    def _host_exited(self, host: KlippyHost, kind: str) -> None:
        self._timers.call_later(EXIT_DELAYS.get(kind, 0.0), self._restart, host)

    def _restart(self, host: KlippyHost) -> None:
        host.disconnect()
        self.host = None
        stopped = self._stop_listening()  # Twisted's port removes the socket file
        self.log.write(f"Restarting printer at {time.asctime()}")
        stopped.addCallback(self._schedule_return)

    def _schedule_return(self, _: object) -> None:
        if not self.stopped:  # stop() may have come while the old socket was closing
            self._timers.call_later(RESTART_DOWNTIME, self._come_back)

    def _come_back(self) -> None:
        self.log.start(sys.argv, SOFTWARE_VERSION, self.info["cpu_info"])
        self._start_host("ready")
        if self.socket_path is not None:
            self._listen()
