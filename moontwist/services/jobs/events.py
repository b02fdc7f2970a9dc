"""Job events and how they follow from ``print_stats.state`` changes, as Moonraker derives them."""

from __future__ import annotations

import enum
from typing import Any

IDLE_STATES = frozenset({"standby", "complete", "cancelled", "error"})
JOB_EVENT = "job_state_changed"
LAYER_EVENT = "job_layer_changed"


class JobEvent(enum.IntEnum):
    STANDBY = 1
    STARTED = 2
    PAUSED = 3
    RESUMED = 4
    COMPLETE = 5
    ERROR = 6
    CANCELLED = 7

    @property
    def finished(self) -> bool:
        return self >= JobEvent.COMPLETE

    @property
    def aborted(self) -> bool:
        return self >= JobEvent.ERROR

    @property
    def printing(self) -> bool:
        return self in (JobEvent.STARTED, JobEvent.RESUMED)

    @property
    def label(self) -> str:
        return self.name.lower()


def derive_events(previous: dict[str, Any], update: dict[str, Any]) -> list[JobEvent]:
    """The events a ``print_stats`` update causes, given the stats before it.

    From an idle state, ``printing`` is a start; any other non-idle state
    implies a start that was missed, so ``started`` comes first. From
    ``paused``, ``printing`` is a resume only for the same file with time
    moving on; otherwise it is a new job.
    """
    old, new = previous.get("state"), update.get("state")
    if new is None or new == old:
        return []
    if old in IDLE_STATES or old is None:
        if new == "printing":
            return [JobEvent.STARTED]
        if new == "standby":
            return [JobEvent.STANDBY]
        return [JobEvent.STARTED, _event(new)] if _event(new) else []
    if new == "printing":
        merged = {**previous, **update}
        resumed = (old == "paused" and merged.get("filename") == previous.get("filename")
                   and previous.get("total_duration", 0.0) < merged.get("total_duration", 0.0))
        return [JobEvent.RESUMED if resumed else JobEvent.STARTED]
    event = _event(new)
    return [event] if event else []


def _event(state: str) -> JobEvent | None:
    try:
        return JobEvent[state.upper()]
    except KeyError:
        return None
