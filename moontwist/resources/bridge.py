"""The bridge websocket ``/klippysocket``: a near-direct passthrough to Klippy.

Each websocket gets its own Unix-socket connection to Klippy. Frames go to
Klippy with an ETX appended; Klippy's messages come back as text frames with
the ETX removed. Payloads are never decoded.
"""

from __future__ import annotations

from typing import Any

from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest

from moontwist.deferred_tls import endpoints
from moontwist.protocols.etx import ETXProtocol
from moontwist.protocols.flow import SendBudget
from moontwist.protocols.wstimers import cancel_leftover_timers
from moontwist.resources.websocket import BoundedWebsocketFactory


class KlippyLink(ETXProtocol):
    """The Unix-socket side of one bridge: Klippy's messages go to the websocket."""

    def __init__(self, bridge: "BridgeProtocol") -> None:
        self.bridge = bridge

    def messageReceived(self, message: bytes) -> None:
        self.bridge.from_klippy(message)

    def connectionLost(self, reason: Any = None) -> None:
        self.bridge.klippy_lost()


class BridgeProtocol(WebSocketServerProtocol):
    factory: "BridgeFactory"
    link: KlippyLink | None = None
    budget: SendBudget | None = None

    async def onConnect(self, request: ConnectionRequest) -> None:
        link = KlippyLink(self)
        unix = endpoints()
        endpoint = unix.UNIXClientEndpoint(self.factory.clock, self.factory.socket_path(), timeout=5)
        try:
            await unix.connectProtocol(endpoint, link)
        except Exception:
            raise ConnectionDeny(503, "Klippy not available") from None
        self.link = link

    def onOpen(self) -> None:
        self.budget = SendBudget(self.transport, self.factory.send_limit)
        self.budget.attach()
        self.factory.bridges.add(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if self.link is not None and self.link.transport is not None:
            self.link.sendMessage(payload)

    def from_klippy(self, message: bytes) -> None:
        if self.state == self.STATE_OPEN and self.budget is not None and self.budget.written(len(message)):
            self.sendMessage(message, isBinary=False)

    def klippy_lost(self) -> None:
        self.link = None
        if self.state in (self.STATE_OPEN, self.STATE_CONNECTING):
            self.sendClose(1000, "Klippy disconnected")

    def onClose(self, wasClean: bool, code: int, reason: str) -> None:
        self.factory.bridges.discard(self)
        if self.link is not None and self.link.transport is not None:
            link, self.link = self.link, None
            link.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        cancel_leftover_timers(self)


class BridgeFactory(BoundedWebsocketFactory):
    """Bridges to the Klippy socket ``socket_path()`` names at connect time."""

    protocol = BridgeProtocol

    def __init__(self, clock: Any, socket_path: Any, send_limit: int) -> None:
        super().__init__(clock, send_limit)
        self.socket_path = socket_path
        self.bridges: set[BridgeProtocol] = set()

    def close_all(self, reason: str) -> None:
        """Close every bridge (Klippy shut down or restarted, or we are stopping)."""
        for bridge in list(self.bridges):
            bridge.sendClose(1000, reason)
