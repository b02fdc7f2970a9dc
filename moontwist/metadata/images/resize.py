"""Shrink an image to fit a box, averaging the pixels each target pixel covers."""

from __future__ import annotations

from moontwist.metadata.images import Image


def fit_within(image: Image, max_width: int, max_height: int) -> Image:
    """``image`` scaled down (aspect kept) to fit ``max_width`` × ``max_height``.

    Colours are averaged weighted by alpha, so transparent pixels do not darken
    the edges; an image that already fits is returned unchanged.
    """
    scale = min(max_width / image.width, max_height / image.height)
    if scale >= 1:
        return image
    width = max(1, round(image.width * scale))
    height = max(1, round(image.height * scale))
    x_bounds = _bounds(image.width, width)
    y_bounds = _bounds(image.height, height)
    source, stride = image.rgba, image.width * 4
    out = bytearray(width * height * 4)
    target = 0
    for top, bottom in y_bounds:
        for left, right in x_bounds:
            red = green = blue = alpha = 0
            for row in range(top, bottom):
                offset = row * stride
                for pixel in range(offset + left * 4, offset + right * 4, 4):
                    weight = source[pixel + 3]
                    red += source[pixel] * weight
                    green += source[pixel + 1] * weight
                    blue += source[pixel + 2] * weight
                    alpha += weight
            count = (bottom - top) * (right - left)
            if alpha:
                out[target : target + 4] = bytes((
                    (red + alpha // 2) // alpha,
                    (green + alpha // 2) // alpha,
                    (blue + alpha // 2) // alpha,
                    (alpha + count // 2) // count,
                ))
            target += 4
    return Image(width, height, bytes(out))


def _bounds(source: int, target: int) -> list[tuple[int, int]]:
    """Source index ranges (never empty) covered by each target index."""
    bounds = []
    for index in range(target):
        start = index * source // target
        end = max(start + 1, (index + 1) * source // target)
        bounds.append((start, end))
    return bounds
