"""A stand-in for libgpiod's Python bindings (``gpiod`` 2.x) over simulated chips.

For hosts with neither GPIO hardware nor the kernel's ``gpio-sim`` (this one):
only what moontwist calls — ``request_lines``, ``LineSettings``, ``line.Value``,
``line.Direction``, ``line.Edge``, ``line.Bias``, ``EdgeEvent``, and
``LineRequest.set_value``/``get_value``/``fd``/``read_edge_events``/``release``
— with the kernel's rules that matter here: a missing chip is ENOENT, an offset
past the chip's lines EINVAL, a line held by another request EBUSY,
``active_low`` inverts the physical level (edges too, as uAPI v2 reports them),
and edge events wake the request's descriptor (a pipe here). Tests drive an
input with ``SimulatedChip.drive``. ``test_gpio`` checks these names and signatures against the
installed ``gpiod`` so the two cannot drift apart.
"""

from __future__ import annotations

import errno
import os
import sys
import types
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Value(Enum):
    INACTIVE = 0
    ACTIVE = 1


class Direction(Enum):
    AS_IS = 1
    INPUT = 2
    OUTPUT = 3


class Edge(Enum):
    NONE = 1
    RISING = 2
    FALLING = 3
    BOTH = 4


class Bias(Enum):
    AS_IS = 1
    UNKNOWN = 2
    DISABLED = 3
    PULL_UP = 4
    PULL_DOWN = 5


@dataclass
class LineSettings:
    direction: Direction = Direction.AS_IS
    edge_detection: Edge = Edge.NONE
    bias: Bias = Bias.AS_IS
    active_low: bool = False
    output_value: Value = Value.INACTIVE


@dataclass
class EdgeEvent:
    class Type(Enum):
        RISING_EDGE = 1
        FALLING_EDGE = 2

    event_type: "EdgeEvent.Type"
    timestamp_ns: int
    line_offset: int
    global_seqno: int
    line_seqno: int


@dataclass
class SimulatedChip:
    num_lines: int = 32
    levels: dict[int, int] = field(default_factory=dict)
    """Physical level of each line ever driven."""
    held: dict[int, str] = field(default_factory=dict)
    """Requested lines and their consumer."""
    history: list[tuple[int, int]] = field(default_factory=list)
    """Every (offset, level) written, in order."""
    requests: dict[int, "LineRequest"] = field(default_factory=dict)

    def drive(self, offset: int, level: int) -> None:
        """Something outside drives an input line to ``level`` (a button pressed or let go)."""
        previous = self.levels.get(offset, 0)
        self.levels[offset] = level
        request = self.requests.get(offset)
        if request is not None and previous != level:
            request.edge(offset, rising=bool(level))


class LineRequest:
    def __init__(self, chip: SimulatedChip, settings: dict[int, LineSettings]) -> None:
        self._chip = chip
        self._settings = settings
        self.released = False
        self._events: list[EdgeEvent] = []
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        self._seqno = 0

    @property
    def fd(self) -> int:
        return self._wake_read

    def edge(self, offset: int, rising: bool) -> None:
        settings = self._settings[offset]
        if settings.edge_detection is Edge.NONE:
            return
        rising ^= settings.active_low
        wanted = {Edge.BOTH: True, Edge.RISING: rising, Edge.FALLING: not rising}[settings.edge_detection]
        if wanted:
            self._seqno += 1
            kind = EdgeEvent.Type.RISING_EDGE if rising else EdgeEvent.Type.FALLING_EDGE
            self._events.append(EdgeEvent(kind, self._seqno * 1000, offset, self._seqno, self._seqno))
            os.write(self._wake_write, b"e")

    def read_edge_events(self, max_events: int | None = None) -> list[EdgeEvent]:
        try:
            os.read(self._wake_read, 4096)
        except BlockingIOError:
            pass
        events, self._events = self._events, []
        return events

    def get_value(self, line: int) -> Value:
        level = self._chip.levels.get(line, 0) ^ int(self._settings[line].active_low)
        return Value.ACTIVE if level else Value.INACTIVE

    def set_value(self, line: int, value: Value) -> None:
        if self.released or line not in self._settings:
            raise OSError(errno.EINVAL, "Invalid argument")
        level = int(value is Value.ACTIVE) ^ int(self._settings[line].active_low)
        self._chip.levels[line] = level
        self._chip.history.append((line, level))

    def release(self) -> None:
        for line in self._settings:
            self._chip.held.pop(line, None)
            self._chip.requests.pop(line, None)
        if not self.released:
            os.close(self._wake_read)
            os.close(self._wake_write)
        self.released = True


CHIPS: dict[str, SimulatedChip] = {}


def request_lines(path: str, config: dict[Any, LineSettings | None], consumer: str | None = None,
                  event_buffer_size: int | None = None, output_values: dict[Any, Value] | None = None) -> LineRequest:
    chip = CHIPS.get(path)
    if chip is None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    settings = {int(offset): value or LineSettings() for offset, value in config.items()}
    for offset, setting in settings.items():
        if offset >= chip.num_lines:
            raise OSError(errno.EINVAL, "Invalid argument")
        if offset in chip.held:
            raise OSError(errno.EBUSY, "Device or resource busy")
    request = LineRequest(chip, settings)
    for offset, setting in settings.items():
        chip.held[offset] = consumer or "?"
        chip.requests[offset] = request
        if setting.direction is Direction.OUTPUT:
            level = int(setting.output_value is Value.ACTIVE) ^ int(setting.active_low)
            chip.levels[offset] = level
            chip.history.append((offset, level))
        elif setting.bias is Bias.PULL_UP:
            chip.levels.setdefault(offset, 1)
    return request


def install(test: Any, chips: dict[str, SimulatedChip]) -> None:
    """Make ``import gpiod`` give this module, with ``chips``, until the test ends."""
    module = types.ModuleType("gpiod")
    line = types.ModuleType("gpiod.line")
    line.Value = Value  # type: ignore[attr-defined]
    line.Direction = Direction  # type: ignore[attr-defined]
    line.Edge = Edge  # type: ignore[attr-defined]
    line.Bias = Bias  # type: ignore[attr-defined]
    module.line = line  # type: ignore[attr-defined]
    module.LineSettings = LineSettings  # type: ignore[attr-defined]
    module.EdgeEvent = EdgeEvent  # type: ignore[attr-defined]
    module.request_lines = request_lines  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("gpiod", "gpiod.line")}
    sys.modules["gpiod"], sys.modules["gpiod.line"] = module, line
    CHIPS.clear()
    CHIPS.update(chips)

    def restore() -> None:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
        CHIPS.clear()

    test.addCleanup(restore)
