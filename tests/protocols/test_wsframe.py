import os
import struct

from autobahn.twisted.websocket import WebSocketServerFactory
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.wsframe import server_frame, single_client_message
from moontwist.protocols.wsmask import unmask


def masked(first: int, payload: bytes, length_field: bytes | None = None) -> bytes:
    key = os.urandom(4)
    size = len(payload)
    if length_field is None:
        length_field = bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + struct.pack("!H", size)
    return bytes([first]) + length_field + key + unmask(key, payload)


class SingleClientMessageTests(SynchronousTestCase):
    def test_a_whole_text_frame_is_read(self) -> None:
        self.assertEqual(single_client_message(masked(0x81, b'{"id": 1}')), (False, b'{"id": 1}'))

    def test_a_whole_binary_frame_is_read(self) -> None:
        self.assertEqual(single_client_message(masked(0x82, b"\x00\x01")), (True, b"\x00\x01"))

    def test_lengths_at_the_edges_of_the_short_and_16_bit_forms(self) -> None:
        for size in (0, 125, 126, 65535):
            payload = os.urandom(size)
            self.assertEqual(single_client_message(masked(0x81, payload)), (False, payload), size)

    def test_what_is_left_to_autobahn(self) -> None:
        payload = b'{"id": 1}'
        whole = masked(0x81, payload)
        declined = {
            "fragment": masked(0x01, payload),
            "continuation": masked(0x80, payload),
            "rsv bit (compressed)": masked(0xC1, payload),
            "ping": masked(0x89, payload),
            "close": masked(0x88, b"\x03\xe8"),
            "unmasked": bytes([0x81, len(payload)]) + payload,
            "partial": whole[:-1],
            "two frames": whole + whole,
            "header only": whole[:4],
            "non-minimal 16-bit length": masked(0x81, payload, bytes([0x80 | 126]) + struct.pack("!H", len(payload))),
            "64-bit length": masked(0x81, payload, bytes([0x80 | 127]) + struct.pack("!Q", len(payload))),
        }
        for name, data in declined.items():
            self.assertIsNone(single_client_message(data), name)


class ServerFrameTests(SynchronousTestCase):
    def test_frames_are_what_autobahn_prepares(self) -> None:
        factory = WebSocketServerFactory()
        for size in (0, 1, 125, 126, 65535, 65536, 70000):
            payload = os.urandom(size)
            for binary in (False, True):
                expected = factory.prepareMessage(payload, isBinary=binary).payloadHybi
                self.assertEqual(server_frame(payload, binary), expected, (size, binary))
