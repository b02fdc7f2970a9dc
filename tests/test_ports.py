"""Ports whose connections send at once: real sockets on the real reactor."""

from __future__ import annotations

import os
import socket
import stat
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from moontwist.ports import tcp_endpoint, unix_endpoint

BIG = 8 * 1024 * 1024


class Recorder(Protocol):
    """Writes what the test asks on connection and records whether it queued."""

    def __init__(self, actions: list[Any]) -> None:
        self.actions = actions
        self.queued: list[bool] = []
        self.ready = Deferred[None]()
        self.lost = Deferred[None]()

    def connectionMade(self) -> None:
        for action in self.actions:
            action(self.transport)
            self.queued.append(self.transport in reactor.getWriters())
        self.ready.callback(None)

    def connectionLost(self, reason: Failure) -> None:
        self.lost.callback(None)


def turn() -> "Deferred[None]":
    """One reactor turn."""
    return deferLater(reactor, 0, lambda: None)


@inlineCallbacks
def receive(sock: socket.socket, size: int) -> Any:
    """``size`` bytes from ``sock``, letting the reactor turn while none are there."""
    sock.setblocking(False)
    received = bytearray()
    while len(received) < size:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            yield turn()
            continue
        if not chunk:
            break
        received += chunk
    return bytes(received)


class TCPEndpointTests(TestCase):
    @inlineCallbacks
    def serve(self, *actions: Any) -> Any:
        protocols: list[Recorder] = []

        def build() -> Recorder:
            protocols.append(Recorder(list(actions)))
            return protocols[-1]

        port = yield tcp_endpoint(reactor, 0, "127.0.0.1").listen(Factory.forProtocol(build))
        self.addCleanup(port.stopListening)
        client = socket.create_connection(("127.0.0.1", port.getHost().port))
        self.addCleanup(client.close)
        while not protocols:
            yield turn()
        yield protocols[0].ready
        return protocols[0], client

    @inlineCallbacks
    def test_a_write_with_nothing_queued_is_sent_without_the_reactor(self) -> Any:
        server, client = yield self.serve(lambda transport: transport.write(b"hello"))
        self.assertEqual(server.queued, [False])
        self.assertEqual((yield receive(client, 5)), b"hello")
        server.transport.loseConnection()
        yield server.lost

    @inlineCallbacks
    def test_write_sequence_is_queued_so_that_a_write_after_it_leaves_with_it(self) -> Any:
        server, client = yield self.serve(
            lambda transport: transport.writeSequence([b"HTTP/1.1 200 OK\r\n", b"\r\n"]),
            lambda transport: transport.write(b"body"),
        )
        self.assertEqual(server.queued, [True, True])
        self.assertEqual((yield receive(client, 23)), b"HTTP/1.1 200 OK\r\n\r\nbody")
        server.transport.loseConnection()
        yield server.lost

    @inlineCallbacks
    def test_what_the_kernel_does_not_take_is_queued_and_later_writes_follow_it(self) -> Any:
        big = os.urandom(BIG)
        server, client = yield self.serve(
            lambda transport: transport.write(big),
            lambda transport: transport.write(b"tail"),
            lambda transport: transport.writeSequence([b"more", b"!"]),
        )
        self.assertEqual(server.queued, [True, True, True])
        self.assertEqual((yield receive(client, BIG + 9)), big + b"tail" + b"more!")
        server.transport.loseConnection()
        yield server.lost

    @inlineCallbacks
    def test_writing_to_a_peer_that_went_away_ends_in_connection_lost(self) -> Any:
        server, client = yield self.serve()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.close()
        while not server.lost.called:
            server.transport.write(b"x" * 1024)
            yield turn()
        yield server.lost

    @inlineCallbacks
    def test_a_port_in_use_fails_the_listen(self) -> Any:
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        endpoint = tcp_endpoint(reactor, taken.getsockname()[1], "127.0.0.1")
        with self.assertRaises(CannotListenError):
            yield endpoint.listen(Factory.forProtocol(Protocol))


class UNIXEndpointTests(TestCase):
    @inlineCallbacks
    def test_listens_with_the_mode_and_sends_at_once(self) -> Any:
        path = os.path.join(self.mktemp() + ".d", "s.sock")
        os.makedirs(os.path.dirname(path))
        protocols: list[Recorder] = []

        def build() -> Recorder:
            protocols.append(Recorder([lambda transport: transport.write(b"ready")]))
            return protocols[-1]

        port = yield unix_endpoint(reactor, path, mode=0o660).listen(Factory.forProtocol(build))
        self.addCleanup(port.stopListening)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o660)
        client = socket.socket(socket.AF_UNIX)
        self.addCleanup(client.close)
        client.connect(path)
        while not protocols:
            yield turn()
        yield protocols[0].ready
        self.assertEqual(protocols[0].queued, [False])
        self.assertEqual((yield receive(client, 5)), b"ready")
        protocols[0].transport.loseConnection()
        yield protocols[0].lost
