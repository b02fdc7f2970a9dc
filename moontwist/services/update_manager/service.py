"""The ``update_manager`` component: keeps configured applications current.

Start-up reads only local state (and finishes or undoes an update a crash
interrupted); the network is first used by a refresh: on request, or by the
hourly timer when ``enable_auto_refresh`` is set and an application's
``refresh_interval`` has passed inside ``refresh_window``. One operation at a
time: an update, refresh, recovery or rollback asked for while another runs is
refused (503), as is any change while a print is in progress.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from moontwist.errors import ApiError
from moontwist.services.update_manager.base import Store, Updater, UpdateError
from moontwist.services.update_manager.endpoints import UpdateEndpoints
from moontwist.services.update_manager.factory import configured_updaters, klipper_settings
from moontwist.services.update_manager.github import GitHub
from moontwist.services.update_manager.settings import ManagerSettings, manager_settings

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

NAMESPACE = "update_manager"
AUTO_REFRESH_PERIOD = 3600.0
STATUS_REFRESH_SPACING = 60.0
FULL_ORDER_LAST = ("klipper", "moonraker")


class Busy(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 503)


class UpdateManagerService(Service):
    def __init__(self, ctx: "ServerContext", now: Callable[[], float] = time.time,
                 local_hour: Callable[[], int] = lambda: time.localtime().tm_hour) -> None:
        self.ctx = ctx
        self.now = now
        self.local_hour = local_hour
        self.settings: ManagerSettings = manager_settings(ctx.config.section("update_manager"))
        self.github = GitHub(ctx.reactor, self.settings.github_api)
        self.updaters: dict[str, Updater] = {}
        self.makers, self.klipper_manager = configured_updaters(ctx.reactor, ctx.config, self.settings,
                                                                self.github)
        self.initialized = False
        self.current: str | None = None
        self.proc_id = 0
        self._ids = itertools.count(1)
        self._timer: LoopingCall | None = None
        self._running: Deferred[Any] | None = None
        ctx.registry.register(UpdateEndpoints(self))

    @property
    def database(self) -> Any:
        return self.ctx.component("database")

    def startService(self) -> "Deferred[None]":
        """Fires once every updater read its local state (the HTTP listener starts after)."""
        super().startService()
        self.database.register_protected(NAMESPACE)
        namespace = self.database.namespace(NAMESPACE)
        self.github.restore(namespace)
        if self.settings.system_updates:
            from moontwist.services.update_manager.system import SystemUpdater

            self.updaters["system"] = SystemUpdater(self.ctx.reactor, Store(namespace, "system"),
                                                    self.settings.refresh_interval)
        for name, make in self.makers.items():
            self.updaters[name] = make(Store(namespace, name))
        self.ctx.events.on("klippy_ready", self._klippy_ready)
        self._running = Deferred.fromCoroutine(self._initialize())
        return self._running

    def _klippy_ready(self) -> None:
        """Without a configured ``klipper`` entry, follow the repo Klippy runs from (as Moonraker)."""
        if "klipper" in self.updaters or "klipper" in self.makers or self.current is not None:
            return
        klippy = self.ctx.components.get("klippy")
        if klippy is not None:
            klippy.request("info").addCallback(self._klipper_found).addErrback(
                lambda failure: log.warn("update_manager: Klippy info failed: {error}",
                                         error=failure.getErrorMessage()))

    def _klipper_found(self, info: Any) -> "Deferred[None] | None":
        path = info.get("klipper_path") if isinstance(info, dict) else None
        if not path or not (Path(path) / ".git").exists() or "klipper" in self.updaters:
            return None
        from moontwist.services.update_manager.git_repo import GitRepoUpdater

        python = info.get("python_path")
        settings = klipper_settings(self.klipper_manager, Path(path), Path(python) if python else None)
        updater = GitRepoUpdater(self.ctx.reactor, settings, Store(self.database.namespace(NAMESPACE), "klipper"))
        self.updaters["klipper"] = updater

        async def initialize() -> None:
            await updater.initialize()
            self.notify_refreshed()

        return Deferred.fromCoroutine(initialize())

    async def _initialize(self) -> None:
        for name, updater in list(self.updaters.items()):
            try:
                await updater.initialize()
            except Exception as error:
                log.failure("update_manager: {name} failed to initialize", name=name)
                self.ctx.warnings.append(f"update_manager: {name} failed to initialize: {error}")
        self.initialized = True
        if self.settings.auto_refresh:
            self._timer = LoopingCall(self.auto_refresh)
            self._timer.clock = self.ctx.reactor
            self._timer.start(AUTO_REFRESH_PERIOD, now=False)

    def stopService(self) -> "Deferred[Any] | None":
        super().stopService()
        self.ctx.events.off("klippy_ready", self._klippy_ready)
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        running, self._running = self._running, None
        return running if running is not None and not running.called else None

    # -- state

    def is_printing(self) -> bool:
        job_state = self.ctx.components.get("job_state")
        return bool(job_state is not None and job_state.is_printing())

    def status(self) -> dict[str, Any]:
        version_info = {}
        for name, updater in self.updaters.items():
            try:
                version_info[name] = updater.status()
            except Exception:
                log.failure("update_manager: status of {name} failed", name=name)
        return {**self.github.stats(), "version_info": version_info, "busy": self.current is not None}

    def notify_refreshed(self) -> None:
        self.ctx.notify("notify_update_refreshed", [self.status()])

    def progress(self, message: str, complete: bool = False) -> None:
        if self.current is None:
            return
        log.info("update_manager: {message}", message=message)
        self.ctx.notify("notify_update_response", [{
            "message": message.strip(), "application": self.current, "proc_id": self.proc_id,
            "complete": complete}])

    def updater(self, name: str) -> Updater:
        updater = self.updaters.get(name)
        if updater is None:
            raise ApiError(f"Updater {name} not available", 404)
        return updater

    # -- one operation at a time

    def check_idle(self, action: str) -> None:
        if not self.initialized:
            raise Busy(f"{action} refused: the update manager is still initializing")
        if self.current == "refresh":
            raise Busy(f"{action} refused: a refresh is in progress")
        if self.current is not None:
            raise Busy(f"{action} refused: {self.current} is currently updating")

    async def exclusive(self, application: str, work: Callable[[], Awaitable[Any]], action: str,
                        failure_prefix: str) -> Any:
        """Run ``work`` as the one operation in progress, streaming its messages as ``application``."""
        if self.is_printing():
            raise Busy(f"{action} Refused: Klippy is printing")
        self.check_idle(action)
        self.current, self.proc_id = application, next(self._ids)
        try:
            result = await work()
        except Exception as error:
            message = error.message if isinstance(error, ApiError) else str(error)
            self.progress(f"{failure_prefix}: {message}", complete=True)
            if not isinstance(error, ApiError):
                raise UpdateError(message) from error
            raise
        finally:
            self.current = None
        return result

    # -- operations

    async def refresh(self, name: str | None, notify: bool = True) -> dict[str, Any]:
        """Refresh one updater or all; a failing one keeps its error in its status."""
        self.current = "refresh"
        try:
            for updater_name, updater in list(self.updaters.items()):
                if name is None or updater_name == name:
                    await self._refresh_one(updater_name, updater)
        finally:
            self.current = None
        if notify:
            self.notify_refreshed()
        return self.status()

    async def _refresh_one(self, name: str, updater: Updater) -> None:
        try:
            await updater.refresh(self.now())
        except Exception as error:
            log.warn("update_manager: refresh of {name} failed: {error}", name=name, error=error)

    def status_refresh_allowed(self) -> bool:
        if not self.initialized or self.current is not None or self.is_printing():
            return False
        last = max((updater.last_refresh_time for updater in self.updaters.values()), default=0.0)
        return self.now() >= last + STATUS_REFRESH_SPACING

    def in_refresh_window(self) -> bool:
        start, end = self.settings.refresh_window
        hour = self.local_hour()
        return start <= hour < end if start < end else (hour >= start or hour < end)

    def auto_refresh(self) -> "Deferred[None] | None":
        """The hourly check: refresh the applications whose interval has passed, inside the window."""
        if self.current is not None or self.is_printing() or not self.in_refresh_window():
            return None
        due = [name for name, updater in self.updaters.items() if updater.needs_refresh(self.now())]
        if not due:
            return None

        async def run() -> None:
            self.current = "refresh"
            try:
                for name in due:
                    await self._refresh_one(name, self.updaters[name])
            finally:
                self.current = None
                self._running = None
            self.notify_refreshed()

        self._running = Deferred.fromCoroutine(run())
        return self._running

    async def update(self, name: str) -> str:
        updater = self.updater(name)
        await self.exclusive(name, lambda: self._update_one(name, updater), "Update", f"Error updating {name}")
        return "ok"

    async def _update_one(self, name: str, updater: Updater, last: bool = True) -> None:
        changed = await updater.update(self.progress)
        if last:
            self.progress(f"Update of {name} complete" if changed else f"{name} is up to date", complete=True)
        self.notify_refreshed()

    async def full(self) -> str:
        ordered = [name for name in self.updaters if name == "system"]
        ordered += [name for name in self.updaters if name != "system" and name not in FULL_ORDER_LAST]
        ordered += [name for name in FULL_ORDER_LAST if name in self.updaters]

        async def run() -> None:
            self.progress("Preparing full software update...")
            for name in ordered:
                await self._update_one(name, self.updaters[name], last=False)
            self.progress("Full Update Complete", complete=True)

        await self.exclusive("full", run, "Update", "Error updating")
        return "ok"

    async def recover(self, name: str, hard: bool) -> str:
        updater = self.updater(name)
        recover = getattr(updater, "recover", None)
        if recover is None:
            raise ApiError(f"Updater {name} is not a Git Repo Type")

        async def run() -> None:
            await recover(hard, self.progress)
            self.progress(f"Recovery of {name} complete", complete=True)
            self.notify_refreshed()

        await self.exclusive(f"recover_{name}", run, "Recovery Attempt", f"Error Recovering {name}")
        return "ok"

    async def rollback(self, name: str) -> str:
        updater = self.updater(name)

        async def run() -> None:
            await updater.rollback(self.progress)
            self.progress(f"Rollback of {name} complete", complete=True)
            self.notify_refreshed()

        await self.exclusive(f"rollback_{name}", run, "Rollback Attempt", f"Error Rolling Back {name}")
        return "ok"
