"""A listening endpoint as a Service whose bound address can be read once started."""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IListeningPort, IProtocolFactory, IStreamServerEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.startup import StartupError

log = Logger()


class ListenerService(Service):
    """Listens on ``endpoint`` with ``factory`` while running."""

    def __init__(self, name: str, endpoint: IStreamServerEndpoint, factory: IProtocolFactory,
                 description: str) -> None:
        self.name = name
        self.endpoint = endpoint
        self.factory = factory
        self.description = description
        self.port: IListeningPort | None = None

    def startService(self) -> "Deferred[Any]":
        super().startService()

        def listening(port: IListeningPort) -> None:
            self.port = port
            host = port.getHost()
            log.info("{what} listening on {host}:{port}", what=self.description,
                     host=getattr(host, "host", host), port=getattr(host, "port", ""))

        def cannot_listen(failure: Failure) -> None:
            raise StartupError(f"{self.description}: {failure.getErrorMessage()}")

        return self.endpoint.listen(self.factory).addCallbacks(listening, cannot_listen)

    def stopService(self) -> "Deferred[Any]":
        super().stopService()
        if self.port is None:
            return succeed(None)
        port, self.port = self.port, None
        return port.stopListening()
