"""Our small QOI decoder, PNG reader/writer and downscaler."""

from __future__ import annotations

import struct
import zlib

from twisted.trial.unittest import SynchronousTestCase

from moontwist.metadata.images import Image, ImageError
from moontwist.metadata.images.png import decode_png, encode_png, png_size
from moontwist.metadata.images.qoi import decode_qoi
from moontwist.metadata.images.resize import fit_within

from .helpers import filtered_png, gradient, png_chunk, solid_qoi

_QOI_END = b"\x00" * 7 + b"\x01"


def _qoi(width: int, height: int, body: bytes, channels: int = 4) -> bytes:
    return b"qoif" + struct.pack(">IIBB", width, height, channels, 0) + body + _QOI_END


class QoiTests(SynchronousTestCase):
    """Every QOI op decodes as the specification says."""

    def test_each_op_decodes(self) -> None:
        body = bytes([
            0xFE, 10, 20, 30,  # RGB
            0x76,  # DIFF: r+1, g-1, b+0
            0xAA, 0x5D,  # LUMA: g+10, r-g=-3, b-g=+5
            0xFF, 1, 2, 3, 4,  # RGBA
            0x09,  # INDEX of (10, 20, 30, 255)
            0xC2,  # RUN of 3
        ])
        image = decode_qoi(_qoi(4, 2, body))
        expected = [(10, 20, 30, 255), (11, 19, 30, 255), (18, 29, 45, 255), (1, 2, 3, 4)]
        expected += [(10, 20, 30, 255)] * 4
        self.assertEqual((image.width, image.height), (4, 2))
        self.assertEqual(image.rgba, b"".join(bytes(pixel) for pixel in expected))

    def test_three_channel_images_are_opaque(self) -> None:
        image = decode_qoi(_qoi(1, 1, b"\xfe\x01\x02\x03", channels=3))
        self.assertEqual(image.rgba, b"\x01\x02\x03\xff")

    def test_runs_longer_than_the_image_are_clipped(self) -> None:
        image = decode_qoi(_qoi(2, 1, b"\xfe\x05\x05\x05\xfd"))
        self.assertEqual(image.rgba, b"\x05\x05\x05\xff" * 2)

    def test_solid_helper_image(self) -> None:
        image = decode_qoi(solid_qoi(10, 10, (1, 2, 3, 4)))
        self.assertEqual(image.rgba, b"\x01\x02\x03\x04" * 100)

    def test_malformed_data_is_refused(self) -> None:
        for data in (
            b"qoif",
            b"nope" + struct.pack(">IIBB", 1, 1, 4, 0) + b"\xfe\x00\x00\x00" + _QOI_END,
            _qoi(2, 2, b"\xfe\x00\x00\x00"),
            _qoi(1, 1, b"\xfe\x00\x00\x00", channels=5),
            _qoi(100_000, 100_000, b"\xfe\x00\x00\x00"),
        ):
            self.assertRaises(ImageError, decode_qoi, data)


class PngTests(SynchronousTestCase):
    """PNG reading covers every filter and the 8-bit colour types slicers use."""

    def test_every_filter_type_is_undone(self) -> None:
        pixels = gradient(7, 10)
        image = decode_png(filtered_png(7, 10, pixels))
        self.assertEqual(image, Image(7, 10, pixels))

    def test_rgb_grey_and_grey_alpha_become_rgba(self) -> None:
        rgb = bytes(range(2 * 2 * 3))
        self.assertEqual(
            decode_png(filtered_png(2, 2, rgb, colour=2, channels=3)).rgba,
            b"".join(rgb[i : i + 3] + b"\xff" for i in range(0, 12, 3)),
        )
        self.assertEqual(
            decode_png(filtered_png(2, 1, b"\x10\x20", colour=0, channels=1)).rgba,
            b"\x10\x10\x10\xff\x20\x20\x20\xff",
        )
        self.assertEqual(
            decode_png(filtered_png(1, 1, b"\x30\x40", colour=4, channels=2)).rgba,
            b"\x30\x30\x30\x40",
        )

    def test_palette_with_transparency(self) -> None:
        palette = png_chunk(b"PLTE", b"\xff\x00\x00\x00\xff\x00") + png_chunk(b"tRNS", b"\x80")
        data = filtered_png(2, 1, b"\x00\x01", colour=3, channels=1, extra_chunks=palette)
        self.assertEqual(decode_png(data).rgba, b"\xff\x00\x00\x80\x00\xff\x00\xff")

    def test_encoded_png_round_trips_with_valid_checksums(self) -> None:
        image = Image(5, 3, gradient(5, 3))
        data = encode_png(image)
        self.assertEqual(decode_png(data), image)
        self.assertEqual(png_size(data), (5, 3))
        position = 8
        while position < len(data):
            (length,) = struct.unpack_from(">I", data, position)
            kind_and_body = data[position + 4 : position + 8 + length]
            (crc,) = struct.unpack_from(">I", data, position + 8 + length)
            self.assertEqual(crc, zlib.crc32(kind_and_body))
            position += 12 + length

    def test_unsupported_or_broken_pngs_are_refused(self) -> None:
        good = filtered_png(2, 2, gradient(2, 2))
        sixteen_bit = good.replace(
            png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 0)),
            png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 16, 6, 0, 0, 0)),
        )
        interlaced = good.replace(
            png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 0)),
            png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 1)),
        )
        broken_zlib = b"\x89PNG\r\n\x1a\n" + png_chunk(
            b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 0)) + png_chunk(b"IDAT", b"junk")
        for data in (b"GIF89a", sixteen_bit, interlaced, broken_zlib, good[:40]):
            self.assertRaises(ImageError, decode_png, data)


class ResizeTests(SynchronousTestCase):
    """Shrinking keeps the aspect ratio and averages by alpha."""

    def test_wide_image_fits_width_and_keeps_aspect(self) -> None:
        small = fit_within(Image(300, 150, b"\x10\x20\x30\xff" * 300 * 150), 32, 32)
        self.assertEqual((small.width, small.height), (32, 16))
        self.assertEqual(small.rgba, b"\x10\x20\x30\xff" * 32 * 16)

    def test_transparent_pixels_do_not_darken_colours(self) -> None:
        row = b"\x00\x00\x00\x00\xff\xff\xff\xff"
        small = fit_within(Image(2, 2, row * 2), 1, 1)
        self.assertEqual(small.rgba, b"\xff\xff\xff\x80")

    def test_image_that_fits_is_unchanged(self) -> None:
        image = Image(16, 16, b"\x01\x02\x03\x04" * 256)
        self.assertIs(fit_within(image, 32, 32), image)
