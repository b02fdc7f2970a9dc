"""The primary websocket: JSON-RPC 2.0 over Autobahn, one session per connection."""

from __future__ import annotations

from typing import Any

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket import protocol as autobahn_protocol
from autobahn.websocket.types import ConnectionRequest

from moontwist.api import Registry, Transport
from moontwist.connections import ConnectionManager, RpcSession
from moontwist.protocols.flow import DEFAULT_SEND_LIMIT, SendBudget
from moontwist.protocols.wsframe import server_frame, single_client_message
from moontwist.protocols.wsmask import create_masker
from moontwist.protocols.wstimers import ReactorTimer, cancel_leftover_timers

# Autobahn takes its frame masker from this module-level name (the hook its
# optional wsaccel extension fills); ours XORs in C instead of a Python loop
# per byte. Autobahn is pinned in setup.cfg.
autobahn_protocol.create_xor_masker = create_masker

MAX_MESSAGE_SIZE = 4 * 1024 * 1024
PING_INTERVAL = 10.0
PING_TIMEOUT = 30.0
HANDSHAKE_TIMEOUT = 10.0
# The close code for a websocket that did not authenticate in time (an
# application code: Autobahn sends only 1000 and 3000-4999).
IDENTIFY_TIMEOUT_CODE = 4001


class WebsocketSession(RpcSession):
    """A websocket client as the broadcaster and services see it."""

    transport = Transport.WEBSOCKET

    def __init__(self, protocol: "JsonRpcWebsocketProtocol", registry: Registry,
                 connections: ConnectionManager, ip: str | None) -> None:
        self.protocol = protocol
        super().__init__(registry, connections, ip)

    def prepare(self, payload: bytes) -> Any:
        return self.protocol.factory.prepareMessage(payload, isBinary=False)

    def send_prepared(self, prepared: Any) -> None:
        self.protocol.send_prepared_frame(prepared)

    def close(self, code: int, reason: str) -> None:
        self.protocol.sendClose(code, reason)

    def abort(self) -> None:
        self.protocol.dropConnection(abort=True)

    def identity_changed(self) -> None:
        self.protocol.identify_clock()


class JsonRpcWebsocketProtocol(WebSocketServerProtocol):
    """Feeds text or binary frames to the session and writes its replies."""

    factory: "JsonRpcWebsocketFactory"
    session: WebsocketSession | None = None
    budget: SendBudget | None = None
    ip: str | None = None
    user: dict[str, Any] | None = None
    # Closes a connection still without a user after the identify timeout.
    identify_deadline: Any = None
    # Set when the HTTP side already established the client's address and user.
    identified = False

    def dataReceived(self, data: bytes) -> None:
        # One whole message in one read, nothing of another frame pending:
        # read directly (see protocols/wsframe.py). Anything else goes through
        # Autobahn, skipping only the debug log line it formats for every chunk
        # whether debug logging is on or not (~2 us each).
        if (self.state == self.STATE_OPEN and self.current_frame is None and not self.data
                and not self.inside_message and not self.failedByMe):
            message = single_client_message(data)
            if message is not None:
                if self.autoPingTimeoutCall and self.autoPingRestartOnAnyTraffic:
                    self._cancelAutoPingTimeoutCall()
                is_binary, payload = message
                self.onMessage(payload, is_binary)
                return
        self._dataReceived(data)

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        if sync or chopsize or self.send_queue or self.logOctets or self.state != self.STATE_OPEN:
            super().sendData(data, sync, chopsize)
            return
        self.transport.write(data)
        self.trafficStats.outgoingOctetsWireLevel += len(data)

    def onConnect(self, request: ConnectionRequest) -> None:
        if not self.identified:
            self.ip = self.factory.client_ip(self, request)

    def onOpen(self) -> None:
        factory = self.factory
        self.budget = SendBudget(self.transport, factory.send_limit)
        self.budget.attach()
        self.session = WebsocketSession(self, factory.registry, factory.connections, self.ip)
        self.session.user = self.user
        self.session.opened()
        self.identify_clock()

    def identify_clock(self) -> None:
        """Start the deadline to authenticate while the connection has no user; stop it once it has."""
        anonymous = self.session is not None and self.session.user is None
        if anonymous and self.identify_deadline is None:
            self.identify_deadline = self.factory.clock.callLater(
                self.factory.connections.identify_timeout, self._identify_expired)
        elif not anonymous:
            self._stop_identify_clock()

    def _identify_expired(self) -> None:
        self.identify_deadline = None
        if self.session is not None and self.session.user is None:
            self.sendClose(IDENTIFY_TIMEOUT_CODE, "Authentication required")

    def _stop_identify_clock(self) -> None:
        if self.identify_deadline is not None and self.identify_deadline.active():
            self.identify_deadline.cancel()
        self.identify_deadline = None

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if self.session is None:
            return
        message: bytes | str = payload
        if not isBinary:
            # Autobahn's own check walks the bytes in Python; decoding once
            # here is the same check in C, and the JSON decoder takes the str.
            try:
                message = payload.decode("utf-8")
            except UnicodeDecodeError:
                self._invalid_payload("invalid UTF-8 in text message")  # closes with 1007, as Autobahn would
                return
        self.session.message(message).addCallback(self._reply)

    def _reply(self, reply: bytes | None) -> None:
        if reply is not None and self._room_for(len(reply)):
            self.sendData(server_frame(reply))

    def send_prepared_frame(self, prepared: Any) -> None:
        # The fan-out's per-client step: the frame Autobahn prepared once,
        # written as sendPreparedMessage does when, as here, no compression
        # extension was accepted.
        frame = prepared.payloadHybi
        if self._room_for(len(frame)):
            self.sendData(frame)

    def _room_for(self, size: int) -> bool:
        if self.state != self.STATE_OPEN or self.budget is None:
            return False
        return self.budget.written(size)

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        cancel_leftover_timers(self)

    def onClose(self, wasClean: bool, code: int, reason: str) -> None:
        self._stop_identify_clock()
        if self.session is not None:
            session, self.session = self.session, None
            session.closed()


class BoundedWebsocketFactory(WebSocketServerFactory):
    """Our websocket settings: bounded message size, pings on, handshake timeout,
    plain reactor timers, and a per-connection send budget."""

    def __init__(self, clock: Any, send_limit: int = DEFAULT_SEND_LIMIT) -> None:
        super().__init__(reactor=clock)
        self._batched_timer = ReactorTimer(clock)
        self.clock = clock
        self.send_limit = send_limit
        self.setProtocolOptions(
            maxFramePayloadSize=MAX_MESSAGE_SIZE,
            maxMessagePayloadSize=MAX_MESSAGE_SIZE,
            autoPingInterval=PING_INTERVAL,
            autoPingTimeout=PING_TIMEOUT,
            openHandshakeTimeout=HANDSHAKE_TIMEOUT,
            failByDrop=False,
        )


class JsonRpcWebsocketFactory(BoundedWebsocketFactory):
    """Holds what each websocket connection needs; bounded sizes and pings on."""

    protocol = JsonRpcWebsocketProtocol

    def __init__(self, registry: Registry, connections: ConnectionManager,
                 clock: Any, client_ip: Any = None, send_limit: int = DEFAULT_SEND_LIMIT) -> None:
        super().__init__(clock, send_limit)
        # Text frames are checked for UTF-8 whole in onMessage.
        self.setProtocolOptions(utf8validateIncoming=False)
        self.registry = registry
        self.connections = connections
        self.client_ip = client_ip or _peer_ip

    def upgrade(self, user: dict[str, Any] | None, ip: str | None) -> WebSocketResource:
        """The upgrade resource for one request whose caller is ``user`` at ``ip``."""
        return WebSocketResource(_Identified(self, user, ip))


class _Identified:
    """Builds one upgrade's protocol with the identity the HTTP side found."""

    def __init__(self, factory: JsonRpcWebsocketFactory, user: dict[str, Any] | None, ip: str | None) -> None:
        self._factory, self._user, self._ip = factory, user, ip

    def buildProtocol(self, address: Any) -> JsonRpcWebsocketProtocol:
        protocol: JsonRpcWebsocketProtocol = self._factory.buildProtocol(address)
        protocol.user, protocol.ip, protocol.identified = self._user, self._ip, True
        return protocol


def _peer_ip(protocol: WebSocketServerProtocol, request: ConnectionRequest) -> str | None:
    peer = protocol.transport.getPeer()
    return getattr(peer, "host", None)
