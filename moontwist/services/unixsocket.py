"""Moonraker's Unix socket: the JSON-RPC API over ETX-framed UTF-8, trusted as local."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.api import Transport
from moontwist.connections import RpcSession
from moontwist.context import ServerContext
from moontwist.ports import unix_endpoint
from moontwist.protocols.rpcstream import RpcStreamProtocol
from moontwist.startup import StartupError


log = Logger()

class UnixSession(RpcSession):
    """A Unix-socket client as the broadcaster and services see it."""

    transport = Transport.UNIX
    protocol: RpcStreamProtocol

    def opened(self, protocol: Any = None) -> None:
        self.protocol = protocol
        super().opened()

    def prepare(self, payload: bytes) -> bytes:
        return RpcStreamProtocol.frame(payload)

    def send_prepared(self, prepared: bytes) -> None:
        self.protocol.send_frame(prepared)

    def close(self, code: int, reason: str) -> None:
        self.protocol.transport.loseConnection()

    def abort(self) -> None:
        self.protocol.transport.abortConnection()


class UnixSocketService(Service):
    """Listens on ``path`` and serves every JSON-RPC method allowed on UNIX."""

    name = "unix_socket"

    def __init__(self, ctx: ServerContext, path: Path) -> None:
        self.ctx = ctx
        self.path = path
        self._port: Any = None

    def startService(self) -> "Deferred[Any]":
        super().startService()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_socket():
            os.unlink(self.path)
        ctx = self.ctx
        factory = Factory.forProtocol(
            lambda: RpcStreamProtocol(UnixSession(ctx.registry, ctx.connections))
        )
        factory.noisy = False
        endpoint = unix_endpoint(ctx.reactor, str(self.path), mode=0o660)

        def listening(port: Any) -> None:
            self._port = port
            log.info("Unix socket listening on {path}", path=str(self.path))

        def cannot_listen(failure: Failure) -> None:
            raise StartupError(f"Unix socket: {failure.getErrorMessage()}")

        return endpoint.listen(factory).addCallbacks(listening, cannot_listen)

    def stopService(self) -> "Deferred[Any]":
        super().stopService()
        if self._port is None:
            return succeed(None)
        port, self._port = self._port, None
        return port.stopListening()
