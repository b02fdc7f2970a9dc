"""The Unix socket side: one ETX-framed connection per client, bound to the
Klippy host that was running when it connected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IAddress, IPushProducer
from twisted.internet.protocol import Factory
from twisted.python.failure import Failure
from zope.interface import implementer

from moontwist.protocols.etx import ETXProtocol
from moontwist.protocols.jsoncodec import DecodeError, encode
from moontwist.simulator.webhooks import WebRequest

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.printer import SimulatedPrinter

BLOCKING_TICKS = 5


@implementer(IPushProducer)
class ClientConnection(ETXProtocol):
    """A Klippy API client. Registers as a producer so that a full send
    buffer marks it blocking, as Klippy's own socket code does."""

    def __init__(self, host: KlippyHost):
        self.host = host
        self.closed = False
        self.is_blocking = False
        self.blocking_count = 0

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.registerProducer(self, True)
        self.host.clients.add(self)

    def connectionLost(self, reason: Failure = Failure(ConnectionError())) -> None:
        self.closed = True
        self.host.clients.discard(self)

    def messageReceived(self, message: bytes) -> None:
        if self.closed:
            return
        try:
            request = WebRequest(self, message)
        except (DecodeError, ValueError):
            return
        self.host.webhooks.process(request)

    def send(self, data: Any) -> None:
        """Encode and write one message, unless the connection is gone."""
        if not self.closed:
            self.sendMessage(encode(data))

    def send_encoded(self, data: bytes) -> None:
        if not self.closed:
            self.sendMessage(data)

    def close(self, abort: bool = False) -> None:
        """Close after flushing what is already written, or at once with ``abort``."""
        if self.closed:
            return
        self.closed = True
        self.host.clients.discard(self)
        assert self.transport is not None
        if abort:
            self.transport.abortConnection()
        else:
            self.transport.loseConnection()

    # IPushProducer: the transport tells us when its buffer is full or drained.
    def pauseProducing(self) -> None:
        if not self.is_blocking:
            self.is_blocking = True
            self.blocking_count = BLOCKING_TICKS

    def resumeProducing(self) -> None:
        self.is_blocking = False

    def stopProducing(self) -> None:
        self.closed = True


class KlippyServerFactory(Factory):
    """Hands each new connection to the current host; refuses it while the
    host software is restarting (the socket is "down")."""

    noisy = False

    def __init__(self, printer: SimulatedPrinter):
        self.printer = printer

    def buildProtocol(self, addr: IAddress) -> ClientConnection | None:  # type: ignore[override]
        host = self.printer.host
        if host is None:
            return None
        connection = ClientConnection(host)
        connection.factory = self
        return connection
