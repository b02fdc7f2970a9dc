"""ApiChannel: an oversized request line or header is answered, not just dropped."""

from __future__ import annotations

import json

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import Site

from moontwist.resources.channel import HEAD_TIMEOUT, MAX_LINE, ApiChannel


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request: object) -> bytes:
        return b"hello"


class TcpLikeTransport(StringTransport):
    """Unregistering no producer is allowed, as on a real TCP transport."""

    def unregisterProducer(self) -> None:
        self.producer = None


class ApiChannelTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        site = Site(Hello(), reactor=self.clock)
        site.protocol = ApiChannel
        self.channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 9))
        self.transport = TcpLikeTransport()
        self.channel.makeConnection(self.transport)

    def answer(self) -> tuple[bytes, dict[str, object]]:
        head, _, body = self.transport.value().partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0], json.loads(body)

    def test_request_line_over_16_kib_is_414(self) -> None:
        self.channel.dataReceived(b"GET /" + b"a" * MAX_LINE + b" HTTP/1.1\r\nHost: p\r\n\r\n")
        self.assertEqual(self.answer(), (b"HTTP/1.1 414 URI Too Long",
                                         {"error": {"code": 414, "message": "Request line too long"}}))
        self.assertTrue(self.transport.disconnecting)

    def test_unterminated_request_line_over_16_kib_is_414_at_once(self) -> None:
        for _ in range(20):
            self.channel.dataReceived(b"G" * 1024)
        self.assertEqual(self.answer()[0], b"HTTP/1.1 414 URI Too Long")

    def test_header_line_over_16_kib_is_431(self) -> None:
        self.channel.dataReceived(b"GET / HTTP/1.1\r\nX-Big: " + b"b" * MAX_LINE + b"\r\n\r\n")
        self.assertEqual(self.answer()[0], b"HTTP/1.1 431 Request Header Fields Too Large")
        self.assertTrue(self.transport.disconnecting)

    def test_request_line_under_the_limit_is_served(self) -> None:
        self.channel.dataReceived(b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\nHost: p\r\n\r\n")
        self.assertIn(b"hello", self.transport.value())

    def test_head_sent_a_byte_at_a_time_is_408_at_the_deadline(self) -> None:
        for byte in b"GET / HTTP/1.1\r\nHost: p\r\nX-Slow: ":
            self.channel.dataReceived(bytes([byte]))
            self.clock.advance(HEAD_TIMEOUT / 40)
        self.assertFalse(self.transport.disconnecting)
        self.clock.advance(HEAD_TIMEOUT)
        self.assertEqual(self.answer(), (b"HTTP/1.1 408 Request Timeout",
                                         {"error": {"code": 408, "message": "Request head not received in time"}}))
        self.assertTrue(self.transport.disconnecting)

    def test_idle_keep_alive_connection_is_closed_without_an_answer(self) -> None:
        self.channel.dataReceived(b"GET / HTTP/1.1\r\nHost: p\r\n\r\n")
        self.assertIn(b"hello", self.transport.value())
        self.clock.advance(HEAD_TIMEOUT - 1)
        self.channel.dataReceived(b"GET / HTTP/1.1\r\nHost: p\r\n\r\n")
        self.clock.advance(HEAD_TIMEOUT - 1)
        self.assertFalse(self.transport.disconnecting)
        self.transport.clear()
        self.clock.advance(1)
        self.assertEqual((self.transport.value(), self.transport.disconnecting), (b"", True))

    def test_body_that_keeps_arriving_is_not_cut_by_the_head_deadline(self) -> None:
        self.channel.dataReceived(b"GET / HTTP/1.1\r\nHost: p\r\nContent-Length: 8\r\n\r\n")
        for byte in b"abcdefgh":
            self.clock.advance(HEAD_TIMEOUT / 2)
            self.channel.dataReceived(bytes([byte]))
        self.assertFalse(self.transport.disconnecting)
        self.assertIn(b"hello", self.transport.value())
