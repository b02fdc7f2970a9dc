"""One button: its line watched by the reactor, its templates run per press and release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from twisted.internet.defer import Deferred, DeferredLock
from twisted.logger import Logger
from zope.interface import implementer
from twisted.internet.interfaces import IReadDescriptor

from moontwist.config import ConfigError
from moontwist.config.section import Section
from moontwist.config.template import Template
from moontwist.services.button.debounce import Debouncer
from moontwist.services.button.gpio import EdgeLine
from moontwist.services.button.pins import InputPin, PinError, parse_input_pin

log = Logger()


@dataclass
class ButtonOptions:
    name: str
    pin: InputPin
    minimum_event_time: float
    debounce_period: float
    on_press: Template | None
    on_release: Template | None


def read_options(section: Section) -> ButtonOptions:
    # Reserved by Moonraker for future types; gpio is the only one.
    section.get_str("type", "gpio")
    # The input pin: [^ pull-up | ~ pull-down][! inverted][gpiochipN/]gpioM.
    pin_text = section.get_str("pin")
    try:
        pin = parse_input_pin(pin_text)
    except PinError as error:
        raise ConfigError(str(error)) from None
    # Events shorter than this (seconds since the previous event) are ignored.
    minimum_event_time = section.get_float("minimum_event_time", 0.0, minval=0.0)
    # Time an edge must settle before it counts.
    debounce_period = section.get_float("debounce_period", 0.05, minval=0.01)
    # Templates run when the button is pressed / released (call_method, send_notification, event, user_data).
    on_press = section.get_jinja_template("on_press", None, is_async=True)
    on_release = section.get_jinja_template("on_release", None, is_async=True)
    if on_press is None and on_release is None:
        raise ConfigError(f"[{section.name}]: No template option configured")
    return ButtonOptions(section.name.split()[-1], pin, minimum_event_time, debounce_period, on_press, on_release)


@implementer(IReadDescriptor)
class Button:
    def __init__(self, options: ButtonOptions, line: EdgeLine, reactor: Any, call_method: Callable[..., Any],
                 notify: Callable[[dict[str, Any]], None], warn: Callable[[str], None]) -> None:
        self.options = options
        self.name = options.name
        self._line = line
        self._reactor = reactor
        self._notify = notify
        self._lock = DeferredLock()
        self._notified = False
        self.user_data: dict[str, Any] = {}
        self.event: dict[str, Any] = {"elapsed_time": 0.0, "received_time": 0.0, "render_time": 0.0, "pressed": False}
        self._call_method = call_method
        self._debouncer = Debouncer(reactor, options.debounce_period, self._on_event,
                                    lambda message: warn(f"Button {self.name}: {message}"), options.pin.full_name)

    def start(self) -> None:
        value = self._line.value()
        self._debouncer.start(value)
        self.event["pressed"] = bool(value)
        self._reactor.addReader(self)

    def stop(self) -> None:
        self._reactor.removeReader(self)
        self._debouncer.stop()
        self._line.close()

    def status(self) -> dict[str, Any]:
        return {"name": self.name, "type": "gpio", "event": self.event}

    # IReadDescriptor

    def fileno(self) -> int:
        return self._line.fileno()

    def doRead(self) -> None:
        for rising in self._line.read_edges():
            self._debouncer.edge(rising)
        if self._debouncer.disabled:
            self._reactor.removeReader(self)

    def connectionLost(self, reason: Any) -> None:
        log.warn("Button {name}: line closed", name=self.name)

    def logPrefix(self) -> str:
        return f"button {self.name}"

    # Events

    def _on_event(self, event_time: float, elapsed: float, pressed: int) -> None:
        if elapsed < self.options.minimum_event_time:
            return
        template = self.options.on_press if pressed else self.options.on_release
        if template is None:
            return
        event = {"elapsed_time": elapsed, "received_time": event_time, "pressed": bool(pressed)}
        rendering = self._lock.run(self._render, template, event)
        rendering.addErrback(self._render_failed, "on_press" if pressed else "on_release")

    def _render(self, template: Template, event: dict[str, Any]) -> "Deferred[str]":
        self._notified = False
        self.event = {**event, "render_time": self._reactor.seconds()}
        context = {"call_method": self._call_method, "send_notification": self._send_notification,
                   "event": self.event, "user_data": self.user_data}
        return template.render_async(context)

    def _render_failed(self, failure: Any, action: str) -> None:
        log.warn("Button {name}: '{action}' template error: {error}", name=self.name, action=action,
                 error=failure.getErrorMessage())

    def _send_notification(self, result: Any = None) -> None:
        """Once per template run: ``notify_button_event`` with the event and ``aux``."""
        if self._notified:
            return
        self._notified = True
        self._notify({**self.status(), "aux": result})
