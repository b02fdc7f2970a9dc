"""Apprise, imported and run on a worker thread.

Importing apprise takes most of a second on a Pi and its ``notify`` does
blocking HTTP, so both happen off the reactor; only configs with a
``[notifier]`` section ever import it.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool


class AppriseMissing(Exception):
    """The apprise package is not installed."""


class AppriseSender:
    """One notifier's Apprise object; ``send`` fires with whether Apprise succeeded."""

    def __init__(self, reactor: Any, url: str) -> None:
        self._reactor = reactor
        self._url = url
        self._apprise: Any = None

    def _call(self, function: Any, *args: Any) -> "Deferred[Any]":
        return deferToThreadPool(self._reactor, self._reactor.getThreadPool(), function, *args)

    def load(self) -> "Deferred[None]":
        return self._call(self._load)

    def _load(self) -> None:
        try:
            import apprise
        except ImportError:
            raise AppriseMissing("the apprise package is not installed (pip install apprise)") from None
        notifier = apprise.Apprise()
        if not notifier.add(self._url):
            raise ValueError(f"Apprise does not accept the url '{self._url}'")
        self._apprise = notifier

    def send(self, body: str, title: str, body_format: str, attach: list[str]) -> "Deferred[bool]":
        return self._call(self._send, body, title, body_format, attach)

    def _send(self, body: str, title: str, body_format: str, attach: list[str]) -> bool:
        return bool(self._apprise.notify(body, title, body_format=body_format, attach=attach or None))
