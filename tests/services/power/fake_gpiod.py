"""A stand-in for libgpiod's Python bindings (``gpiod`` 2.x) over simulated chips.

For hosts with neither GPIO hardware nor the kernel's ``gpio-sim`` (this one):
only what moontwist calls — ``request_lines``, ``LineSettings``, ``line.Value``,
``line.Direction``, ``LineRequest.set_value``/``release`` — with the kernel's
rules that matter here: a missing chip is ENOENT, an offset past the chip's
lines EINVAL, a line held by another request EBUSY, ``active_low`` inverts the
physical level. ``test_gpio`` checks these names and signatures against the
installed ``gpiod`` so the two cannot drift apart.
"""

from __future__ import annotations

import errno
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


@dataclass
class LineSettings:
    direction: Direction = Direction.AS_IS
    active_low: bool = False
    output_value: Value = Value.INACTIVE


@dataclass
class SimulatedChip:
    num_lines: int = 32
    levels: dict[int, int] = field(default_factory=dict)
    """Physical level of each line ever driven."""
    held: dict[int, str] = field(default_factory=dict)
    """Requested lines and their consumer."""
    history: list[tuple[int, int]] = field(default_factory=list)
    """Every (offset, level) written, in order."""


class LineRequest:
    def __init__(self, chip: SimulatedChip, settings: dict[int, LineSettings]) -> None:
        self._chip = chip
        self._settings = settings
        self.released = False

    def set_value(self, line: int, value: Value) -> None:
        if self.released or line not in self._settings:
            raise OSError(errno.EINVAL, "Invalid argument")
        level = int(value is Value.ACTIVE) ^ int(self._settings[line].active_low)
        self._chip.levels[line] = level
        self._chip.history.append((line, level))

    def release(self) -> None:
        for line in self._settings:
            self._chip.held.pop(line, None)
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
    for offset, setting in settings.items():
        chip.held[offset] = consumer or "?"
        if setting.direction is Direction.OUTPUT:
            level = int(setting.output_value is Value.ACTIVE) ^ int(setting.active_low)
            chip.levels[offset] = level
            chip.history.append((offset, level))
    return LineRequest(chip, settings)


def install(test: Any, chips: dict[str, SimulatedChip]) -> None:
    """Make ``import gpiod`` give this module, with ``chips``, until the test ends."""
    module = types.ModuleType("gpiod")
    line = types.ModuleType("gpiod.line")
    line.Value = Value  # type: ignore[attr-defined]
    line.Direction = Direction  # type: ignore[attr-defined]
    module.line = line  # type: ignore[attr-defined]
    module.LineSettings = LineSettings  # type: ignore[attr-defined]
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
