"""A GPIO input line's edges through libgpiod (the ``gpiod`` package, v2 API).

``open_line`` requests the line with edge detection on both edges, the pin's
bias and inversion; the request's file descriptor is watched by the reactor.
gpiod is imported only when a button is configured.
"""

from __future__ import annotations

from typing import Any, Protocol

from moontwist.services.button.pins import InputPin, PinError

CONSUMER = "moontwist"


class EdgeLine(Protocol):
    """An input line whose edges can be read when its descriptor is readable."""

    def fileno(self) -> int: ...

    def value(self) -> int:
        """1 when active (pressed, after inversion), else 0."""

    def read_edges(self) -> list[int]:
        """The pending edges, oldest first: 1 rising, 0 falling."""

    def close(self) -> None: ...


class GpiodLine:
    def __init__(self, pin: InputPin) -> None:
        if not pin.chip.exists():
            raise PinError(f"Chip path {pin.chip} does not exist")
        try:
            import gpiod
            from gpiod.line import Bias, Edge
        except ImportError:
            raise PinError("the gpiod package is not installed (pip install gpiod)") from None
        bias = {"pull_up": Bias.PULL_UP, "pull_down": Bias.PULL_DOWN, "disabled": Bias.DISABLED}[pin.bias]
        settings = gpiod.LineSettings(edge_detection=Edge.BOTH, bias=bias, active_low=pin.inverted)
        try:
            self._request: Any = gpiod.request_lines(str(pin.chip), consumer=CONSUMER, config={pin.offset: settings})
        except OSError as error:
            raise PinError(f"Unable to request {pin.full_name}: {error}. Make sure the gpio is not in use "
                           "by another program or exported by sysfs.") from None
        self._offset = pin.offset
        self._rising = gpiod.EdgeEvent.Type.RISING_EDGE

    def fileno(self) -> int:
        return int(self._request.fd)

    def value(self) -> int:
        from gpiod.line import Value

        return int(self._request.get_value(self._offset) == Value.ACTIVE)

    def read_edges(self) -> list[int]:
        return [int(event.event_type == self._rising) for event in self._request.read_edge_events()]

    def close(self) -> None:
        self._request.release()
