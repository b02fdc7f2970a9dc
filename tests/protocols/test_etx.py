from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.etx import ETXProtocol


class Collector(ETXProtocol):
    maxMessageLength = 16

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    def messageReceived(self, message: bytes) -> None:
        self.messages.append(message)


class ETXProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.protocol = Collector()
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)

    def test_messages_split_on_etx(self) -> None:
        self.protocol.dataReceived(b"one\x03two\x03")
        self.assertEqual(self.protocol.messages, [b"one", b"two"])

    def test_message_across_chunks_is_reassembled(self) -> None:
        for chunk in (b"he", b"llo", b"\x03wor", b"ld\x03"):
            self.protocol.dataReceived(chunk)
        self.assertEqual(self.protocol.messages, [b"hello", b"world"])

    def test_empty_messages_are_skipped(self) -> None:
        self.protocol.dataReceived(b"\x03\x03a\x03")
        self.assertEqual(self.protocol.messages, [b"a"])

    def test_unterminated_stream_past_limit_disconnects(self) -> None:
        for _ in range(4):
            self.protocol.dataReceived(b"x" * 5)
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(self.protocol.messages, [])

    def test_oversized_complete_message_disconnects(self) -> None:
        self.protocol.dataReceived(b"y" * 20 + b"\x03ok\x03")
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(self.protocol.messages, [])

    def test_send_message_appends_terminator(self) -> None:
        self.protocol.sendMessage(b'{"id":1}')
        self.assertEqual(self.transport.value(), b'{"id":1}\x03')
