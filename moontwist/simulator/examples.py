"""The folder shipped with the simulator that stands in for a Klipper checkout,
and the example printer.cfg written when the user has none."""

from __future__ import annotations

import os
import re

KLIPPER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples")
EXAMPLE_CONFIG = os.path.join(KLIPPER_PATH, "config", "printer-simulator.cfg")
_SDCARD_PATH = re.compile(r"^(\[virtual_sdcard\]\npath:).*$", re.MULTILINE)


def example_config(gcodes_path: str) -> str:
    """The example printer.cfg, printing from ``gcodes_path``."""
    with open(EXAMPLE_CONFIG) as handle:
        text = handle.read()
    return _SDCARD_PATH.sub(lambda match: f"{match.group(1)} {gcodes_path}", text)


def ensure_config(config_path: str, gcodes_path: str) -> None:
    """Write the example printer.cfg at ``config_path`` unless a file is there."""
    if os.path.exists(config_path):
        return
    os.makedirs(os.path.dirname(os.path.abspath(config_path)), exist_ok=True)
    temporary = config_path + ".tmp"
    with open(temporary, "w") as handle:
        handle.write(example_config(gcodes_path))
    os.replace(temporary, config_path)
