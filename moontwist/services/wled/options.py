"""One ``[wled NAME]`` section's options, read together."""

from __future__ import annotations

from dataclasses import dataclass

from moontwist.config import ConfigError
from moontwist.config.section import Section

SECTION_PREFIX = "wled "
STRIP_TYPES = ("http", "serial")


@dataclass
class StripOptions:
    name: str
    type: str
    initial_preset: int
    initial_red: float
    initial_green: float
    initial_blue: float
    initial_white: float
    chain_count: int
    # http
    url: str = ""
    timeout: float = 2.0
    # serial
    serial: str = ""
    baud: int = 115200


def read_options(section: Section) -> StripOptions:
    parts = section.name.split(maxsplit=1)
    if len(parts) != 2:
        raise ConfigError(f"Invalid Section Name: {section.name}")
    # Deprecated, WLED orders its colours itself.
    section.get_str("color_order", "", deprecate=True)
    # How the strip is reached: http (WLED's JSON API) or serial.
    strip_type = section.get_str("type", "http")
    if strip_type.lower() not in STRIP_TYPES:
        raise ConfigError(f"Unsupported Strip Type: {strip_type}")
    # Preset applied at start-up; -1 sets the initial colours instead.
    initial_preset = section.get_int("initial_preset", -1)
    # Initial colour components, 0.0 to 1.0.
    initial_red = section.get_float("initial_red", 0.5)
    initial_green = section.get_float("initial_green", 0.5)
    initial_blue = section.get_float("initial_blue", 0.5)
    initial_white = section.get_float("initial_white", 0.5)
    # Number of LEDs on the strip.
    chain_count = section.get_int("chain_count", 1, minval=1)
    options = StripOptions(
        name=parts[1], type=strip_type.lower(), initial_preset=initial_preset, initial_red=initial_red,
        initial_green=initial_green, initial_blue=initial_blue, initial_white=initial_white,
        chain_count=chain_count,
    )
    if options.type == "serial":
        # The serial device the controller is on (/dev/serial/by-id/...).
        options.serial = section.get_str("serial")
        # Its baud rate.
        options.baud = section.get_int("baud", 115200, minval=1)
        return options
    # Host name or IP address of the WLED controller.
    address = section.get_str("address")
    # Its HTTP port.
    port = section.get_int("port", 80, minval=1, maxval=65535)
    # http or https.
    protocol = section.get_str("protocol", "http")
    # Seconds a request may take.
    options.timeout = section.get_float("timeout", 2.0, above=0.0)
    options.url = f"{protocol}://{address}:{port}/json"
    return options
