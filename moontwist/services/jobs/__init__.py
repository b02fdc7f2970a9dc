"""Print jobs: events derived from ``print_stats``, their history, and the job queue."""

from moontwist.services.jobs.events import JobEvent
from moontwist.services.jobs.history import HistoryService
from moontwist.services.jobs.job_queue import JobQueueService
from moontwist.services.jobs.job_state import JobStateService

__all__ = ["HistoryService", "JobEvent", "JobQueueService", "JobStateService"]
