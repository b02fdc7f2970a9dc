"""Waiting for a broker's acknowledgement with a limit, without giving up on it."""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure


def within(source: "Deferred[Any]", timeout: float | None, clock: Any, error: Exception) -> "Deferred[Any]":
    """``source``'s outcome, or ``error`` after ``timeout`` seconds.

    ``source`` is not cancelled: a message still goes out when the broker is
    back, as Moonraker documents for a publish that timed out.
    """
    if timeout is None:
        return source

    def cancel(_: "Deferred[Any]") -> None:
        # Whoever waits gives up: the timer goes too (the source goes on, as above).
        if timer.active():
            timer.cancel()

    result: Deferred[Any] = Deferred(cancel)

    def expire() -> None:
        if not result.called:
            result.errback(error)

    timer = clock.callLater(timeout, expire)

    def settle(outcome: Any) -> None:
        if timer.active():
            timer.cancel()
        if not result.called:
            if isinstance(outcome, Failure):
                result.errback(outcome)
            else:
                result.callback(outcome)

    source.addBoth(settle)
    return result
