"""One configured notifier: renders its templates for an event and sends through Apprise."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable

from twisted.internet.defer import Deferred, fail, succeed

from moontwist.config.template import TemplateError
from moontwist.services.notifier.options import NotifierOptions
from moontwist.services.notifier.sender import AppriseSender

_HTTP_URL = re.compile(r"https?://")


class SendError(Exception):
    """The notifier cannot send (Apprise missing, url refused)."""


class Notifier:
    def __init__(self, options: NotifierOptions, sender: AppriseSender, warn: Callable[[str], None],
                 can_access: Callable[[Path], bool]) -> None:
        self.options = options
        self._can_access = can_access
        self.name = options.name
        self._sender = sender
        self._warn = warn
        self._attach = options.attach
        self._loaded = False
        self.load_error: str | None = None
        self._waiting: list[Deferred[None]] = []

    def load(self) -> "Deferred[None]":
        """Import Apprise and parse the url on a thread; a failure is kept as ``load_error``."""
        return self._sender.load().addCallbacks(self._load_done, self._load_failed)

    def _load_done(self, _: Any) -> None:
        self._loaded = True
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            waiter.callback(None)

    def _load_failed(self, failure: Any) -> None:
        self.load_error = failure.getErrorMessage()
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            waiter.errback(failure)
        self._warn(f"Failed to load notifier[notifier {self.name}]\n{self.load_error}")

    def _when_loaded(self) -> "Deferred[None]":
        if self.load_error is not None:
            return fail(SendError(f"Notifier '{self.name}' is not loaded: {self.load_error}"))
        if self._loaded:
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._waiting.append(waiter)
        return waiter

    def wants(self, event: str) -> bool:
        return "*" in self.options.events or event in self.options.events

    def as_dict(self) -> dict[str, Any]:
        options = self.options
        return {
            "name": options.name,
            "url": options.url_source,
            "title": None if options.title is None else options.title.source,
            "body": None if options.body is None else options.body.source,
            "body_format": options.body_format_source,
            "events": options.events,
            "attach": None if self._attach is None else self._attach.source,
        }

    def notify(self, event_name: str, event_args: list[Any], message: str = "") -> "Deferred[bool]":
        """Render and send; fires with whether Apprise delivered it."""
        context = {"event_name": event_name, "event_args": event_args, "event_message": message}
        options = self.options
        title = "" if options.title is None else options.title.render(context)
        body = event_name if options.body is None else options.body.render(context)
        attachments = self._attachments(context)
        return self._when_loaded().addCallback(
            lambda _: self._sender.send(body, title, options.body_format, attachments))

    def _attachments(self, context: dict[str, Any]) -> list[str]:
        if self._attach is None:
            return []
        try:
            rendered = self._attach.render(context)
        except TemplateError as error:
            self._warn(f"[notifier {self.name}]: The attachment is not valid. The template failed to render: {error}")
            self._attach = None
            return []
        attachments = []
        for item in filter(None, (line.strip() for line in rendered.splitlines())):
            if _HTTP_URL.match(item):
                attachments.append(item)
                continue
            path = Path(item).expanduser().resolve()
            if not path.is_file():
                self._warn(f"[notifier {self.name}]: Invalid attachment detected, file does not exist: {path}.")
            elif not self._can_access(path) or not os.access(path, os.R_OK):
                self._warn(f"[notifier {self.name}]: Invalid attachment detected, no read permission for the file {path}.")
            else:
                attachments.append(str(path))
        return attachments
