"""Persistent client connections and the notification broadcaster.

A notification is encoded once; each transport kind frames it once (a
websocket frame, an ETX-terminated message), and every connection of that kind
gets the same bytes.
"""

from __future__ import annotations

import collections
import itertools
import random
from typing import Any, Callable, Iterator, Protocol

from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from moontwist.api import Registry, Transport
from moontwist.errors import ApiError
from moontwist.protocols import jsoncodec
from moontwist.protocols.jsonrpc import JsonRpcDispatcher, notification, request


class ClientConnection(Protocol):
    """A connection the broadcaster can reach."""

    connection_id: int
    transport: Transport
    client_info: dict[str, Any] | None

    def prepare(self, payload: bytes) -> Any:
        """Frame ``payload`` for this connection's kind (same result for all of a kind)."""

    def send_prepared(self, prepared: Any) -> None:
        """Send a frame made by ``prepare``; a congested client may be dropped."""

    def close(self, code: int, reason: str) -> None: ...

    def abort(self) -> None: ...


class ConnectionManager:
    """Assigns connection ids, tracks open connections, fans notifications out."""

    def __init__(self, max_websockets: int = 50, max_anonymous_websockets: int = 10,
                 identify_timeout: float = 20.0) -> None:
        self.max_websockets = max_websockets
        # Websockets without a user have their own few slots, and this many
        # seconds to authenticate: anonymous clients cannot take the slots of
        # logged-in users.
        self.max_anonymous_websockets = max_anonymous_websockets
        self.identify_timeout = identify_timeout
        self._connections: dict[int, ClientConnection] = {}
        # Kept as counts: server.info reports one on every call.
        self._websockets = 0
        self._anonymous_websockets = 0
        self._ids: Iterator[int] = itertools.count(random.randint(1 << 40, 1 << 44))
        self.on_close: list[Callable[[ClientConnection], None]] = []
        # Who may receive notifications; authorization narrows it to authenticated clients.
        self.may_receive: Callable[[ClientConnection], bool] = lambda connection: True
        # Told of every broadcast (method, encoded notification): MQTT republishes them.
        self.observers: list[Callable[[str, bytes], None]] = []
        # Notifications sent, by method, and the messages they made (one per receiver): /metrics.
        self.notifications_sent: collections.Counter[str] = collections.Counter()
        self.notification_messages = 0

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, connection: ClientConnection) -> None:
        if connection.connection_id in self._connections:
            return
        self._connections[connection.connection_id] = connection
        if connection.transport is Transport.WEBSOCKET:
            self._websockets += 1
            self._anonymous_websockets += _anonymous(connection)

    def remove(self, connection: ClientConnection) -> None:
        if self._connections.pop(connection.connection_id, None) is not None:
            if connection.transport is Transport.WEBSOCKET:
                self._websockets -= 1
                self._anonymous_websockets -= _anonymous(connection)
            for listener in list(self.on_close):
                listener(connection)

    def get(self, connection_id: int) -> ClientConnection | None:
        return self._connections.get(connection_id)

    def __iter__(self) -> Iterator[ClientConnection]:
        return iter(list(self._connections.values()))

    def __len__(self) -> int:
        return len(self._connections)

    async def close_all(self, clock: Any, grace: float = 1.0) -> None:
        """Close every connection, aborting any not gone after ``grace``."""
        for connection in self:
            connection.close(1000, "Server shutdown")
        waited = 0.0
        while self._connections and waited < grace:
            await deferLater(clock, 0.05, lambda: None)
            waited += 0.05
        for connection in self:
            connection.abort()
            self.remove(connection)

    def websocket_count(self) -> int:
        return self._websockets

    def has_room_for_websocket(self, anonymous: bool = False) -> bool:
        """Room for one more websocket with a user, or (``anonymous``) without one."""
        if anonymous:
            return self._anonymous_websockets < self.max_anonymous_websockets
        return self._websockets - self._anonymous_websockets < self.max_websockets

    def identity_changed(self, connection: ClientConnection) -> None:
        """``connection`` gained its first user, or lost it (logout)."""
        if connection.transport is Transport.WEBSOCKET and connection.connection_id in self._connections:
            self._anonymous_websockets += 1 if _anonymous(connection) else -1

    def broadcast(self, method: str, params: list[Any] | None = None) -> None:
        """Send a notification to every connection that may receive it."""
        payload = jsoncodec.encode(notification(method, params))
        for observer in list(self.observers):
            observer(method, payload)
        self._send(payload, method, self._connections.values())

    def send_to(self, connections: "list[ClientConnection]", method: str, params: list[Any] | None = None) -> None:
        self._send(jsoncodec.encode(notification(method, params)), method, connections)

    def _send(self, payload: bytes, method: str, connections: Any) -> None:
        allowed = [connection for connection in connections if self.may_receive(connection)]
        self.notifications_sent[method] += 1
        self.notification_messages += len(allowed)
        self.send_payload(payload, allowed)

    @staticmethod
    def send_payload(payload: bytes, connections: Any) -> None:
        frames: dict[Any, Any] = {}
        for connection in list(connections):
            kind = type(connection)
            frame = frames.get(kind)
            if frame is None:
                frame = frames[kind] = connection.prepare(payload)
            connection.send_prepared(frame)


def _anonymous(connection: ClientConnection) -> int:
    return 1 if getattr(connection, "user", None) is None else 0


class RpcSession:
    """One JSON-RPC client connection: its id, identity and dispatcher.

    Transport adapters (websocket, Unix socket) subclass it and supply the
    framing: ``prepare`` and ``send_prepared``.
    """

    transport: Transport

    def __init__(self, registry: Registry, connections: ConnectionManager, ip: str | None = None) -> None:
        self.connections = connections
        self.connection_id = connections.next_id()
        self.client_info: dict[str, Any] | None = None
        self._user: dict[str, Any] | None = None
        self.ip = ip
        self._dispatcher = JsonRpcDispatcher(registry.rpc_dispatch(self.transport, self, ip), self._response)
        # Our requests to this client (an agent's methods) waiting for its reply, by id.
        self._pending: dict[int, Deferred[Any]] = {}
        self._request_ids: Iterator[int] = itertools.count(1)
        self.is_open = False

    @property
    def user(self) -> dict[str, Any] | None:
        """Who the calls run as: set at the upgrade, by identify, login and logout."""
        return self._user

    @user.setter
    def user(self, user: dict[str, Any] | None) -> None:
        was_anonymous = self._user is None
        self._user = user
        if self.is_open and was_anonymous != (user is None):
            self.connections.identity_changed(self)
            self.identity_changed()

    def identity_changed(self) -> None:
        """The connection gained its first user or lost it; transports may act on it."""

    def opened(self, *_: Any) -> None:
        self.is_open = True
        self.connections.add(self)

    def message(self, payload: bytes | str) -> "Deferred[bytes | None]":
        return self._dispatcher.handle(payload)

    def closed(self) -> None:
        self.is_open = False
        pending, self._pending = self._pending, {}
        for waiting in pending.values():
            waiting.errback(ApiError("Client Socket Disconnected", 500))
        self.connections.remove(self)

    def call_method(self, method: str, params: list[Any] | dict[str, Any] | None = None) -> "Deferred[Any]":
        """Send a JSON-RPC request to this client; fires with its result.

        An error reply fails with a 400 ``ApiError`` carrying the client's error
        object as ``data``, as Moonraker's agent errors do. Cancelling forgets it.
        """
        request_id = next(self._request_ids)
        waiting: Deferred[Any] = Deferred(lambda _: self._pending.pop(request_id, None))
        self._pending[request_id] = waiting
        self.send_prepared(self.prepare(jsoncodec.encode(request(method, params, request_id))))
        return waiting

    def _response(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        waiting = self._pending.pop(request_id, None) if isinstance(request_id, int) else None
        if waiting is None:
            return
        if "error" in message and message.get("result") is None:
            name = (self.client_info or {}).get("name", "")
            waiting.errback(ApiError(f"Agent {name} RPC error", 400, data=message["error"]))
        else:
            waiting.callback(message.get("result"))

    def send_notification(self, method: str, params: list[Any] | dict[str, Any] | None = None) -> None:
        self.send_prepared(self.prepare(jsoncodec.encode(notification(method, params))))

    def prepare(self, payload: bytes) -> Any:
        raise NotImplementedError

    def send_prepared(self, prepared: Any) -> None:
        raise NotImplementedError

    def close(self, code: int, reason: str) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError
