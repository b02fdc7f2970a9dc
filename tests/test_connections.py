from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Transport
from moontwist.connections import ConnectionManager


class FakeConnection:
    prepared_calls = 0

    def __init__(self, manager: ConnectionManager, transport: Transport) -> None:
        self.connection_id = manager.next_id()
        self.transport = transport
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
        manager.add(FakeConnection(manager, Transport.WEBSOCKET))
        manager.add(FakeConnection(manager, Transport.UNIX))
        self.assertFalse(manager.has_room_for_websocket())
