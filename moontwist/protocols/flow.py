"""A bound on what one connection may leave unsent.

The transport tells a registered streaming producer to pause when its own
buffer is full; while paused we count what is still written, and past the
limit the peer is taken to have stopped reading and the connection is aborted.
Memory per slow client is then at most the transport buffer plus the limit.
"""

from __future__ import annotations

from typing import Any, Callable

from zope.interface import implementer
from twisted.internet.interfaces import IPushProducer

DEFAULT_SEND_LIMIT = 4 * 1024 * 1024


@implementer(IPushProducer)
class SendBudget:
    """Tracks bytes written while the transport says it is congested."""

    def __init__(self, transport: Any, limit: int = DEFAULT_SEND_LIMIT,
                 on_exceeded: Callable[[], None] | None = None) -> None:
        self._transport = transport
        self.limit = limit
        self.congested = False
        self.pending = 0
        self._on_exceeded = on_exceeded or transport.abortConnection
        self.exceeded = False

    def attach(self) -> None:
        """Become the transport's producer (replacing any earlier one)."""
        if getattr(self._transport, "producer", None) is not None:
            self._transport.unregisterProducer()
        self._transport.registerProducer(self, True)

    def written(self, size: int) -> bool:
        """Account for ``size`` bytes; False once the connection is being dropped."""
        if self.exceeded:
            return False
        if self.congested:
            self.pending += size
            if self.pending > self.limit:
                self.exceeded = True
                self._on_exceeded()
                return False
        return True

    def pauseProducing(self) -> None:
        self.congested = True

    def resumeProducing(self) -> None:
        self.congested = False
        self.pending = 0

    def stopProducing(self) -> None:
        self.congested = False
