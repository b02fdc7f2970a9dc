from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Registry, Transport
from moontwist.connections import ConnectionManager, RpcSession


class FakeConnection:
    prepared_calls = 0

    def __init__(self, manager: ConnectionManager, transport: Transport,
                 user: dict[str, Any] | None = None) -> None:
        self.connection_id = manager.next_id()
        self.transport = transport
        self.user = user
        self.client_info = None
        self.sent: list[Any] = []

    def prepare(self, payload: bytes) -> Any:
        type(self).prepared_calls += 1
        return ("frame", payload)

    def send_prepared(self, prepared: Any) -> None:
        self.sent.append(prepared)


class OtherKind(FakeConnection):
    prepared_calls = 0


class BroadcastTests(SynchronousTestCase):
    def test_notification_is_framed_once_per_kind_and_sent_to_all(self) -> None:
        manager = ConnectionManager()
        websockets = [FakeConnection(manager, Transport.WEBSOCKET) for _ in range(5)]
        unix = [OtherKind(manager, Transport.UNIX) for _ in range(3)]
        for connection in websockets + unix:
            manager.add(connection)
        manager.broadcast("notify_x", [1])
        self.assertEqual((FakeConnection.prepared_calls, OtherKind.prepared_calls), (1, 1))
        frames = {id(c.sent[0]) for c in websockets}
        self.assertEqual(len(frames), 1)
        self.assertEqual(websockets[0].sent[0][1], b'{"jsonrpc":"2.0","method":"notify_x","params":[1]}')
        self.assertEqual(manager.websocket_count(), 5)

    def test_observers_get_every_broadcast_with_the_same_bytes(self) -> None:
        manager = ConnectionManager()
        connection = FakeConnection(manager, Transport.WEBSOCKET)
        manager.add(connection)
        seen: list[tuple[str, bytes]] = []
        manager.observers.append(lambda method, payload: seen.append((method, payload)))
        manager.broadcast("notify_x", [1])
        manager.broadcast("notify_y")
        self.assertEqual([method for method, _ in seen], ["notify_x", "notify_y"])
        self.assertIs(seen[0][1], connection.sent[0][1])

    def test_removed_connection_gets_nothing_and_close_listeners_run(self) -> None:
        manager = ConnectionManager()
        gone = FakeConnection(manager, Transport.WEBSOCKET)
        manager.add(gone)
        closed: list[Any] = []
        manager.on_close.append(closed.append)
        manager.remove(gone)
        manager.broadcast("notify_x")
        self.assertEqual((gone.sent, closed), ([], [gone]))

    def test_websocket_limit(self) -> None:
        manager = ConnectionManager(max_websockets=1)
        self.assertTrue(manager.has_room_for_websocket())
        manager.add(FakeConnection(manager, Transport.WEBSOCKET, {"username": "a"}))
        manager.add(FakeConnection(manager, Transport.UNIX, {"username": "a"}))
        self.assertFalse(manager.has_room_for_websocket())

    def test_anonymous_websockets_have_their_own_budget(self) -> None:
        manager = ConnectionManager(max_websockets=1, max_anonymous_websockets=2)
        for _ in range(2):
            manager.add(FakeConnection(manager, Transport.WEBSOCKET))
        self.assertFalse(manager.has_room_for_websocket(anonymous=True))
        self.assertTrue(manager.has_room_for_websocket())
        self.assertEqual(manager.websocket_count(), 2)

    def test_a_session_that_authenticates_moves_to_the_users_budget(self) -> None:
        manager = ConnectionManager(max_websockets=1, max_anonymous_websockets=1)
        session = Session(Registry(), manager)
        session.opened()
        self.assertFalse(manager.has_room_for_websocket(anonymous=True))
        session.user = {"username": "alice"}
        self.assertEqual((manager.has_room_for_websocket(anonymous=True), manager.has_room_for_websocket(),
                          session.changes), (True, False, 1))
        session.user = None
        self.assertEqual((manager.has_room_for_websocket(anonymous=True), manager.has_room_for_websocket(),
                          session.changes), (False, True, 2))
        session.closed()
        self.assertTrue(manager.has_room_for_websocket(anonymous=True))


class Session(RpcSession):
    transport = Transport.WEBSOCKET
    changes = 0

    def identity_changed(self) -> None:
        self.changes += 1
