"""The ``notifier`` component: ``[notifier NAME]`` sections sending job events through Apprise.

Apprise (what Moonraker uses; the optional extra ``notifier``) is imported only
when such a section exists, and its blocking ``notify`` runs on a worker
thread. Klipper macros notify with the ``notify`` remote method;
``debug.notifiers.test`` (served only with ``--debug``) sends a test.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.services.jobs.events import JOB_EVENT, JobEvent
from moontwist.services.notifier.instance import NotifierInstance

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

SECTION_PREFIX = "notifier "


def _apprise() -> Any:
    try:
        import apprise
    except ImportError:
        raise ConfigError("[notifier] sections need the apprise package (pip install 'moontwist[notifier]')") from None
    return apprise


class NotifierService(Service):
    def __init__(self, ctx: "ServerContext") -> None:
        self.ctx = ctx
        apprise = _apprise()
        self.notifiers: dict[str, NotifierInstance] = {}
        self.by_event: dict[str, list[NotifierInstance]] = {}
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            name = section_name[len(SECTION_PREFIX):].strip()
            try:
                notifier = NotifierInstance(name, ctx.config.section(section_name), self, apprise)
            except ConfigError as error:
                ctx.warnings.append(f"Failed to load notifier[{section_name}]\n{error}")
                continue
            for event in JobEvent:
                if event is not JobEvent.STANDBY and ("*" in notifier.events or event.label in notifier.events):
                    self.by_event.setdefault(event.label, []).append(notifier)
            self.notifiers[name] = notifier
        ctx.registry.register(NotifierEndpoints(self))
        if ctx.options.debug:
            ctx.registry.register(NotifierDebugEndpoints(self))
        ctx.component("klippy").register_remote_method("notify", self.notify_action)

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "NotifierService":
        return cls(ctx)

    def startService(self) -> None:
        super().startService()
        self.ctx.events.on(JOB_EVENT, self._job_event)

    def stopService(self) -> None:
        super().stopService()
        self.ctx.events.off(JOB_EVENT, self._job_event)

    def _job_event(self, event: JobEvent, previous: dict[str, Any], new: dict[str, Any]) -> None:
        for notifier in self.by_event.get(event.label, []):
            self._send(notifier, event.label, [previous, new])

    def notify_action(self, name: str, message: str = "") -> None:
        """Klippy's ``notify`` remote method: ``{action_call_remote_method("notify", name=..., message=...)}``."""
        notifier = self.notifiers.get(name)
        if notifier is None:
            log.warn("Klippy asked for notifier '{name}', which is not configured", name=name)
            return
        self._send(notifier, "remote_action", [], message)

    def _send(self, notifier: NotifierInstance, event: str, args: list[Any], message: str = "") -> None:
        Deferred.fromCoroutine(notifier.notify(event, args, message)).addErrback(
            lambda failure: log.warn("Notifier {name}: {error}", name=notifier.name, error=failure.getErrorMessage()))

    # What notifiers ask.

    def warn(self, message: str) -> None:
        log.warn("{message}", message=message)
        if message not in self.ctx.warnings:
            self.ctx.warnings.append(message)

    def can_access(self, path: Path) -> bool:
        """As Moonraker: a readable file inside a registered root, not reserved."""
        files = self.ctx.components.get("file_manager")
        if files is None:
            return False
        location = files.table.owner_of(os.path.realpath(path))
        if location is None:
            return False
        try:
            files.table.check(location)
        except ApiError:
            return False
        return True


class NotifierEndpoints:
    def __init__(self, service: NotifierService) -> None:
        self.service = service

    @endpoint("server.notifiers.list", "GET /server/notifiers/list")
    def list_notifiers(self, request: Request) -> dict[str, Any]:
        return {"notifiers": [notifier.as_dict() for notifier in self.service.notifiers.values()]}


class NotifierDebugEndpoints:
    def __init__(self, service: NotifierService) -> None:
        self.service = service

    @endpoint("debug.notifiers.test", "POST /debug/notifiers/test")
    async def test(self, request: Request) -> dict[str, Any]:
        name = request.get_str("name")
        notifier = self.service.notifiers.get(name)
        if notifier is None:
            raise ApiError(f"Notifier '{name}' not found", 404)
        try:
            answer = await self.service.ctx.component("klippy").query({"print_stats": None})
            stats = dict(answer["status"].get("print_stats", {}))
        except ApiError:
            stats = {}
        stats["filename"] = "notifier_test.gcode"
        event = notifier.events[0] if notifier.events else "started"
        await notifier.notify(event, [stats, stats])
        return {"status": "success", "stats": stats}
