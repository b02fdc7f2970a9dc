"""Every ``[notifier NAME]``: job events and Klippy's ``notify`` remote method send messages.

As in Moonraker, a section that fails to load costs only that notifier and
leaves a warning. Apprise loads on a worker thread after start-up, so a slow
import never delays the first answer; an event meanwhile waits for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred, gatherResults
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.services.jobs.events import JOB_EVENT, JobEvent
from moontwist.services.notifier.endpoints import NotifierDebugEndpoints, NotifierEndpoints
from moontwist.services.notifier.notifier import Notifier, SendError
from moontwist.services.notifier.options import SECTION_PREFIX, read_options
from moontwist.services.notifier.sender import AppriseSender

log = Logger()
REMOTE_METHOD = "notify"


class NotifierService(Service):
    name = "notifier"

    def __init__(self, ctx: ServerContext, sender: Callable[[Any, str], AppriseSender] = AppriseSender) -> None:
        self.ctx = ctx
        self.notifiers: dict[str, Notifier] = {}
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            try:
                options = read_options(ctx.config.section(section_name))
            except ConfigError as error:
                ctx.warnings.append(f"Failed to load notifier[{section_name}]\n{error}")
                continue
            self.notifiers[options.name] = Notifier(
                options, sender(ctx.reactor, options.url), ctx.warnings.append, self._can_access)
        ctx.events.on(JOB_EVENT, self._job_event)
        ctx.registry.register(NotifierEndpoints(self))
        if ctx.options.debug:
            ctx.registry.register(NotifierDebugEndpoints(self))
        klippy = ctx.components.get("klippy")
        if klippy is not None:
            klippy.register_remote_method(REMOTE_METHOD, self.remote_notify)
        self.loaded: Deferred[Any] | None = None

    def _can_access(self, path: Path) -> bool:
        """Attachments must be readable files inside a registered root, as in Moonraker."""
        files = self.ctx.components.get("file_manager")
        if files is None:
            return False
        location = files.table.owner_of(str(path))
        if location is None:
            return False
        try:
            files.table.check(location)
        except ApiError:
            return False
        return True

    def startService(self) -> None:
        super().startService()
        self.loaded = gatherResults([notifier.load() for notifier in self.notifiers.values()])

    def get(self, name: str) -> Notifier:
        notifier = self.notifiers.get(name)
        if notifier is None:
            raise ApiError(f"Notifier '{name}' not found", 404)
        return notifier

    def remote_notify(self, name: str, message: str = "") -> "Deferred[Any]":
        """Klippy's ``action_call_remote_method("notify", name=..., message=...)``."""
        return self.send(self.get(name), "remote_action", [], message)

    def _job_event(self, event: JobEvent, previous: dict[str, Any], new: dict[str, Any]) -> None:
        if event is JobEvent.STANDBY:
            return
        for notifier in self.notifiers.values():
            if not notifier.wants(event.label):
                continue
            # Failures are logged by send; nobody waits on a job event's message.
            try:
                self.send(notifier, event.label, [previous, new]).addErrback(lambda _: None)
            except ApiError:
                continue

    def send(self, notifier: Notifier, event: str, args: list[Any], message: str = "") -> "Deferred[Any]":
        try:
            sending = notifier.notify(event, args, message)
        except Exception as error:
            log.warn("Notifier {name}: {event} not sent: {error}", name=notifier.name, event=event, error=error)
            raise ApiError(f"Notifier '{notifier.name}': {error}", 500) from error

        def failed(failure: Any) -> Any:
            message = failure.getErrorMessage()
            log.warn("Notifier {name}: {event} not sent: {error}", name=notifier.name, event=event, error=message)
            raise ApiError(message if failure.check(SendError) else f"Notifier '{notifier.name}': {message}", 500)

        return sending.addErrback(failed)
