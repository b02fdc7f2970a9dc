from twisted.internet.defer import Deferred, succeed
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.rpcstream import MAX_REQUEST, RpcSession, RpcStreamProtocol


class EchoSession(RpcSession):
    def __init__(self) -> None:
        self.events: list[object] = []

    def opened(self, protocol: RpcStreamProtocol) -> None:
        self.events.append("opened")

    def message(self, payload: bytes) -> "Deferred[bytes | None]":
        self.events.append(payload)
        return succeed(None if payload == b"quiet" else b"re:" + payload)

    def closed(self) -> None:
        self.events.append("closed")


class RpcStreamProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.session = EchoSession()
        self.protocol = RpcStreamProtocol(self.session, send_limit=10)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)

    def test_open_and_close_reach_the_session(self) -> None:
        self.protocol.connectionLost()
        self.assertEqual(self.session.events, ["opened", "closed"])

    def test_each_message_is_answered_with_etx(self) -> None:
        self.protocol.dataReceived(b"a\x03b\x03quiet\x03")
        self.assertEqual(self.transport.value(), b"re:a\x03re:b\x03")

    def test_garbage_without_etx_is_bounded_then_disconnected(self) -> None:
        chunk = b"x" * 65536
        for _ in range(MAX_REQUEST // len(chunk) + 1):
            self.protocol.dataReceived(chunk)
        self.assertTrue(self.transport.disconnecting)
        self.assertLessEqual(len(self.protocol._buffer), MAX_REQUEST)

    def test_client_that_stops_reading_is_aborted(self) -> None:
        self.transport.producer.pauseProducing()
        self.protocol.send_frame(b"0123456789ab")
        self.assertTrue(self.transport.disconnecting)
