"""``gpio``: a host GPIO line driven through libgpiod (the ``gpiod`` package, v2 API).

``pin`` is Moonraker's ``[!]gpiochipN/gpioM`` (``gpioM`` means ``gpiochip0``;
``!`` inverts). The line is requested once, as an output at the initial
state, and held until the server stops. ``gpiod`` is an optional extra,
imported only when such a device is configured.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.services.power.device import PowerDevice

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

log = Logger()

CONSUMER = "moonraker"
_PIN = re.compile(r"^(?P<invert>!)?(?:(?P<chip>gpiochip\d+)/)?gpio(?P<line>\d+)$")


def parse_pin(section_name: str, text: str) -> tuple[str, int, bool]:
    """``(/dev/gpiochipN, line offset, inverted)``."""
    match = _PIN.match(text.strip())
    if match is None:
        raise ConfigError(f"Section [{section_name}], Option pin: {text}: expected [!]gpiochipN/gpioM or gpioM")
    return f"/dev/{match['chip'] or 'gpiochip0'}", int(match["line"]), match["invert"] is not None


def _gpiod() -> ModuleType:
    try:
        import gpiod
    except ImportError:
        raise ConfigError("gpio power devices need the gpiod package (pip install 'moontwist[gpio]')") from None
    return gpiod


class GpioOutput:
    """One line requested as an output (ioctl calls: they return at once)."""

    def __init__(self, chip: str, offset: int, inverted: bool, on: bool) -> None:
        gpiod = _gpiod()
        self._value = gpiod.line.Value
        self.offset = offset
        settings = gpiod.LineSettings(direction=gpiod.line.Direction.OUTPUT, active_low=inverted,
                                      output_value=self._level(on))
        self._request: Any = gpiod.request_lines(chip, config={offset: settings}, consumer=CONSUMER)

    def _level(self, on: bool) -> Any:
        return self._value.ACTIVE if on else self._value.INACTIVE

    def write(self, on: bool) -> None:
        if self._request is None:
            raise OSError("the line was released")
        self._request.set_value(self.offset, self._level(on))

    def release(self) -> None:
        if self._request is not None:
            self._request.release()
            self._request = None


class GpioDevice(PowerDevice):
    can_poll = False

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        # Seconds after which a device switched on goes off again.
        self.timer: float | None = section.get_float("timer", None, above=0.000001)
        # The line: [!]gpiochipN/gpioM.
        chip, offset, inverted = parse_pin(section.name, section.get_str("pin"))
        try:
            self.output = GpioOutput(chip, offset, inverted, self._line_starts_on())
        except OSError as error:
            raise ConfigError(f"Section [{section.name}], Option pin: cannot use line {offset} of {chip}: "
                              f"{error.strerror or error}") from None
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
