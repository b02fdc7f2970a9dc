"""One ``[button NAME]``: a GPIO input whose presses and releases render templates.

``on_press`` / ``on_release`` are Jinja2 templates (Moonraker's async ones)
with ``call_method(method, arguments=None, **kwargs)`` (any API method, as
the server itself calls it: ``services/templating.py``), ``send_notification(result)`` (``notify_button_event``, once per
render), ``event`` (``elapsed_time``, ``received_time``, ``render_time``,
``pressed``) and ``user_data`` (kept between events).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, DeferredLock
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.config.template import Template, TemplateError
from moontwist.gpio import GpioInput, GpioUnavailable, PinError, parse_pin
from moontwist.services.button.debounce import Debouncer
from moontwist.services.button.options import BUTTON
from moontwist.services.templating import method_caller

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.context import ServerContext

log = Logger()


class GpioButton:
    def __init__(self, name: str, section: "Section", ctx: "ServerContext") -> None:
        self.name = name
        self.ctx = ctx
        self._call_method = method_caller(ctx.registry)
        options = BUTTON.read(section)
        self.min_event_time: float = options["minimum_event_time"]
        debounce_period: float = options["debounce_period"]
        self.templates: dict[bool, Template] = {
            pressed: options[option] for pressed, option in ((True, "on_press"), (False, "on_release"))
            if options[option] is not None}
        if not self.templates:
            raise ConfigError(f"[{section.name}]: No template option configured")
        self.debouncer = Debouncer(ctx.reactor, debounce_period, self._changed, self._disabled)
        try:
            self.input = GpioInput(parse_pin(options["pin"], allow_bias=True), ctx.reactor,
                                   self.debouncer.edge)
        except PinError as error:
            raise ConfigError(f"Section [{section.name}], Option pin: {error}") from None
        except GpioUnavailable as error:
            raise ConfigError(str(error)) from None
        self.user_data: dict[str, Any] = {}
        self.event: dict[str, Any] = {"elapsed_time": 0.0, "received_time": 0.0, "render_time": 0.0,
                                      "pressed": False}
        self._notified = False
        self._lock = DeferredLock()

    def start(self) -> None:
        self.debouncer.level = self.input.value()
        self.event["pressed"] = self.debouncer.level
        self.input.start()

    def stop(self) -> None:
        self.debouncer.stop()
        self.input.release()

    def status(self) -> dict[str, Any]:
        return {"name": self.name, "type": "gpio", "event": self.event}

    def _disabled(self, reason: str) -> None:
        self.input.release()
        message = f"Button {self.name}: {reason}"
        log.warn("{message}", message=message)
        self.ctx.warnings.append(message)

    def _changed(self, eventtime: float, elapsed: float, pressed: bool) -> None:
        if elapsed < self.min_event_time:
            return
        template = self.templates.get(pressed)
        if template is not None:
            Deferred.fromCoroutine(self._render(template, eventtime, elapsed, pressed))

    async def _render(self, template: Template, eventtime: float, elapsed: float, pressed: bool) -> None:
        async with self._lock:
            self._notified = False
            self.event = {"elapsed_time": elapsed, "received_time": eventtime,
                          "render_time": self.ctx.reactor.seconds(), "pressed": pressed}
            context = {"call_method": self._call_method, "send_notification": self._send_notification,
                       "event": self.event, "user_data": self.user_data}
            try:
                await template.render_async(context)
            except TemplateError as error:
                action = "on_press" if pressed else "on_release"
                log.warn("Button {name}: '{action}' template error: {error}", name=self.name, action=action,
                         error=str(error))

    def _send_notification(self, result: Any = None) -> None:
        if self._notified:
            return
        self._notified = True
        self.ctx.notify("notify_button_event", [{**self.status(), "aux": result}])
