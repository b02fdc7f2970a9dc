"""Payload encoding as Moonraker does it, and decoding for server.mqtt.subscribe."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.mqtt.payloads import decode_payload, encode_payload


class PayloadTests(SynchronousTestCase):
    def test_encoding(self) -> None:
        self.assertEqual(encode_payload(None), b"")
        self.assertEqual(encode_payload({"a": [1]}), b'{"a":[1]}')
        self.assertEqual(encode_payload(True), b"true")
        self.assertEqual(encode_payload(1.5), b"1.5")
        self.assertEqual(encode_payload("é"), "é".encode())

    def test_decoding_prefers_json(self) -> None:
        self.assertEqual(decode_payload(b'{"on": true}'), {"on": True})
        self.assertEqual(decode_payload(b"hello"), "hello")
        self.assertEqual(decode_payload(b"\xff"), "\ufffd")
