"""Klippy's clock on top of an injected reactor, with every pending call tracked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime


class Timers:
    """Schedule calls on the reactor and cancel all of them at once.

    ``monotonic()`` is Klippy's ``eventtime``: seconds on a monotonic clock that
    starts at ``origin`` when this object is made (think "seconds since boot").
    """

    def __init__(self, reactor: IReactorTime, origin: float):
        self.reactor = reactor
        self._offset = origin - reactor.seconds()
        self._pending: set[IDelayedCall] = set()

    def monotonic(self) -> float:
        return self.reactor.seconds() + self._offset

    def call_later(self, delay: float, func: Callable[..., Any], *args: Any) -> IDelayedCall:
        """Like ``reactor.callLater``, but forgotten by ``cancel_all``."""
        call: IDelayedCall

        def fire() -> None:
            self._pending.discard(call)
            func(*args)

        call = self.reactor.callLater(max(0.0, delay), fire)
        self._pending.add(call)
        return call

    def cancel(self, call: IDelayedCall | None) -> None:
        if call is not None and call.active():
            call.cancel()
        self._pending.discard(call)  # type: ignore[arg-type]

    def sleep(self, delay: float) -> Deferred[None]:
        """A Deferred that fires after ``delay`` seconds (never, once cancelled)."""
        done: Deferred[None] = Deferred()
        self.call_later(delay, done.callback, None)
        return done

    def cancel_all(self) -> None:
        """Drop every pending call: what was waiting on them never resumes."""
        for call in list(self._pending):
            if call.active():
                call.cancel()
        self._pending.clear()
