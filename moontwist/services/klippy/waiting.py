""""Waiting for Klippy at ..." once, then once a minute while it stays away.

The link retries every couple of seconds; a line per retry would be ~43,000 a
day in the journal of a printer whose Klipper is off.
"""

from __future__ import annotations

from typing import Callable

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

log = Logger()

REMIND_EVERY = 60.0


class WaitingNotice:
    """Told of each failed attempt and of each connection; says so at most once a minute."""

    def __init__(self, clock: IReactorTime, socket_path: str,
                 say: Callable[[str], None] | None = None, interval: float = REMIND_EVERY) -> None:
        self._clock = clock
        self._socket_path = socket_path
        self._say = say or (lambda line: log.info("{line}", line=line))
        self._interval = interval
        self._since: float | None = None
        self._last_said: float | None = None

    def attempt_failed(self) -> None:
        now = self._clock.seconds()
        if self._since is None:
            self._since = now
        if self._last_said is not None and now - self._last_said < self._interval:
            return
        self._last_said = now
        waited = now - self._since
        suffix = f" (for {waited / 60:.0f} min)" if waited >= self._interval else ""
        self._say(f"Waiting for Klippy at {self._socket_path}{suffix}")

    def connected(self) -> None:
        self._since = None
        self._last_said = None
