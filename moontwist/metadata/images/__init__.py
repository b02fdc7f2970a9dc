"""Just enough image code for thumbnails: QOI and PNG decoding, PNG encoding, downscaling."""

from __future__ import annotations

from dataclasses import dataclass


class ImageError(ValueError):
    """The bytes are not an image this package can read."""


@dataclass(frozen=True)
class Image:
    """8-bit RGBA pixels, row by row."""

    width: int
    height: int
    rgba: bytes
