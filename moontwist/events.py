"""In-process events between services (klippy ready, job started, file changed...)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from twisted.logger import Logger

log = Logger()


class EventBus:
    """Synchronous publish/subscribe by event name.

    A listener that raises is logged and does not stop the others.
    """

    def __init__(self) -> None:
        self._listeners: defaultdict[str, list[Callable[..., Any]]] = defaultdict(list)

    def on(self, name: str, listener: Callable[..., Any]) -> None:
        self._listeners[name].append(listener)

    def off(self, name: str, listener: Callable[..., Any]) -> None:
        if listener in self._listeners.get(name, ()):
            self._listeners[name].remove(listener)

    def emit(self, name: str, *args: Any, **kwargs: Any) -> None:
        for listener in list(self._listeners.get(name, ())):
            try:
                listener(*args, **kwargs)
            except Exception:
                log.failure("Listener for {event} failed", event=name)
