"""The last G-code commands sent and responses received, for consoles that connect late."""

from __future__ import annotations

from collections import deque
from typing import Any

from twisted.internet.interfaces import IReactorTime

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

DEFAULT_SIZE = 1000


class GcodeStore:
    """A ring of ``{message, time, type}`` entries, ``type`` being command or response.

    Kept as ``(message, time, kind)`` tuples and made into dictionaries when
    asked for: a full store of 1,000 commands decoded from JSON holds 263 KiB
    as dictionaries, 145 KiB as tuples (measured with ``tracemalloc``).
    """

    def __init__(self, clock: IReactorTime, size: int = DEFAULT_SIZE) -> None:
        self._clock = clock
        self._entries: deque[tuple[str, float, str]] = deque(maxlen=size)

    def add_command(self, script: str) -> None:
        if script.strip():
            self._add(script, "command")

    def add_response(self, response: str) -> None:
        self._add(response, "response")

    def _add(self, message: str, kind: str) -> None:
        self._entries.append((message, self._clock.seconds(), kind))

    @endpoint("server.gcode_store", "GET /server/gcode_store")
    def gcode_store(self, request: Request) -> dict[str, Any]:
        count = request.get_int("count", None)
        entries = list(self._entries)
        if count is not None:
            if count < 0:
                raise ApiError(f"Invalid argument [count]: {count} is negative")
            entries = entries[-count:] if count else []
        return {"gcode_store": [{"message": message, "time": time, "type": kind} for message, time, kind in entries]}
