"""The one JSON codec: compact UTF-8 bytes out, strict UTF-8 bytes in.

Every transport, the database and the simulator encode through here, so a
faster codec (or a different float policy) is a change in one place.

What a client sends is decoded with ``decode_client``, the edge of every
transport: besides invalid UTF-8 it refuses (``InvalidValue``) what JSON's
grammar allows but nothing past the edge can hold safely: a string that is not
valid Unicode (a lone surrogate from a ``\\ud800`` escape), a number that is not
finite (``NaN``, ``Infinity``, ``1e999``), nesting deeper than ``MAX_DEPTH``.
``decode`` stays lenient for Klippy and our own database (Klippy lists file
names that are not UTF-8 as lone surrogates). ``encode`` therefore never fails
on a string or a number: a lone surrogate leaves as its ``\\uXXXX`` escape, a
non-finite number as ``null``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_decoder = json.JSONDecoder()

# Deeper documents are refused at the edge: echoing one back must not reach the
# interpreter's recursion limit (the decoder accepts about 1,000 levels).
MAX_DEPTH = 100
# Text that may hold a value decode_client refuses; only then is the document walked.
_SUSPECT = re.compile(r"\\u[dD][89a-fA-F]|NaN|Infinity|[eE]\+?\d{3}|\d{300}")


class DecodeError(ValueError):
    """The bytes are not one valid UTF-8 JSON document."""


class InvalidValue(DecodeError):
    """A well-formed document holding a value a client may not send.

    ``document`` is what was decoded, so a JSON-RPC reply can still carry the id.
    """

    def __init__(self, message: str, document: Any) -> None:
        super().__init__(message)
        self.message = message
        self.document = document


def encode(value: Any) -> bytes:
    """Serialise ``value`` to compact UTF-8 JSON."""
    return encode_text(value).encode("utf-8", "backslashreplace")


def encode_strict(value: Any) -> bytes:
    """``encode``, but a non-finite number is ValueError, not ``null``: for what we
    store, where a value silently changed would be a lost write."""
    return _encoder.encode(value).encode("utf-8", "backslashreplace")


def encode_text(value: Any) -> str:
    """Serialise ``value`` to a compact JSON string.

    A lone surrogate stays in the text; ``encode`` turns it into its escape
    (``backslashreplace`` writes exactly JSON's ``\\udXXX`` inside a string).
    """
    try:
        return _encoder.encode(value)
    except ValueError:
        # Only a non-finite float gets here: Klippy may send NaN.
        return _encoder.encode(_finite(value))


def decode(data: bytes | str) -> Any:
    """Parse one JSON document, refusing invalid UTF-8 and trailing garbage."""
    return _parse(_text(data))


def decode_client(data: bytes | str) -> Any:
    """``decode`` for what a client sent: ``InvalidValue`` for a value it may not send."""
    text = _text(data)
    document = _parse(text)
    if _SUSPECT.search(text) or text.count("[") + text.count("{") > MAX_DEPTH:
        reason = invalid_value(document)
        if reason is not None:
            raise InvalidValue(reason, document)
    return document


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"invalid UTF-8: {exc.reason}") from None


def _parse(text: str) -> Any:
    try:
        return _decoder.decode(text)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(str(exc)) from None


def invalid_value(value: Any) -> str | None:
    """Why ``value`` may not come from a client (see ``decode_client``), or None."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if not _is_unicode(item):
                return "Invalid string: a lone surrogate is not valid Unicode"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "Invalid number: not finite"
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"Invalid JSON: nested deeper than {MAX_DEPTH} levels"
            if isinstance(item, dict):
                for key, member in item.items():
                    if not _is_unicode(key):
                        return "Invalid string: a lone surrogate is not valid Unicode"
                    pending.append((member, depth + 1))
            else:
                pending.extend((member, depth + 1) for member in item)
    return None


def _is_unicode(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(member) for key, member in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(member) for member in value]
    return value
