"""The ``history`` component: one record per print job, totals, ``server.history.*``.

A job opens on ``started`` and closes as ``completed``, ``error``,
``cancelled`` (also on ``standby``, and when another job starts),
``klippy_shutdown``, ``klippy_disconnect`` or ``server_exit``. A job still
``in_progress`` at start-up was cut off by a crash or power loss: it is
closed as ``interrupted``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList, gatherResults, succeed
from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.services.jobs.events import JOB_EVENT, JobEvent
from moontwist.services.jobs.gcode_files import GcodeFiles
from moontwist.services.jobs.history_fields import HistoryField, Tracker
from moontwist.services.jobs.history_records import HistoryRecords, add_to_totals, empty_totals, format_id, parse_id

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

NO_USER = "No User"
JOB_REQUESTED = "job_requested"
FINISHING_EVENTS = {JobEvent.COMPLETE: "completed", JobEvent.ERROR: "error",
                    JobEvent.CANCELLED: "cancelled", JobEvent.STANDBY: "cancelled"}


def final_stats(job: dict[str, Any], previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The stats a finished job keeps: the new ones, unless Klippy already reset them."""
    reset = (new.get("filename") != job["filename"]
             or new.get("total_duration", 0.0) < previous.get("total_duration", 0.0))
    return previous if reset else new


class HistoryService(Service):
    def __init__(self, ctx: "ServerContext", files: GcodeFiles, records: HistoryRecords) -> None:
        self.ctx = ctx
        self.files = files
        self.records = records
        self.current: dict[str, Any] | None = None
        self._requested_by: dict[str, str] = {}
        self.auxiliary_fields: list[HistoryField] = []
        self.auxiliary_totals: list[dict[str, Any]] = []
        self._paused = False

    @classmethod
    def create(cls, ctx: "ServerContext") -> "HistoryService":
        database = ctx.component("database")
        files = GcodeFiles(ctx.options.data_path / "gcodes", database.namespace("gcode_metadata"))
        return cls(ctx, files, HistoryRecords(database.namespace("history")))

    # Auxiliary fields (a sensor's history_field_* options).

    def tracker(self, strategy: str, exclude_paused: bool, initial: Any = None) -> Tracker:
        """A tracker that follows values while a job runs (not while paused, if asked)."""
        return Tracker(strategy, lambda: self.current is not None and not (exclude_paused and self._paused), initial)

    def register_auxiliary_field(self, field: HistoryField) -> None:
        if field.provider == "history":
            raise ApiError("Provider name 'history' is reserved")
        for known in self.auxiliary_fields:
            if (known.provider, known.name) == (field.provider, field.name):
                raise ApiError(f"Field {field.name} already registered by provider {field.provider}.")
        self.auxiliary_fields.append(field)

    def _auxiliary_data(self) -> list[dict[str, Any]]:
        return [field.as_dict() for field in self.auxiliary_fields]

    def _update_auxiliary_totals(self, reset: bool = False) -> None:
        last = self.auxiliary_totals
        self.auxiliary_totals = [field.totals(last, reset) for field in self.auxiliary_fields if field.has_totals()]

    def startService(self) -> "Deferred[Any]":
        super().startService()
        # Stored rows of fields still configured (as Moonraker, once every component registered its own).
        configured = {(field.provider, field.name) for field in self.auxiliary_fields if field.has_totals()}
        self.auxiliary_totals = [row for row in self.records.auxiliary_totals()
                                 if (row.get("provider"), row.get("field")) in configured]
        events = self.ctx.events
        events.on(JOB_EVENT, self._job_event)
        events.on(JOB_REQUESTED, self._job_requested)
        events.on("klippy_shutdown", self._klippy_shutdown)
        events.on("klippy_disconnected", self._klippy_disconnected)
        return self._close_interrupted()

    def stopService(self) -> "Deferred[Any]":
        """Close the open job as ``server_exit`` before the database closes."""
        super().stopService()
        events = self.ctx.events
        events.off(JOB_EVENT, self._job_event)
        events.off(JOB_REQUESTED, self._job_requested)
        events.off("klippy_shutdown", self._klippy_shutdown)
        events.off("klippy_disconnected", self._klippy_disconnected)
        return self._finish("server_exit", self._stats())

    def _close_interrupted(self) -> "Deferred[Any]":
        writes = []
        for job_id in self.records.job_ids():
            job = self.records.get(job_id)
            if job is not None and job.get("status") == "in_progress":
                log.warn("Job {job_id} ({file}) was left in progress: interrupted", job_id=job_id,
                         file=job.get("filename"))
                writes.append(self.records.save({**job, "status": "interrupted"}).addErrback(
                    lambda failure: log.warn("Could not close an interrupted job: {error}",
                                             error=failure.getErrorMessage())))
        return DeferredList(writes)

    # What happens to jobs.

    def _job_requested(self, filename: str, user: str | None) -> None:
        """Someone asked to print ``filename``: its job will carry their name."""
        if user:
            self._requested_by[filename] = user

    def _stats(self) -> dict[str, Any]:
        job_state = self.ctx.components.get("job_state")
        return dict(job_state.stats) if job_state is not None else {}

    def _job_event(self, event: JobEvent, previous: dict[str, Any], new: dict[str, Any]) -> None:
        self._paused = event is JobEvent.PAUSED
        if event is JobEvent.STARTED:
            if self.current is not None:
                self._finish("cancelled", previous)
            self._start(new)
        elif event in FINISHING_EVENTS and self.current is not None:
            self._finish(FINISHING_EVENTS[event], final_stats(self.current, previous, new))

    def _klippy_shutdown(self) -> None:
        self._finish("klippy_shutdown", self._stats())

    def _klippy_disconnected(self) -> None:
        self._finish("klippy_disconnect", self._stats())

    def _start(self, stats: dict[str, Any]) -> None:
        filename = str(stats.get("filename") or "")
        now = self.ctx.reactor.seconds()
        job = {
            "job_id": self.records.next_id(),
            "user": self._requested_by.pop(filename, NO_USER),
            "filename": filename,
            "status": "in_progress",
            "start_time": now,
            "end_time": None,
            "print_duration": float(stats.get("print_duration") or 0.0),
            "total_duration": float(stats.get("total_duration") or 0.0),
            "filament_used": float(stats.get("filament_used") or 0.0),
            "metadata": self.files.metadata(filename),
        }
        for field in self.auxiliary_fields:
            field.tracker.reset()
        job["auxiliary_data"] = self._auxiliary_data()
        self.current = job
        self._save(job, "added", [self.files.note_job(filename, now, job["job_id"])])

    def _finish(self, status: str, stats: dict[str, Any]) -> "Deferred[Any]":
        job, self.current = self.current, None
        if job is None:
            return succeed(None)
        if stats.get("filename") == job["filename"]:
            for field in ("print_duration", "total_duration", "filament_used"):
                job[field] = float(stats.get(field) or job[field])
        job["status"] = status
        job["end_time"] = self.ctx.reactor.seconds()
        # As Moonraker: the metadata again, for a file whose extraction ended after the start.
        job["metadata"] = self.files.metadata(job["filename"]) or job["metadata"]
        job["auxiliary_data"] = self._auxiliary_data()
        noted = self.files.note_job(job["filename"], job["start_time"], job["job_id"])
        totals = add_to_totals(self.records.totals(), job)
        self._update_auxiliary_totals()
        totals_saved = self.records.save_totals(totals, self.auxiliary_totals).addErrback(
            lambda failure: log.warn("Could not save job totals: {error}", error=failure.getErrorMessage()))
        return self._save(job, "finished", [noted, totals_saved])

    def _save(self, job: dict[str, Any], action: str, writes: "list[Deferred[Any]]") -> "Deferred[Any]":
        """Store the job, then announce it: a client reading on the notification sees the change."""
        shown = self._shown(job)
        saved = self.records.save(job).addErrback(
            lambda failure: log.warn("Could not save job {job_id}: {error}", job_id=job["job_id"],
                                     error=failure.getErrorMessage()))
        return gatherResults([saved, *writes]).addCallback(
            lambda _: self.ctx.notify("notify_history_changed", [{"action": action, "job": shown}]))

    def _shown(self, job: dict[str, Any]) -> dict[str, Any]:
        return {**job, "exists": self.files.unchanged(job["filename"], job.get("metadata") or {})}

    # API.

    @endpoint("server.history.list", "GET /server/history/list")
    def list_jobs(self, request: Request) -> dict[str, Any]:
        start = request.get_int("start", 0)
        limit = request.get_int("limit", 50)
        since = request.get_float("since", None)
        before = request.get_float("before", None)
        order = request.get_str("order", "desc")
        request.get_int("max", None)  # Mainsail sends it; Moonraker ignores it too.
        if order not in ("asc", "desc"):
            raise ApiError(f"Invalid `order` value: {order}")
        ids = self.records.job_ids()
        if order == "desc":
            ids.reverse()
        jobs = []
        skipped = 0
        for job_id in ids:
            if limit > 0 and len(jobs) >= limit:
                break
            job = self.records.get(job_id)
            if job is None or not _in_window(job, since, before):
                continue
            if skipped < start:
                skipped += 1
                continue
            jobs.append(self._shown(job))
        return {"count": len(jobs), "jobs": jobs}

    @endpoint("server.history.totals", "GET /server/history/totals")
    def totals(self, request: Request) -> dict[str, Any]:
        return {"job_totals": self.records.totals(), "auxiliary_totals": self.auxiliary_totals}

    @endpoint("server.history.reset_totals", "POST /server/history/reset_totals")
    async def reset_totals(self, request: Request) -> dict[str, Any]:
        if self.current is not None:
            raise ApiError("Cannot reset totals while a job is in progress")
        last = self.records.totals()
        last_auxiliary = self.auxiliary_totals
        self._update_auxiliary_totals(reset=True)
        await self.records.save_totals(empty_totals(), self.auxiliary_totals)
        return {"last_totals": last, "last_auxiliary_totals": last_auxiliary}

    @endpoint("server.history.get_job", "GET /server/history/job")
    def get_job(self, request: Request) -> dict[str, Any]:
        return {"job": self._shown(self._job_argument(request))}

    @endpoint("server.history.delete_job", "DELETE /server/history/job")
    async def delete_job(self, request: Request) -> dict[str, Any]:
        current = self.current["job_id"] if self.current is not None else None
        if request.get_bool("all", False):
            ids = [job_id for job_id in self.records.job_ids() if job_id != current]
        else:
            job = self._job_argument(request)
            if job["job_id"] == current:
                raise ApiError("Cannot delete the job in progress")
            ids = [job["job_id"]]
        deleted = await self.records.delete(ids)
        return {"deleted_jobs": [job_id for job_id in ids if job_id in deleted]}

    def _job_argument(self, request: Request) -> dict[str, Any]:
        uid = request.get_str("uid")
        number = parse_id(uid)
        job = self.records.get(format_id(number)) if number is not None else None
        if job is None:
            raise ApiError(f"Invalid job uid: {uid}", 404)
        return job


def _in_window(job: dict[str, Any], since: float | None, before: float | None) -> bool:
    """``since``: started after it; ``before``: ended before it."""
    if since is not None and not (job.get("start_time") or 0.0) > since:
        return False
    end = job.get("end_time")
    return before is None or (end is not None and end < before)
