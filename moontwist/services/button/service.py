"""Every ``[button NAME]``; a button that fails to load costs only itself and leaves a warning."""

from __future__ import annotations

from typing import Any, Callable

from twisted.application.service import Service

from moontwist.config import ConfigError
from moontwist.context import ServerContext
from moontwist.services.button.button import Button, read_options
from moontwist.services.button.gpio import EdgeLine, GpiodLine
from moontwist.services.button.pins import InputPin, PinError
from moontwist.services.templating import method_caller

SECTION_PREFIX = "button "


class ButtonService(Service):
    name = "button"

    def __init__(self, ctx: ServerContext, open_line: Callable[[InputPin], EdgeLine] = GpiodLine) -> None:
        self.ctx = ctx
        self.buttons: dict[str, Button] = {}
        call_method = method_caller(ctx.registry)
        taken: set[str] = set()
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            try:
                options = read_options(ctx.config.section(section_name))
                if options.pin.full_name in taken:
                    raise ConfigError(f"GPIO {options.pin.full_name} already reserved")
                line = open_line(options.pin)
            except (ConfigError, PinError) as error:
                ctx.warnings.append(f"Failed to load button [{section_name}]\n{error}")
                continue
            taken.add(options.pin.full_name)
            self.buttons[options.name] = Button(options, line, ctx.reactor, call_method, self._notify,
                                                ctx.warnings.append)

    def _notify(self, data: dict[str, Any]) -> None:
        self.ctx.notify("notify_button_event", [data])

    def startService(self) -> None:
        super().startService()
        for button in self.buttons.values():
            button.start()

    def stopService(self) -> None:
        if not self.running:
            return
        super().stopService()
        for button in self.buttons.values():
            button.stop()
