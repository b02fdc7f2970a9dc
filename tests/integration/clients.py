"""Real clients for integration tests: a websocket JSON-RPC client, a Unix-socket client."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import UNIXClientEndpoint, connectProtocol
from twisted.internet.task import deferLater
from twisted.web.client import Agent, HTTPConnectionPool
from treq.client import HTTPClient

from moontwist.protocols import jsoncodec
from moontwist.protocols.etx import ETXProtocol
from moontwist.protocols.wstimers import ReactorTimer

_ids = itertools.count(1)


class RpcClientMixin:
    """Matches replies to requests by id; keeps notifications and raw replies."""

    def init_rpc(self) -> None:
        self.pending: dict[Any, Deferred[Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.raw: list[Any] = []
        self.waiters: list[tuple[str, Deferred[dict[str, Any]]]] = []
        self.closed: Deferred[Any] = Deferred()
        # Requests the server sends us (as an agent): answer with ``reply``.
        self.requests: list[dict[str, Any]] = []
        self.on_request: Any = None

    def handle_payload(self, payload: bytes) -> None:
        message = jsoncodec.decode(payload)
        self.raw.append(message)
        if isinstance(message, dict) and "method" in message and "id" not in message:
            self.notifications.append(message)
            for waiter in [w for w in self.waiters if w[0] == message["method"]]:
                self.waiters.remove(waiter)
                waiter[1].callback(message)
            return
        if isinstance(message, dict) and "method" in message:
            self.requests.append(message)
            if self.on_request is not None:
                self.on_request(message)
            return
        key = message.get("id") if isinstance(message, dict) else None
        waiting = self.pending.pop(key, None)
        if waiting is not None:
            waiting.callback(message)

    def call(self, method: str, params: dict[str, Any] | None = None) -> "Deferred[dict[str, Any]]":
        request_id = next(_ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": request_id}
        if params is not None:
            message["params"] = params
        return self.send_raw(jsoncodec.encode(message), request_id)

    def reply(self, request_id: Any, result: Any = None, error: Any = None) -> None:
        """Answer a request the server sent us."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            message["error"] = error
        else:
            message["result"] = result
        self.send_bytes(jsoncodec.encode(message))

    def send_raw(self, payload: bytes, expect_id: Any = None) -> "Deferred[dict[str, Any]]":
        waiting: Deferred[dict[str, Any]] = Deferred()
        self.pending[expect_id] = waiting
        self.send_bytes(payload)
        return waiting

    def next_notification(self, method: str) -> "Deferred[dict[str, Any]]":
        waiting: Deferred[dict[str, Any]] = Deferred()
        self.waiters.append((method, waiting))
        return waiting

    def send_bytes(self, payload: bytes) -> None:
        raise NotImplementedError

    def fail_pending(self) -> None:
        """The connection is gone: no reply will come for anything still waiting."""
        pending, self.pending = self.pending, {}
        for waiting in pending.values():
            waiting.errback(ConnectionError("connection lost"))
        if not self.closed.called:
            self.closed.callback(getattr(self, "close_code", None))


class WebsocketTestClient(RpcClientMixin, WebSocketClientProtocol):
    def onOpen(self) -> None:
        self.factory.opened.callback(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.handle_payload(payload)

    def send_bytes(self, payload: bytes) -> None:
        self.sendMessage(payload)

    def onClose(self, wasClean: bool, code: int, reason: str) -> None:
        self.close_code = code
        if not self.factory.opened.called:
            self.factory.opened.errback(ConnectionError(f"closed {code} {reason}"))
        self.fail_pending()


def http_client(test: Any) -> HTTPClient:
    """A treq client whose connections close after each request (a clean reactor)."""
    return HTTPClient(Agent(reactor, pool=HTTPConnectionPool(reactor, persistent=False)))


async def _drop(client: Any) -> None:
    if not client.closed.called:
        client.transport.abortConnection()
        await client.closed
    # let the server side see the connection go
    await deferLater(reactor, 0.01, lambda: None)


async def connect_websocket(test: Any, url: str, headers: dict[str, str] | None = None) -> WebsocketTestClient:
    factory = WebSocketClientFactory(url, headers=headers or {})
    factory._batched_timer = ReactorTimer(reactor)

    def build() -> WebsocketTestClient:
        protocol = WebsocketTestClient()
        protocol.init_rpc()
        protocol.factory = factory
        return protocol

    factory.protocol = build
    factory.opened = Deferred()
    connector = connectWS(factory)
    try:
        client = await factory.opened
    except ConnectionError:
        connector.disconnect()
        await deferLater(reactor, 0.01, lambda: None)
        raise
    test.addCleanup(lambda: Deferred.fromCoroutine(_drop(client)))
    return client


class UnixTestClient(RpcClientMixin, ETXProtocol):
    def messageReceived(self, message: bytes) -> None:
        self.handle_payload(message)

    def send_bytes(self, payload: bytes) -> None:
        self.sendMessage(payload)

    def connectionLost(self, reason: Any = None) -> None:
        self.fail_pending()


async def connect_unix(test: Any, path: Path) -> UnixTestClient:
    client = UnixTestClient()
    client.init_rpc()
    await connectProtocol(UNIXClientEndpoint(reactor, str(path)), client)
    test.addCleanup(lambda: Deferred.fromCoroutine(_drop(client)))
    return client
