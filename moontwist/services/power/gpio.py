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

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

log = Logger()


class GpioDevice(PowerDevice):
    can_poll = False

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.timer: float | None = self.options["timer"]
        try:
            self.output = GpioOutput(parse_pin(self.options["pin"]), self._line_starts_on())
        except PinError as error:
            raise ConfigError(f"Section [{section.name}], Option pin: {error}") from None
        except GpioUnavailable as error:
            raise ConfigError(f"{error}") from None
        self._timer_call: Any = None

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
        self._cancel_timer()
        try:
            self.output.write(state == "on")
        except OSError as error:
            self.state = "error"
            log.warn("Power device {name}: {error}", name=self.name, error=error)
            raise ApiError(f"Error Toggling Device Power: {self.name}") from None
        self.state = state
        self._start_timer()

    def _start_timer(self) -> None:
        if self.state == "on" and self.timer is not None:
            self._timer_call = self.reactor.callLater(self.timer, self.power.set_device_power, self.name, "off")

    def _cancel_timer(self) -> None:
        if self._timer_call is not None and self._timer_call.active():
            self._timer_call.cancel()
        self._timer_call = None

    def stop(self) -> "Deferred[Any] | None":
        self._cancel_timer()
        self.output.release()
        return super().stop()
