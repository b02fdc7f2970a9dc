"""Anonymous websockets cannot take the slots of logged-in users (force_logins)."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from moontwist.resources.websocket import IDENTIFY_TIMEOUT_CODE
from tests.integration.clients import connect_websocket
from tests.integration.daemon import start_daemon
from tests.integration.test_authorization import FORCED, create_user

LIMITS = ("max_websocket_connections: 2\nmax_unauthenticated_websockets: 3\n"
          "unauthenticated_websocket_timeout: 1\n")


class AnonymousWebsocketTests(TestCase):
    timeout = 60

    async def test_anonymous_flood_leaves_room_for_logged_in_users(self) -> None:
        daemon = await start_daemon(self, FORCED.replace("[authorization]", LIMITS + "\n[authorization]"))
        user = await create_user(daemon, self)
        anonymous = [await connect_websocket(self, daemon.ws_url) for _ in range(3)]
        with self.assertRaises(ConnectionError):
            await connect_websocket(self, daemon.ws_url)
        members = [await connect_websocket(self, f"{daemon.ws_url}?access_token={user['token']}")
                   for _ in range(2)]
        for member in members:
            self.assertIn("result", await member.call("server.info"))
        with self.assertRaises(ConnectionError):
            await connect_websocket(self, f"{daemon.ws_url}?access_token={user['token']}")
        self.assertEqual(daemon.ctx.connections.websocket_count(), 5)
        # One anonymous client logs in in time: it keeps its connection, the others are closed.
        identified = await anonymous[0].call("server.connection.identify", {
            "client_name": "t", "version": "1", "type": "web", "url": "x", "access_token": user["token"]})
        self.assertIn("connection_id", identified["result"])
        self.assertEqual([await client.closed for client in anonymous[1:]], [IDENTIFY_TIMEOUT_CODE] * 2)
        self.assertIn("result", await anonymous[0].call("server.info"))
