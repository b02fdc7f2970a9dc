"""The websocket kept open to Spoolman's ``/api/v1/spool``: open means "Spoolman connected".

Twisted's ``ClientService`` reconnects with backoff; a connection counts only
once the websocket handshake is done, and pings find a Spoolman that went
silent. The listener hears ``link_opened``, ``link_closed`` and each text message.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.ssl import optionsForClientTLS

from moontwist.protocols.wstimers import ReactorTimer, cancel_leftover_timers
from moontwist.services.spoolman.urls import SpoolmanUrls

CONNECT_TIMEOUT = 5.0
HANDSHAKE_TIMEOUT = 5.0
PING_INTERVAL = 20.0
PING_TIMEOUT = 20.0
MAX_MESSAGE_SIZE = 1024 * 1024
# First retry after 2 s (Moonraker's fixed delay), then longer, up to a minute.
RETRY_POLICY = backoffPolicy(initialDelay=2.0, maxDelay=60.0, factor=1.5)


class LinkListener(Protocol):
    def link_opened(self) -> None: ...

    def link_closed(self) -> None: ...

    def message_received(self, text: str) -> None: ...


class _SpoolmanSocket(WebSocketClientProtocol):
    opened = False

    def onOpen(self) -> None:
        self.opened = True
        self.factory.listener.link_opened()

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if not isBinary:
            self.factory.listener.message_received(payload.decode("utf-8", "replace"))

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        if self.opened:
            self.opened = False
            self.factory.listener.link_closed()

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        cancel_leftover_timers(self)


class _SpoolmanSocketFactory(WebSocketClientFactory):
    protocol = _SpoolmanSocket

    def __init__(self, reactor: Any, url: str, listener: LinkListener) -> None:
        super().__init__(url, reactor=reactor)
        self._batched_timer = ReactorTimer(reactor)
        self.listener = listener
        self.setProtocolOptions(
            maxFramePayloadSize=MAX_MESSAGE_SIZE,
            maxMessagePayloadSize=MAX_MESSAGE_SIZE,
            autoPingInterval=PING_INTERVAL,
            autoPingTimeout=PING_TIMEOUT,
            openHandshakeTimeout=HANDSHAKE_TIMEOUT,
        )


def spoolman_endpoint(reactor: Any, urls: SpoolmanUrls) -> IStreamClientEndpoint:
    endpoint: IStreamClientEndpoint = HostnameEndpoint(reactor, urls.host, urls.port, timeout=CONNECT_TIMEOUT)
    if urls.tls:
        endpoint = wrapClientTLS(optionsForClientTLS(urls.host), endpoint)
    return endpoint


def spoolman_link(reactor: Any, urls: SpoolmanUrls, listener: LinkListener,
                  retry_policy: Callable[[int], float] = RETRY_POLICY) -> ClientService:
    """The reconnecting websocket, as a service to start and stop with ours."""
    factory = _SpoolmanSocketFactory(reactor, urls.websocket, listener)
    return ClientService(spoolman_endpoint(reactor, urls), factory, retryPolicy=retry_policy, clock=reactor)
