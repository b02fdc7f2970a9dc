"""``gpio``: a host GPIO line (see moontwist/gpio.py), requested once as an output
at the initial state and held until the server stops."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.gpio import GpioOutput, GpioUnavailable, PinError, parse_pin
from moontwist.services.power.device import PowerDevice
from moontwist.services.power.off_timer import OffTimer

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

log = Logger()


class GpioDevice(PowerDevice):
    can_poll = False

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.timer = OffTimer(self, self.options["timer"])
        try:
            self.output = GpioOutput(parse_pin(self.options["pin"]), self._line_starts_on())
        except PinError as error:
            raise ConfigError(f"Section [{section.name}], Option pin: {error}") from None
        except GpioUnavailable as error:
            raise ConfigError(f"{error}") from None

    def _line_starts_on(self) -> bool:
        return bool(self.initial_state)

    async def initialise(self) -> None:
        async with self.lock:
            try:
                await self.set_power("on" if self.initial_state else "off")
                if self.initial_state is not None:
                    await self.process_bound_services()
            except ApiError as error:
                log.warn("Power device {name}: initialisation failed: {error}", name=self.name, error=error.message)
            self._last_update = self.reactor.seconds()

    async def refresh_status(self) -> None:
        """The line holds what was last written: nothing to read."""

    async def set_power(self, state: str) -> None:
        self.timer.cancel()
        try:
            await self.key(state)
        except OSError as error:
            self.state = "error"
            log.warn("Power device {name}: {error}", name=self.name, error=error)
            raise ApiError(f"Error Toggling Device Power: {self.name}") from None
        self.state = state
        self.timer.start()

    async def key(self, state: str) -> None:
        """Drive the line for ``state`` (an rf device sends a code instead)."""
        self.output.write(state == "on")

    def stop(self) -> "Deferred[Any] | None":
        self.timer.cancel()
        self.output.release()
        return super().stop()
