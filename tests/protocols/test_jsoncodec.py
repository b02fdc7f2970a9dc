from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols import jsoncodec


class JsonCodecTests(SynchronousTestCase):
    def test_encode_is_compact_utf8(self) -> None:
        self.assertEqual(jsoncodec.encode({"a": [1, "é"]}), '{"a":[1,"é"]}'.encode())

    def test_decode_round_trips(self) -> None:
        self.assertEqual(jsoncodec.decode(b'{"x": [true, null, 1.5]}'), {"x": [True, None, 1.5]})

    def test_invalid_utf8_is_a_decode_error(self) -> None:
        self.assertRaises(jsoncodec.DecodeError, jsoncodec.decode, b'{"a": "\xff"}')

    def test_trailing_garbage_is_a_decode_error(self) -> None:
        self.assertRaises(jsoncodec.DecodeError, jsoncodec.decode, b'{"a": 1} x')

    def test_deep_nesting_is_a_decode_error(self) -> None:
        self.assertRaises(jsoncodec.DecodeError, jsoncodec.decode, b"[" * 100000)

    def test_nan_is_refused_on_encode(self) -> None:
        self.assertRaises(ValueError, jsoncodec.encode, float("nan"))
