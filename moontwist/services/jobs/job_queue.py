"""The ``job_queue`` component: files waiting to print, loaded one after another.

States: ``paused`` (nothing loads), ``ready`` (the next job loads when the
current one completes, with ``automatic_transition``), ``loading`` (waiting
out ``job_transition_delay`` and running ``job_transition_gcode``),
``starting`` (``SDCARD_PRINT_FILE`` sent). Every change is written to the
database at once and announced with ``notify_job_queue_changed`` once stored;
a jump as action ``job_jumped`` (Moonraker announces none; Mainsail and Fluidd
read only ``updated_queue`` and ``queue_state``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.services.jobs.events import JOB_EVENT, JobEvent
from moontwist.services.jobs.gcode_files import METADATA_NAMESPACE, GcodeFiles
from moontwist.services.jobs.options import JOB_QUEUE
from moontwist.services.jobs.queue_records import QueuedJob, QueueRecords, QueueState, new_job_id

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

START_DELAY = 0.01
STARTUP_LOAD_DELAY = 1.0


class JobQueueService(Service):
    def __init__(self, ctx: "ServerContext", files: GcodeFiles, records: QueueRecords, *,
                 load_on_startup: bool = False, automatic_transition: bool = False,
                 transition_delay: float = 0.01, transition_gcode: str = "") -> None:
        self.ctx = ctx
        self.files = files
        self.records = records
        self.load_on_startup = load_on_startup
        self.automatic_transition = automatic_transition
        self.transition_delay = transition_delay
        self.transition_gcode = transition_gcode.strip()
        self.jobs: list[QueuedJob] = []
        self.state = QueueState.PAUSED
        self.pause_requested = False
        self._pending_load: Any = None

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "JobQueueService":
        options = JOB_QUEUE.read(ctx.config.section("job_queue"))
        database = ctx.component("database")
        files = GcodeFiles(ctx.options.data_path / "gcodes", database.namespace(METADATA_NAMESPACE))
        return cls(
            ctx, files, QueueRecords(database.namespace("job_queue")),
            load_on_startup=options["load_on_startup"],
            automatic_transition=options["automatic_transition"],
            transition_delay=options["job_transition_delay"],
            transition_gcode=options["job_transition_gcode"],
        )

    @property
    def klippy(self) -> Any:
        return self.ctx.component("klippy")

    def startService(self) -> None:
        super().startService()
        self.jobs, self.state = self.records.load()
        events = self.ctx.events
        events.on(JOB_EVENT, self._job_event)
        events.on("klippy_ready", self._klippy_ready)
        events.on("klippy_shutdown", self.pause)
        for name, callback in (("pause_job_queue", self.pause), ("start_job_queue", self.start)):
            try:
                self.klippy.register_remote_method(name, lambda callback=callback, **_: callback())
            except ValueError:
                pass

    def stopService(self) -> None:
        super().stopService()
        self._cancel_pending_load()
        events = self.ctx.events
        events.off(JOB_EVENT, self._job_event)
        events.off("klippy_ready", self._klippy_ready)
        events.off("klippy_shutdown", self.pause)

    # The queue's operations (API, remote methods, other services).

    def queue_jobs(self, filenames: list[str], reset: bool = False, user: str | None = None,
                   check_exists: bool = True) -> "Deferred[bool]":
        """Append ``filenames``; if any of them does not exist, nothing changes.

        This and the other operations fire once the queue is stored (False if that failed).
        """
        if check_exists:
            for filename in filenames:
                if not self.files.exists(filename):
                    raise ApiError(f"G-Code File {filename} does not exist")
        if reset:
            self.jobs = []
        now = self.ctx.reactor.seconds()
        for filename in filenames:
            job_id = new_job_id(job.job_id for job in self.jobs)
            self.jobs.append(QueuedJob(filename.lstrip("/"), job_id, now, user))
        if self.automatic_transition and not self.pause_requested and self._printer_busy():
            self.state = QueueState.READY
        return self._changed("jobs_added")

    def delete_jobs(self, job_ids: list[str] | None) -> "Deferred[bool]":
        """Remove the jobs named (unknown ids are ignored), or all with None."""
        before = len(self.jobs)
        self.jobs = [] if job_ids is None else [job for job in self.jobs if job.job_id not in job_ids]
        if len(self.jobs) == before:
            return succeed(True)
        return self._changed("jobs_removed")

    def pause(self) -> "Deferred[bool]":
        self._cancel_pending_load()
        self.pause_requested = True
        return self._set_state(QueueState.PAUSED)

    def start(self) -> "Deferred[bool]":
        if self.state in (QueueState.LOADING, QueueState.STARTING):
            return succeed(True)
        self.pause_requested = False
        if not self.jobs:
            return self._set_state(QueueState.PAUSED)
        if self._can_print():
            self._schedule_load(START_DELAY, with_transition=False)
            return self._set_state(QueueState.LOADING)
        return self._set_state(QueueState.READY if self.automatic_transition else QueueState.PAUSED)

    def jump(self, job_id: str) -> "Deferred[bool]":
        for index, job in enumerate(self.jobs):
            if job.job_id == job_id:
                self.jobs.insert(0, self.jobs.pop(index))
                return self._changed("job_jumped")
        raise ApiError(f"Invalid job id: {job_id}")

    def status(self) -> dict[str, Any]:
        now = self.ctx.reactor.seconds()
        return {"queued_jobs": [job.shown(now) for job in self.jobs], "queue_state": self.state.value}

    # Reacting to the printer.

    def _printer_busy(self) -> bool:
        job_state = self.ctx.components.get("job_state")
        return job_state is not None and job_state.is_printing()

    def _can_print(self) -> bool:
        return self.klippy.state == "ready" and not self._printer_busy()

    def _job_event(self, event: JobEvent, previous: dict[str, Any], new: dict[str, Any]) -> None:
        if event is JobEvent.COMPLETE:
            if self.automatic_transition and self.state is QueueState.READY and self.jobs:
                self._set_state(QueueState.LOADING)
                self._schedule_load(self.transition_delay, with_transition=True)
        elif event.aborted and self.jobs:
            self._set_state(QueueState.PAUSED)

    def _klippy_ready(self) -> None:
        if self.load_on_startup and self.jobs and self.state in (QueueState.READY, QueueState.PAUSED):
            self._set_state(QueueState.LOADING)
            self._schedule_load(STARTUP_LOAD_DELAY, with_transition=False)

    # Loading.

    def _schedule_load(self, delay: float, with_transition: bool) -> None:
        self._cancel_pending_load()
        self._pending_load = self.ctx.reactor.callLater(delay, self._start_load, with_transition)

    def _cancel_pending_load(self) -> None:
        if self._pending_load is not None and self._pending_load.active():
            self._pending_load.cancel()
        self._pending_load = None

    def _start_load(self, with_transition: bool) -> None:
        self._pending_load = None
        Deferred.fromCoroutine(self._load(with_transition)).addErrback(self._load_failed)

    async def _load(self, with_transition: bool) -> None:
        if with_transition and self.transition_gcode:
            await self.klippy.run_gcode(self.transition_gcode)
            if self.state is not QueueState.LOADING:
                self._set_state(QueueState.PAUSED)
                return
        if self.state is not QueueState.LOADING or not self.jobs:
            return
        self._set_state(QueueState.STARTING)
        job = self.jobs[0]
        if not self.files.exists(job.filename):
            raise ApiError(f"Queued file {job.filename} does not exist")
        await self.klippy.start_print(job.filename, job.user)
        self.jobs = [queued for queued in self.jobs if queued is not job]
        if self.state is QueueState.STARTING:
            self.state = QueueState.READY if self.jobs and self.automatic_transition else QueueState.PAUSED
        self._changed("job_loaded")

    def _load_failed(self, failure: Any) -> None:
        log.warn("Job queue could not load the next job: {error}", error=failure.getErrorMessage())
        self._set_state(QueueState.PAUSED)

    # Keeping and telling.

    def _set_state(self, state: QueueState) -> "Deferred[bool]":
        if state is self.state:
            return succeed(True)
        self.state = state
        return self._changed("state_changed")

    def _changed(self, action: str) -> "Deferred[bool]":
        """Store the queue, then announce it (as it is then): a client reading on the
        notification sees the change."""

        def announce(saved: bool) -> bool:
            self._notify(action)
            return saved

        return self._save().addCallback(announce)

    def _save(self) -> "Deferred[bool]":
        def failed(failure: Any) -> bool:
            log.warn("Could not save the job queue: {error}", error=failure.getErrorMessage())
            return False

        return self.records.save(self.jobs, self.state).addCallbacks(lambda _: True, failed)

    def _notify(self, action: str) -> None:
        status = self.status()
        queue = None if action == "state_changed" else status["queued_jobs"]
        self.ctx.events.emit("job_queue_changed", action, queue)
        self.ctx.notify("notify_job_queue_changed",
                        [{"action": action, "updated_queue": queue, "queue_state": status["queue_state"]}])

    # API.

    async def _stored_status(self, saved: "Deferred[bool]") -> dict[str, Any]:
        """The queue's status as the change left it, answered once it is on disk: a client
        never sees an unsaved queue, nor a later state (a load may start during the save;
        Moonraker answers ``start`` with "loading")."""
        status = self.status()
        if not await saved:
            raise ApiError("Could not save the job queue", 500)
        return status

    @endpoint("server.job_queue.status", "GET /server/job_queue/status")
    def api_status(self, request: Request) -> dict[str, Any]:
        return self.status()

    @endpoint("server.job_queue.post_job", "POST /server/job_queue/job")
    async def api_post_job(self, request: Request) -> dict[str, Any]:
        filenames = request.get_list("filenames")
        if not all(isinstance(name, str) and name for name in filenames):
            raise ApiError("Invalid argument [filenames]: a list of file names")
        user = request.user.get("username") if request.user else None
        return await self._stored_status(self.queue_jobs(filenames, request.get_bool("reset", False), user))

    @endpoint("server.job_queue.delete_job", "DELETE /server/job_queue/job")
    async def api_delete_job(self, request: Request) -> dict[str, Any]:
        job_ids = None if request.get_bool("all", False) else request.get_list("job_ids")
        return await self._stored_status(self.delete_jobs(job_ids))

    @endpoint("server.job_queue.pause", "POST /server/job_queue/pause")
    async def api_pause(self, request: Request) -> dict[str, Any]:
        return await self._stored_status(self.pause())

    @endpoint("server.job_queue.start", "POST /server/job_queue/start")
    async def api_start(self, request: Request) -> dict[str, Any]:
        return await self._stored_status(self.start())

    @endpoint("server.job_queue.jump", "POST /server/job_queue/jump")
    async def api_jump(self, request: Request) -> dict[str, Any]:
        return await self._stored_status(self.jump(request.get_str("job_id")))
