"""The one JSON codec: compact UTF-8 bytes out, strict UTF-8 bytes in.

Every transport, the database and the simulator encode through here, so a
faster codec (or a different float policy) is a change in one place.
"""

from __future__ import annotations

import json
from typing import Any

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_decoder = json.JSONDecoder()


class DecodeError(ValueError):
    """The bytes are not one valid UTF-8 JSON document."""


def encode(value: Any) -> bytes:
    """Serialise ``value`` to compact UTF-8 JSON."""
    return _encoder.encode(value).encode("utf-8")


def encode_text(value: Any) -> str:
    """Serialise ``value`` to a compact JSON string."""
    return _encoder.encode(value)


def decode(data: bytes | str) -> Any:
    """Parse one JSON document, refusing invalid UTF-8 and trailing garbage."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-8: {exc.reason}") from None
    else:
        text = data
    try:
        return _decoder.decode(text)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(str(exc)) from None
