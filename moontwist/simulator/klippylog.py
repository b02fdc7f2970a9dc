"""klippy.log: what Klippy's ``-l`` file shows a user (start, config, states, errors)."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class KlippyLog:
    """Append-only text log; ``path`` None writes nothing (Klippy without ``-l``)."""

    def __init__(self, path: str | None):
        self.path = os.path.abspath(path) if path is not None else None
        self._handle: TextIO | None = None
        if self.path is not None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._handle = open(self.path, "a", buffering=1)

    def write(self, message: str) -> None:
        if self._handle is not None:
            self._handle.write(message.rstrip("\n") + "\n")

    def start(self, args: list[str], software_version: str, cpu_info: str) -> None:
        self.write("Starting Klippy...")
        self.write(f"Args: {args}")
        self.write(f"Git version: '{software_version}'")
        self.write(f"CPU: {cpu_info}")
        self.write(f"Python: {sys.version!r}")
        self.write(f"Start printer at {time.asctime()} ({time.time():.1f} {time.monotonic():.1f})")

    def config(self, text: str) -> None:
        self.write("===== Config file =====")
        self.write(text)
        self.write("=======================")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
