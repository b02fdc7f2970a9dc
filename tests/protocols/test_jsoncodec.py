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



class ClientValueTests(SynchronousTestCase):
    """decode_client: what JSON allows but no client may send is refused once, at the edge."""

    def refused(self, text: bytes) -> jsoncodec.InvalidValue:
        with self.assertRaises(jsoncodec.InvalidValue) as caught:
            jsoncodec.decode_client(text)
        return caught.exception

    def test_lone_surrogate_in_a_value_or_key_is_refused_with_the_document(self) -> None:
        error = self.refused(b'{"id": 3, "params": {"script": "M118 \\ud800"}}')
        self.assertEqual(error.message, "Invalid string: a lone surrogate is not valid Unicode")
        self.assertEqual(error.document["id"], 3)
        self.refused(b'{"\\udfff": 1}')
        self.refused(b'["a", ["\\uDC80"]]')

    def test_surrogate_pair_and_escaped_backslash_are_valid(self) -> None:
        self.assertEqual(jsoncodec.decode_client(b'["\\ud83d\\ude00", "\\\\ud800"]'), ["\U0001F600", "\\ud800"])

    def test_non_finite_numbers_are_refused(self) -> None:
        for text in (b"[NaN]", b'{"a": Infinity}', b"[-Infinity]", b"[1e999999]", b"[" + b"9" * 400 + b".0]"):
            self.assertEqual(self.refused(text).message, "Invalid number: not finite", text)

    def test_large_finite_numbers_pass(self) -> None:
        self.assertEqual(jsoncodec.decode_client(b'[1e300, 123456789012345678901234567890, "NaN"]'),
                         [1e300, 123456789012345678901234567890, "NaN"])

    def test_nesting_deeper_than_the_limit_is_refused(self) -> None:
        depth = jsoncodec.MAX_DEPTH
        self.assertEqual(jsoncodec.decode_client(b"[" * depth + b"]" * depth),
                         jsoncodec.decode(b"[" * depth + b"]" * depth))
        self.assertIn("nested deeper", self.refused(b"[" * (depth + 1) + b"]" * (depth + 1)).message)

    def test_lenient_decode_keeps_what_klippy_sends(self) -> None:
        self.assertEqual(jsoncodec.decode(b'["\\udc80.gcode", NaN]')[0], "\udc80.gcode")


class EncodeNeverFailsTests(SynchronousTestCase):
    def test_lone_surrogate_is_written_as_its_escape(self) -> None:
        encoded = jsoncodec.encode({"line": "M118 \ud800 é"})
        self.assertEqual(encoded, '{"line":"M118 \\ud800 é"}'.encode())
        self.assertEqual(jsoncodec.decode(encoded), {"line": "M118 \ud800 é"})

    def test_non_finite_number_is_written_as_null(self) -> None:
        self.assertEqual(jsoncodec.encode({"a": [float("nan"), 1.5, float("inf")]}), b'{"a":[null,1.5,null]}')

    def test_strict_encode_refuses_non_finite_numbers(self) -> None:
        self.assertRaises(ValueError, jsoncodec.encode_strict, {"a": float("nan")})
        self.assertEqual(jsoncodec.encode_strict(["\udc80"]), b'["\\udc80"]')
