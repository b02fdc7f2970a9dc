"""ApiChannel: an oversized request line or header is answered, not just dropped."""

from __future__ import annotations

import json

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import Site

from moontwist.resources.channel import MAX_LINE, ApiChannel


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request: object) -> bytes:
        return b"hello"


class ApiChannelTests(SynchronousTestCase):
    def setUp(self) -> None:
        site = Site(Hello(), reactor=Clock())
        site.protocol = ApiChannel
        self.channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 9))
        self.transport = StringTransport()
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
