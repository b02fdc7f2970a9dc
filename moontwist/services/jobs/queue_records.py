"""The job queue's contents and state, as kept in the ``job_queue`` namespace.

One record, ``queue``: ``{"state": ..., "jobs": [{filename, job_id,
time_added, user}, ...]}``, rewritten on every change so the queue survives
a restart or a power cut (Moonraker keeps it in memory only).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from twisted.internet.defer import Deferred

from moontwist.database import Namespace

RECORD = "queue"


class QueueState(str, enum.Enum):
    READY = "ready"
    LOADING = "loading"
    STARTING = "starting"
    PAUSED = "paused"


@dataclass(frozen=True)
class QueuedJob:
    filename: str
    job_id: str
    time_added: float
    user: str | None = None

    def shown(self, now: float) -> dict[str, Any]:
        return {"filename": self.filename, "job_id": self.job_id, "time_added": self.time_added,
                "time_in_queue": now - self.time_added}


def new_job_id(taken: Iterable[str]) -> str:
    """16 uppercase hex digits, as Moonraker's ids look; unique in the queue."""
    used = set(taken)
    while True:
        job_id = f"{secrets.randbits(64):016X}"
        if job_id not in used:
            return job_id


class QueueRecords:
    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace

    def load(self) -> tuple[list[QueuedJob], QueueState]:
        """The stored queue; a load cut short by a restart comes back paused."""
        stored = self.namespace.get(RECORD, {})
        if not isinstance(stored, dict):
            return [], QueueState.PAUSED
        jobs = []
        for entry in stored.get("jobs") or ():
            try:
                jobs.append(QueuedJob(str(entry["filename"]), str(entry["job_id"]), float(entry["time_added"]),
                                      entry.get("user")))
            except (KeyError, TypeError, ValueError):
                continue
        try:
            state = QueueState(stored.get("state"))
        except ValueError:
            state = QueueState.PAUSED
        if state in (QueueState.LOADING, QueueState.STARTING):
            state = QueueState.PAUSED
        return jobs, state

    def save(self, jobs: list[QueuedJob], state: QueueState) -> "Deferred[None]":
        return self.namespace.insert(RECORD, {"state": state.value, "jobs": [asdict(job) for job in jobs]})
