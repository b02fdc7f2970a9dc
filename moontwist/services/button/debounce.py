"""Edges to button events, as Moonraker's GpioEvent makes them.

An edge starts a debounce period; at its end, if the line's value differs
from the value before the edge, the callback runs with (event time, time since
the previous event, value). Edges during a debounce period count as errors;
50 within 5 s disable the button.
"""

from __future__ import annotations

from typing import Any, Callable

MAX_ERRORS = 50
ERROR_RESET_TIME = 5.0


class Debouncer:
    def __init__(self, clock: Any, period: float, callback: Callable[[float, float, int], None],
                 on_error: Callable[[str], None], name: str) -> None:
        self._clock = clock
        self._period = max(period, 0.0)
        self._callback = callback
        self._on_error = on_error
        self._name = name
        self.value = 0
        self.disabled = False
        self._last_event_time = 0.0
        self._pending: Any = None
        self._errors = 0
        self._last_error_reset = 0.0

    def start(self, value: int) -> None:
        self.value = value
        self._last_event_time = self._clock.seconds()

    def stop(self) -> None:
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None

    def edge(self, rising: int) -> None:
        if self.disabled:
            return
        previous = self.value
        self.value = rising
        if not self._period:
            if previous != self.value:
                self._run()
            return
        if self._pending is None:
            self._pending = self._clock.callLater(self._period, self._settled, previous)
        else:
            self._error()

    def _settled(self, previous: int) -> None:
        self._pending = None
        if previous != self.value:
            self._run()

    def _run(self) -> None:
        now = self._clock.seconds()
        elapsed = now - self._last_event_time
        self._last_event_time = now
        self._callback(now, elapsed, self.value)

    def _error(self) -> None:
        now = self._clock.seconds()
        if now - self._last_error_reset > ERROR_RESET_TIME:
            self._errors = 0
            self._last_error_reset = now
        self._errors += 1
        if self._errors >= MAX_ERRORS:
            self.stop()
            self.disabled = True
            self._on_error(f"Too Many Consecutive Errors, GPIO Event Disabled on {self._name}")
