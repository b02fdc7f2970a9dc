"""Listening ports whose connections send at once when nothing is queued.

Twisted queues every write and sends it on a later reactor turn: the socket is
registered for writability (``epoll_ctl``), the reactor wakes up for it, sends,
and unregisters it (``epoll_ctl`` again), each step through Python. With one
small JSON-RPC message per write that bookkeeping costs more than the send
itself: profiled on the status fan-out it was 21 % of the server's CPU.

A connection here tries ``send()`` straight away when its queue is empty and
queues only what the kernel did not take, so bytes keep their order and a slow
reader still fills Twisted's buffer (which is what pauses producers and what our
send budget counts). ``writeSequence`` keeps Twisted's queue: twisted.web
writes a response's headers that way and then its body, and queued, both leave
in one ``send()``. TLS connections keep Twisted's path too: their writes go
through the TLS layer, which queues ciphertext itself.

The endpoints are the ``listen`` half of Twisted's ``TCP4ServerEndpoint`` and
``UNIXServerEndpoint`` with these ports in place of the reactor's.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from twisted.internet import tcp, unix
from twisted.internet.defer import Deferred, execute
from twisted.internet.interfaces import IProtocolFactory, IStreamServerEndpoint
from zope.interface import implementer


class SendNowMixin:
    """``write`` for a connected ``FileDescriptor`` that sends before it queues."""

    def write(self, data: bytes) -> None:
        if data and self._can_send_now() and isinstance(data, bytes):
            sent = self.writeSomeData(data)  # type: ignore[attr-defined]
            if isinstance(sent, int):
                if sent == len(data):
                    return
                data = data[sent:]
            # Otherwise the connection is lost: queued, the reactor's next write
            # attempt finds the same error and closes the connection as usual.
        super().write(data)  # type: ignore[misc]

    def _can_send_now(self) -> bool:
        return bool(
            self.connected  # type: ignore[attr-defined]
            and not self.TLS  # type: ignore[attr-defined]
            and not self.disconnecting  # type: ignore[attr-defined]
            and not self._writeDisconnected  # type: ignore[attr-defined]
            and not self.dataBuffer  # type: ignore[attr-defined]
            and not self._tempDataLen  # type: ignore[attr-defined]
        )


class TCPServer(SendNowMixin, tcp.Server):
    """A TCP connection accepted by ``TCPPort``."""


class UNIXServer(SendNowMixin, unix.Server):
    """A Unix-socket connection accepted by ``UNIXPort``."""


class TCPPort(tcp.Port):
    transport = TCPServer


class UNIXPort(unix.Port):
    transport = UNIXServer


@implementer(IStreamServerEndpoint)
class ServerEndpoint:
    """Listens with the port ``make_port(factory)`` builds."""

    def __init__(self, make_port: Callable[[IProtocolFactory], Any]) -> None:
        self.make_port = make_port

    def listen(self, factory: IProtocolFactory) -> "Deferred[Any]":
        return execute(self._listen, factory)

    def _listen(self, factory: IProtocolFactory) -> Any:
        port = self.make_port(factory)
        port.startListening()
        return port


def tcp_endpoint(reactor: Any, port: int, interface: str = "", backlog: int = 50) -> ServerEndpoint:
    """TCP ``port`` at ``interface`` (an IPv4 or IPv6 address)."""
    return ServerEndpoint(lambda factory: TCPPort(port, factory, backlog, interface, reactor))


def unix_endpoint(reactor: Any, path: str, mode: int = 0o666, backlog: int = 50) -> ServerEndpoint:
    """The Unix socket ``path``, created with file ``mode``."""
    return ServerEndpoint(lambda factory: UNIXPort(path, factory, backlog, mode, reactor))


def adopted_tcp_endpoint(reactor: Any, fd: int, family: Any) -> ServerEndpoint:
    """A TCP socket already listening on ``fd`` (systemd socket activation)."""

    def adopt(factory: IProtocolFactory) -> Any:
        os.set_blocking(fd, False)
        return TCPPort._fromListeningDescriptor(reactor, fd, family, factory)

    return ServerEndpoint(adopt)
