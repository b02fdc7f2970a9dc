"""Moonraker's GPIO pin syntax: ``[^|~][!][gpiochipN/]gpioM``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_PIN = re.compile(r"(?P<bias>[~^])?(?P<inverted>!)?(?:(?P<chip>gpiochip[0-9]+)/)?(?P<name>gpio(?P<offset>[0-9]+))$")
BIASES = {"^": "pull_up", "~": "pull_down", None: "disabled"}


class PinError(ValueError):
    """The pin cannot be parsed or its chip does not exist."""


@dataclass(frozen=True)
class InputPin:
    chip: Path
    offset: int
    bias: str
    inverted: bool
    full_name: str


def parse_input_pin(description: str, dev: Path = Path("/dev")) -> InputPin:
    match = _PIN.match(description.strip())
    if match is None:
        raise PinError(f"Invalid pin format {description}. Refer to the configuration "
                       "documentation for details on the pin format.")
    chip = match["chip"] or "gpiochip0"
    return InputPin(dev / chip, int(match["offset"]), BIASES[match["bias"]], match["inverted"] is not None,
                    f"{chip}:{match['name']}")
