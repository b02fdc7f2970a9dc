"""``[wled NAME]`` options: those of every strip, then those of its ``type``."""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions

WLED = SectionOptions(
    "wled",
    "A WLED LED strip, switched and colored through the API and Klipper's macros.",
    (
        Option("type", "str", "http", "`http` (WLED's JSON API) or `serial`; the options of each follow."),
        Option("color_order", "str", "", "Deprecated and ignored: every strip takes four colors.",
               deprecated=True, ignored=True),
        Option("initial_preset", "int", -1, "Preset applied by `on` (-1: the initial colors instead)."),
        Option("initial_red", "float", 0.5, "Initial red, 0.0 to 1.0."),
        Option("initial_green", "float", 0.5, "Initial green, 0.0 to 1.0."),
        Option("initial_blue", "float", 0.5, "Initial blue, 0.0 to 1.0."),
        Option("initial_white", "float", 0.5, "Initial white, 0.0 to 1.0."),
        Option("chain_count", "int", 1, "Number of LEDs on the strip."),
    ),
    named=True,
)

WLED_HTTP = SectionOptions(
    "wled",
    "A strip reached over WLED's JSON API.",
    (
        Option("address", "str", MISSING,
               "The strip's host, `host[:port]` (the `:port` is ours and wins over `port`)."),
        Option("port", "int", 80, "The strip's HTTP port."),
        Option("protocol", "str", "http", "`http` or `https`."),
        Option("timeout", "float", 2.0, "Seconds one of the three attempts at a request may take."),
    ),
    named=True,
    variant="http",
)

WLED_SERIAL = SectionOptions(
    "wled",
    "A strip on a serial port (needs the `pyserial` package).",
    (
        Option("serial", "str", MISSING, "The serial device, e.g. `/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0`."),
        Option("baud", "int", 115200, "Baud rate WLED's serial port is set to."),
    ),
    named=True,
    variant="serial",
)
