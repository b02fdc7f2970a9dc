"""The ``button`` component: every ``[button NAME]`` (GPIO inputs running templates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.application.service import Service

from moontwist.config import ConfigError
from moontwist.services.button.button import GpioButton

if TYPE_CHECKING:
    from moontwist.context import ServerContext

SECTION_PREFIX = "button "


class ButtonService(Service):
    def __init__(self, ctx: "ServerContext") -> None:
        self.ctx = ctx
        self.buttons: dict[str, GpioButton] = {}
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            name = section_name.split()[-1]
            try:
                self.buttons[name] = GpioButton(name, ctx.config.section(section_name), ctx)
            except ConfigError as error:
                ctx.warnings.append(f"Failed to load button [{section_name}]\n{error}")

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "ButtonService":
        return cls(ctx)

    def startService(self) -> None:
        super().startService()
        for button in self.buttons.values():
            button.start()

    def stopService(self) -> None:
        super().stopService()
        for button in self.buttons.values():
            button.stop()
