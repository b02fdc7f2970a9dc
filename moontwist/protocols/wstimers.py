"""Autobahn timers that really go away: plain reactor delayed calls, and the
handshake timers Autobahn leaves behind on a dead connection (server or client)."""

from __future__ import annotations

from typing import Any


def cancel_leftover_timers(protocol: Any) -> None:
    """Autobahn leaves the handshake timers running on a dead connection."""
    for name in ("closeHandshakeTimeoutCall", "openHandshakeTimeoutCall"):
        call = getattr(protocol, name, None)
        if call is not None and call.active():
            call.cancel()
        setattr(protocol, name, None)


class ReactorTimer:
    """Autobahn's timer interface on plain ``callLater``.

    txaio's batched timer leaves a bucket's delayed call pending after every
    call in it was cancelled (up to the 10 s handshake timeout), so a stopped
    server would still hold timers; plain delayed calls cancel for real and
    come from the reactor we were given.
    """

    def __init__(self, clock: Any) -> None:
        self._clock = clock

    def call_later(self, delay: float, function: Any, *args: Any, **kwargs: Any) -> Any:
        return self._clock.callLater(delay, function, *args, **kwargs)
