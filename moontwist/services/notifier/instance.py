"""One ``[notifier NAME]``: an Apprise URL, the job events it wants, and its templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.config.template import Template, TemplateError
from moontwist.services.notifier.options import NOTIFIER

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.notifier.service import NotifierService

log = Logger()

_URL = re.compile(r"\w+?://")
_WEB_ATTACHMENT = re.compile(r"https?://")


class NotifierInstance:
    def __init__(self, name: str, section: "Section", service: "NotifierService", apprise: Any) -> None:
        self.name = name
        self.service = service
        options = NOTIFIER.read(section)
        url_template: Template = options["url"]
        try:
            self.url = url_template.render()
        except TemplateError as error:
            raise ConfigError(f"Section [{section.name}], Option url: {error}") from None
        if _URL.match(self.url) is None:
            raise ConfigError(f"Invalid url for: {section.name}")
        self.attach: Template | None = options["attach"]
        self.title: Template | None = options["title"]
        self.body: Template | None = options["body"]
        body_format = options["body_format"].upper()
        if not hasattr(apprise.NotifyFormat, body_format):
            raise ConfigError(f"Invalid body_format for {section.name}")
        self.body_format = getattr(apprise.NotifyFormat, body_format)
        self.events: list[str] = list(options["events"])
        self.apprise = apprise.Apprise()
        if not self.apprise.add(self.url):
            raise ConfigError(f"Invalid url for: {section.name}")
        # body_format as written: none when absent, as Moonraker lists it.
        self._sources = {option: str(options[option]) if section.has_option(option) else None
                         for option in ("url", "title", "body", "body_format")}
        self._lock = DeferredLock()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self._sources["url"],
            "title": self._sources["title"],
            "body": self._sources["body"],
            "body_format": self._sources["body_format"],
            "events": self.events,
            "attach": self.attach.source if self.attach is not None else None,
        }

    async def notify(self, event_name: str, event_args: list[Any], message: str = "") -> bool:
        """Render and send; True when Apprise delivered it. One at a time per notifier."""
        context = {"event_name": event_name, "event_args": event_args, "event_message": message}
        try:
            title = "" if self.title is None else self.title.render(context)
            body = event_name if self.body is None else self.body.render(context)
        except TemplateError as error:
            raise ApiError(str(error), 500) from None
        attachments = self._attachments(context)
        async with self._lock:
            delivered: bool = await deferToThreadPool(
                self.service.ctx.reactor, self.service.ctx.reactor.getThreadPool(), self.apprise.notify,
                body.strip(), title.strip(), body_format=self.body_format, attach=attachments or None)
        if not delivered:
            log.warn("Notifier {name}: Apprise could not deliver '{event}'", name=self.name, event=event_name)
        return delivered

    def _attachments(self, context: dict[str, Any]) -> list[str]:
        if self.attach is None:
            return []
        try:
            rendered = self.attach.render(context)
        except TemplateError:
            self.service.warn(f"[notifier {self.name}]: The attachment is not valid. The template failed to render.")
            self.attach = None
            return []
        found: list[str] = []
        for item in filter(None, (line.strip() for line in rendered.splitlines())):
            if _WEB_ATTACHMENT.match(item):
                found.append(item)
                continue
            path = Path(item).expanduser().resolve()
            if not path.is_file():
                self.service.warn(f"[notifier {self.name}]: Invalid attachment detected, file does not exist: "
                                  f"{path}.")
            elif not self.service.can_access(path):
                self.service.warn(f"[notifier {self.name}]: Invalid attachment detected, no read permission for "
                                  f"the file {path}.")
            else:
                found.append(str(path))
        return found
