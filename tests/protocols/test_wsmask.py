import os

from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols.wsmask import create_masker


def reference(mask: bytes, data: bytes) -> bytes:
    return bytes(byte ^ mask[index % 4] for index, byte in enumerate(data))


class IntXorMaskerTests(SynchronousTestCase):
    def test_whole_payload_matches_rfc_masking(self) -> None:
        mask = b"\x37\xfa\x21\x3d"
        for size in (0, 1, 3, 4, 5, 125, 126, 65537):
            data = os.urandom(size)
            self.assertEqual(create_masker(mask).process(data), reference(mask, data))

    def test_payload_in_pieces_keeps_the_key_position(self) -> None:
        mask, data = os.urandom(4), os.urandom(1000)
        masker = create_masker(mask)
        pieces = [masker.process(data[start:end]) for start, end in ((0, 1), (1, 7), (7, 7), (7, 510), (510, 1000))]
        self.assertEqual(b"".join(pieces), reference(mask, data))
        self.assertEqual(masker.pointer(), 1000)

    def test_reset_starts_the_key_again(self) -> None:
        masker = create_masker(b"abcd")
        masker.process(b"xy")
        masker.reset()
        self.assertEqual((masker.pointer(), masker.process(b"\x00\x00")), (0, b"ab"))

    def test_masking_twice_gives_the_payload_back(self) -> None:
        mask, data = os.urandom(4), os.urandom(77)
        self.assertEqual(create_masker(mask).process(create_masker(mask).process(data)), data)
