"""The simulator as a Twisted service, for the daemon's MultiService."""

from __future__ import annotations

from twisted.application.service import Service
from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.interfaces import IListeningPort, IReactorTime

from moontwist.simulator.printer import SimulatedPrinter


class SimulatorService(Service):
    """Serve a :class:`SimulatedPrinter` on a Unix socket while running."""

    def __init__(self, printer: SimulatedPrinter, socket_path: str):
        self.printer = printer
        self.socket_path = socket_path
        self.port: IListeningPort | None = None

    @classmethod
    def create(
        cls,
        reactor: IReactorTime,
        socket_path: str,
        gcodes_path: str,
        speed: float = 1.0,
        initial_state: str = "ready",
        startup_delay: float = 0.5,
    ) -> SimulatorService:
        return cls(SimulatedPrinter(reactor, gcodes_path, speed, initial_state, startup_delay), socket_path)

    def startService(self) -> Deferred[None]:  # type: ignore[override]
        super().startService()
        listening = self.printer.listen(self.socket_path)

        def listening_on(port: IListeningPort) -> None:
            self.port = port

        return listening.addCallback(listening_on)

    def stopService(self) -> Deferred[None]:  # type: ignore[override]
        super().stopService()
        self.printer.stop()
        port, self.port = self.port, None
        if port is None:
            return succeed(None)
        return maybeDeferred(port.stopListening)
