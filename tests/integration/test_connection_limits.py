"""Many idle websockets, and a client that stops reading: the server keeps serving."""

from __future__ import annotations

import socket

from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import wait_for


class ConnectionLimitTests(TestCase):
    timeout = 120

    async def test_thousand_idle_websockets_are_held_and_others_served(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "max_websocket_connections: 1001\n")
        clients = []
        for _ in range(10):
            clients += await gatherResults(
                [Deferred.fromCoroutine(connect_websocket(self, daemon.ws_url)) for _ in range(100)])
        probe = await connect_websocket(self, daemon.ws_url)
        reply = await probe.call("server.info")
        self.assertEqual(reply["result"]["websocket_count"], 1001)

    async def test_client_that_stops_reading_is_dropped(self) -> None:
        daemon = await start_daemon(self)
        port = daemon.port_of("http")
        raw = socket.create_connection(("127.0.0.1", port))
        self.addCleanup(raw.close)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        handshake = (
            "GET /websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        await deferToThread(raw.sendall, handshake.encode())
        await wait_for(lambda: daemon.ctx.connections.websocket_count() == 1)
        healthy = await connect_websocket(self, daemon.ws_url)
        big = {"blob": "x" * 65536}
        for _ in range(400):
            if daemon.ctx.connections.websocket_count() == 1:
                break
            daemon.ctx.notify("notify_flood", [big])
            await deferLater(reactor, 0, lambda: None)
        self.assertEqual(daemon.ctx.connections.websocket_count(), 1)
        reply = await healthy.call("server.info")
        self.assertEqual(reply["result"]["websocket_count"], 1)

