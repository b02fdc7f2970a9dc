"""The ``job_state`` component: follows ``print_stats`` and announces job events.

Listeners of ``job_state_changed`` get ``(JobEvent, previous_stats, new_stats)``
(full ``print_stats`` dicts); ``job_layer_changed`` gets ``(current, total)``.
Until Klippy is ready nothing is derived: the stats Klippy reports when it
becomes ready are the starting point, not a change. When Klippy goes away
mid-print the stored state becomes ``error`` without an event (history
records the disconnect itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.logger import Logger

from moontwist.services.jobs.events import JOB_EVENT, LAYER_EVENT, derive_events

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

SUBSCRIPTION = {"print_stats": None}


class JobStateService(Service):
    """Print job events derived from Klippy's ``print_stats``."""

    def __init__(self, ctx: "ServerContext") -> None:
        self.ctx = ctx
        self.stats: dict[str, Any] = {}
        self.tracking = False

    @property
    def klippy(self) -> Any:
        return self.ctx.component("klippy")

    @property
    def state(self) -> str:
        """``print_stats.state`` as last seen (``standby`` when unknown)."""
        return str(self.stats.get("state") or "standby")

    def is_printing(self) -> bool:
        return self.tracking and self.state in ("printing", "paused")

    def startService(self) -> None:
        super().startService()
        events = self.ctx.events
        events.on("klippy_ready", self._klippy_ready)
        events.on("klippy_disconnected", self._klippy_disconnected)
        events.on("status_update", self._status_update)
        self.klippy.subscribe(self, SUBSCRIPTION).addCallbacks(self._subscribed, lambda failure: None)

    def stopService(self) -> None:
        super().stopService()
        events = self.ctx.events
        events.off("klippy_ready", self._klippy_ready)
        events.off("klippy_disconnected", self._klippy_disconnected)
        events.off("status_update", self._status_update)

    def _subscribed(self, answer: dict[str, Any]) -> None:
        """Klippy was already ready when we subscribed: start from its answer."""
        if not self.tracking and self.klippy.state == "ready":
            self._start_tracking(answer["status"].get("print_stats", {}))

    def _klippy_ready(self) -> None:
        self._start_tracking(self.klippy.status.get("print_stats", {}))

    def _start_tracking(self, stats: dict[str, Any]) -> None:
        self.stats = dict(stats)
        self.tracking = True
        log.info("Job state initialised: {state}", state=self.state)

    def _klippy_disconnected(self) -> None:
        if self.state in ("printing", "paused"):
            self.stats["state"] = "error"
        self.tracking = False

    def _status_update(self, changes: dict[str, Any], eventtime: float) -> None:
        update = changes.get("print_stats")
        if not self.tracking or not update:
            return
        previous = self.stats
        self.stats = {**previous, **update}
        for event in derive_events(previous, update):
            log.debug("Job event {event}", event=event.label)
            self.ctx.events.emit(JOB_EVENT, event, previous, self.stats)
        info = update.get("info")
        if isinstance(info, dict) and info.get("current_layer") is not None:
            merged_info = self.stats.get("info") or {}
            self.ctx.events.emit(LAYER_EVENT, info["current_layer"], merged_info.get("total_layer"))
