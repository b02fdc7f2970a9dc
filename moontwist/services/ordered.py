"""A MultiService that starts its children one after another.

Twisted's MultiService ignores the Deferred a child's ``startService`` returns;
here each child starts only when the one before it is ready (the database
before the services that read it), and they stop in reverse order.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import Logger

log = Logger()


class OrderedMultiService(MultiService):
    """Starts children in order, waiting for each; ``ready`` fires when all are up."""

    def __init__(self) -> None:
        super().__init__()
        self.ready: Deferred[None] = Deferred()

    def startService(self) -> None:
        self.running = 1
        Deferred.fromCoroutine(self._start_in_order()).chainDeferred(self.ready)

    async def _start_in_order(self) -> None:
        for child in list(self):
            await maybeDeferred(child.startService)

    def stopService(self) -> "Deferred[Any]":
        self.running = 0
        return Deferred.fromCoroutine(self._stop_in_reverse())

    async def _stop_in_reverse(self) -> None:
        for child in reversed(list(self)):
            if child.running:
                try:
                    await maybeDeferred(child.stopService)
                except Exception:
                    log.failure("Error stopping {name}", name=child.name)
