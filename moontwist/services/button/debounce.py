"""Moonraker's debounce of GPIO edges: settle, then report a real change once.

The first edge starts a wait of ``period``; when it ends, a level different
from the one before the edge is reported with the time since the last report.
Edges while waiting count as bounces: 50 within 5 s disable the input.
"""

from __future__ import annotations

from typing import Any, Callable

MAX_BOUNCES = 50
BOUNCE_WINDOW = 5.0


class Debouncer:
    def __init__(self, clock: Any, period: float, report: Callable[[float, float, bool], None],
                 disable: Callable[[str], None], level: bool = False) -> None:
        self.clock = clock
        self.period = period
        self.report = report
        self.disable = disable
        self.level = level
        self.enabled = True
        self._last_report = clock.seconds()
        self._waiting: Any = None
        self._bounces = 0
        self._bounce_window_start = 0.0

    def edge(self, level: bool) -> None:
        if not self.enabled:
            return
        before, self.level = self.level, level
        if self.period <= 0:
            if before != level:
                self._report()
            return
        if self._waiting is None:
            self._waiting = self.clock.callLater(self.period, self._settled, before)
        else:
            self._bounce()

    def _settled(self, before: bool) -> None:
        self._waiting = None
        if before != self.level:
            self._report()

    def _report(self) -> None:
        now = self.clock.seconds()
        elapsed, self._last_report = now - self._last_report, now
        self.report(now, elapsed, self.level)

    def _bounce(self) -> None:
        now = self.clock.seconds()
        if now - self._bounce_window_start > BOUNCE_WINDOW:
            self._bounces = 0
            self._bounce_window_start = now
        self._bounces += 1
        if self._bounces >= MAX_BOUNCES:
            self.stop()
            self.disable("Too Many Consecutive Errors, GPIO Event Disabled")

    def stop(self) -> None:
        self.enabled = False
        if self._waiting is not None and self._waiting.active():
            self._waiting.cancel()
        self._waiting = None
