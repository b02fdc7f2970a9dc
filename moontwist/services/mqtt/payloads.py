"""Payloads as Moonraker sends them: JSON for objects and arrays, text for the rest."""

from __future__ import annotations

from typing import Any

from moontwist.protocols import jsoncodec


def encode_payload(value: Any) -> bytes:
    """dict/list as JSON, booleans as ``true``/``false``, None as empty, the rest as text."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (dict, list)):
        return jsoncodec.encode(value)
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return str(value).encode("utf-8")


def decode_payload(payload: bytes) -> Any:
    """JSON when it is JSON, otherwise the text (what ``server.mqtt.subscribe`` returns)."""
    try:
        return jsoncodec.decode(payload)
    except jsoncodec.DecodeError:
        return payload.decode("utf-8", errors="replace")
