"""Telling systemd how we are: ready once every listener is up, Klippy's state, watchdog pings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.application.service import Service
from twisted.internet.task import LoopingCall

from moontwist.systemd import Notifier

if TYPE_CHECKING:
    from moontwist.context import ServerContext

KLIPPY_STATES = {
    "disconnected": "waiting for Klippy",
    "startup": "Klippy starting",
    "ready": "Klippy ready",
    "error": "Klippy error",
    "shutdown": "Klippy shut down",
}


class SystemdNotifyService(Service):
    """Sends READY=1 when ``ready()`` is called, STATUS= on each Klippy state, WATCHDOG=1 while running."""

    name = "systemd"

    def __init__(self, ctx: "ServerContext", notifier: Notifier, watchdog_seconds: float | None) -> None:
        self.ctx = ctx
        self.notifier = notifier
        self.watchdog_seconds = watchdog_seconds
        self._watchdog: LoopingCall | None = None
        self._status = KLIPPY_STATES["disconnected"]

    def startService(self) -> None:
        super().startService()
        self.ctx.events.on("klippy_state_changed", self._klippy_state)
        if self.watchdog_seconds:
            self._watchdog = LoopingCall(self.notifier.send, WATCHDOG="1")
            self._watchdog.clock = self.ctx.reactor
            self._watchdog.start(self.watchdog_seconds / 2, now=True)

    def ready(self) -> None:
        """Every service has started and every listener listens."""
        self.notifier.send(READY="1", STATUS=self._status)

    def stopService(self) -> None:
        super().stopService()
        self.ctx.events.off("klippy_state_changed", self._klippy_state)
        if self._watchdog is not None and self._watchdog.running:
            self._watchdog.stop()
        self.notifier.send(STOPPING="1")

    def _klippy_state(self, state: str) -> None:
        self._status = KLIPPY_STATES.get(state, f"Klippy {state}")
        if self.running:
            self.notifier.send(STATUS=self._status)
