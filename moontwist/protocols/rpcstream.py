"""JSON-RPC over an ETX-framed stream: the server side of Moonraker's Unix socket."""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from moontwist.protocols.etx import ETX, ETXProtocol
from moontwist.protocols.flow import DEFAULT_SEND_LIMIT, SendBudget

# A single request is small; a client that streams this much without a
# terminator is not speaking our protocol.
MAX_REQUEST = 2 * 1024 * 1024


class RpcSession:
    """What a stream protocol needs from the layer above it."""

    def opened(self, protocol: "RpcStreamProtocol") -> None: ...

    def message(self, payload: bytes) -> "Deferred[bytes | None]": ...

    def closed(self) -> None: ...


class RpcStreamProtocol(ETXProtocol):
    """Hands each message to a session and writes the reply, in request order."""

    maxMessageLength = MAX_REQUEST

    def __init__(self, session: RpcSession, send_limit: int = DEFAULT_SEND_LIMIT) -> None:
        self.session = session
        self._send_limit = send_limit
        self.budget: SendBudget | None = None

    def connectionMade(self) -> None:
        self.budget = SendBudget(self.transport, self._send_limit)
        self.budget.attach()
        self.session.opened(self)

    def messageReceived(self, message: bytes) -> None:
        self.session.message(message).addCallbacks(self._reply, self._failed)

    def _reply(self, reply: bytes | None) -> None:
        if reply is not None:
            self.send_frame(reply + ETX)

    def _failed(self, failure: Failure) -> None:
        self.transport.loseConnection()

    def send_frame(self, frame: bytes) -> None:
        """Write an already terminated message, unless the peer stopped reading."""
        if self.transport is None or self.transport.disconnecting:
            return
        assert self.budget is not None
        if self.budget.written(len(frame)):
            self.transport.write(frame)

    @staticmethod
    def frame(payload: bytes) -> bytes:
        return payload + ETX

    def connectionLost(self, reason: Failure = Failure(ConnectionError())) -> None:
        self.session.closed()

