"""Host GPIO lines through libgpiod's own Python bindings (``gpiod`` 2.x).

Pins are written as Moonraker writes them: ``[^|~][!]gpiochipN/gpioM`` or
``gpioM`` (``gpiochip0``); ``!`` inverts, ``^``/``~`` pull up/down (inputs).
``gpiod`` is an optional extra: import this module only where a pin is
configured. Line requests and reads are ioctls that return at once; edge
events are read when the request's descriptor is readable, on the reactor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

CONSUMER = "moonraker"
_PIN = re.compile(r"^(?P<bias>[\^~])?(?P<invert>!)?(?:(?P<chip>gpiochip\d+)/)?gpio(?P<line>\d+)$")


class PinError(ValueError):
    """The pin is written wrongly, or its line cannot be had."""


class GpioUnavailable(RuntimeError):
    """The ``gpiod`` package is not installed."""


@dataclass(frozen=True)
class Pin:
    chip: str
    offset: int
    inverted: bool
    bias: str | None
    """``pull_up``, ``pull_down`` or None."""


def parse_pin(text: str, allow_bias: bool = False) -> Pin:
    match = _PIN.match(text.strip())
    if match is None or (match["bias"] and not allow_bias):
        forms = "[^|~][!]gpiochipN/gpioM" if allow_bias else "[!]gpiochipN/gpioM"
        raise PinError(f"{text}: expected {forms} or gpioM")
    bias = {"^": "pull_up", "~": "pull_down"}.get(match["bias"] or "")
    return Pin(f"/dev/{match['chip'] or 'gpiochip0'}", int(match["line"]), match["invert"] is not None, bias)


def load_gpiod() -> ModuleType:
    try:
        import gpiod
    except ImportError:
        raise GpioUnavailable("gpio needs the gpiod package (pip install 'moontwist[gpio]')") from None
    return gpiod


def _request(gpiod: ModuleType, pin: Pin, settings: Any) -> Any:
    try:
        return gpiod.request_lines(pin.chip, config={pin.offset: settings}, consumer=CONSUMER)
    except OSError as error:
        raise PinError(f"cannot use line {pin.offset} of {pin.chip}: {error.strerror or error}") from None


class GpioOutput:
    """One line requested as an output."""

    def __init__(self, pin: Pin, on: bool) -> None:
        gpiod = load_gpiod()
        self._value = gpiod.line.Value
        self.offset = pin.offset
        settings = gpiod.LineSettings(direction=gpiod.line.Direction.OUTPUT, active_low=pin.inverted,
                                      output_value=self._level(on))
        self._request: Any = _request(gpiod, pin, settings)

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


class GpioInput:
    """One line requested as an input reporting both edges; ``on_edge(active)`` for each."""

    def __init__(self, pin: Pin, reactor: Any, on_edge: Callable[[bool], None]) -> None:
        gpiod = load_gpiod()
        line = gpiod.line
        self._active = line.Value.ACTIVE
        self._rising = gpiod.EdgeEvent.Type.RISING_EDGE
        bias = {"pull_up": line.Bias.PULL_UP, "pull_down": line.Bias.PULL_DOWN}.get(pin.bias or "", line.Bias.AS_IS)
        settings = gpiod.LineSettings(direction=line.Direction.INPUT, edge_detection=line.Edge.BOTH,
                                      active_low=pin.inverted, bias=bias)
        self.offset = pin.offset
        self._request: Any = _request(gpiod, pin, settings)
        self._reactor = reactor
        self._on_edge = on_edge
        self._reading = False

    def value(self) -> bool:
        return bool(self._request.get_value(self.offset) == self._active)

    def fileno(self) -> int:
        return int(self._request.fd)

    def start(self) -> None:
        if not self._reading:
            self._reactor.addReader(self)
            self._reading = True

    def doRead(self) -> None:
        for event in self._request.read_edge_events():
            self._on_edge(event.event_type == self._rising)

    def connectionLost(self, reason: Any) -> None:
        self._reading = False

    def logPrefix(self) -> str:
        return f"gpio line {self.offset}"

    def release(self) -> None:
        if self._reading:
            self._reactor.removeReader(self)
            self._reading = False
        if self._request is not None:
            self._request.release()
            self._request = None
