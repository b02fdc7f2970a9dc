"""Shared fixtures for the database tests: real lmdb stores in trial temp dirs."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from moontwist.database import DEFAULT_MAP_SIZE, Store
from moontwist.protocols import jsoncodec


def open_store(case: TestCase, path: Path | None = None, map_size: int = DEFAULT_MAP_SIZE) -> Store:
    """An open store, closed again when the test ends."""
    store = Store(path or Path(case.mktemp()).resolve(), reactor, map_size)
    store.open()
    case.addCleanup(store.close)
    return store


def encode_record(value: Any) -> bytes:
    """A value in Moonraker's tagged record encoding (to build fixtures)."""
    if value is None:
        return b"\x00"
    if isinstance(value, bool):
        return b"?" + bytes([value])
    if isinstance(value, int):
        return b"q" + struct.pack("<q", value)
    if isinstance(value, float):
        return b"d" + struct.pack("<d", value)
    if isinstance(value, str):
        return b"s" + value.encode("utf-8")
    return jsoncodec.encode(value)
