"""The simulator as a Twisted service, for the daemon's MultiService."""

from __future__ import annotations

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IListeningPort, IReactorTime

from moontwist.simulator.printer import SimulatedPrinter


class SimulatorService(Service):
    """Serve a :class:`SimulatedPrinter` on a Unix socket while running."""

    def __init__(self, printer: SimulatedPrinter, socket_path: str):
        self.printer = printer
        self.socket_path = socket_path

    @property
    def port(self) -> IListeningPort | None:
        """The listening socket, None while Klippy restarts."""
        return self.printer.port

    @classmethod
    def create(
        cls,
        reactor: IReactorTime,
        socket_path: str,
        gcodes_path: str,
        speed: float = 1.0,
        initial_state: str = "ready",
        startup_delay: float = 0.5,
        config_path: str | None = None,
        log_path: str | None = None,
    ) -> SimulatorService:
        printer = SimulatedPrinter(reactor, gcodes_path, speed, initial_state, startup_delay, config_path, log_path)
        return cls(printer, socket_path)

    def startService(self) -> Deferred[None]:  # type: ignore[override]
        super().startService()
        return self.printer.listen(self.socket_path).addCallback(lambda _: None)

    def stopService(self) -> Deferred[None]:  # type: ignore[override]
        super().stopService()
        return self.printer.stop()
