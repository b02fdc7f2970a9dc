"""`[led NAME]`, `[neopixel NAME]`, `[dotstar NAME]`: SET_LED and ``color_data``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.simulator.configreader import ConfigError
from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost

CHAINS = ("neopixel", "dotstar")


class Led:
    cmd_SET_LED_help = "Set the color of an LED"
    cmd_SET_LED_TEMPLATE_help = "Assign a display_template to an LED"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        kind = section.name.split()[0]
        if kind == "led":
            pins = [section.get(f"{color}_pin", None) for color in ("red", "green", "blue", "white")]
            if not any(pins):
                raise ConfigError(f"No LED pin definitions found in '{section.name}'")
            section.getfloat("cycle_time", 0.010, above=0.0)
            section.getboolean("hardware_pwm", False)
        elif kind == "neopixel":
            section.get("pin")
        elif kind == "dotstar":
            section.get("data_pin")
            section.get("clock_pin")
        self.count: int = section.getint("chain_count", 1, minval=1) if kind in CHAINS else 1
        if kind == "neopixel":
            orders = section.getlist("color_order", ["GRB"])
            if len(orders) == 1:
                orders = orders * self.count
            if len(orders) != self.count:
                raise ConfigError("color_order does not match chain_count")
        initial = tuple(section.getfloat(f"initial_{color}", 0.0, minval=0.0, maxval=1.0)
                        for color in ("RED", "GREEN", "BLUE", "WHITE"))
        self.color_data: list[tuple[float, ...]] = [initial] * self.count
        name = section.name.split()[-1]
        host.gcode.register_mux_command("SET_LED", "LED", name, self.cmd_SET_LED, desc=self.cmd_SET_LED_help)
        host.gcode.register_mux_command("SET_LED_TEMPLATE", "LED", name, self.cmd_SET_LED_TEMPLATE,
                                        desc=self.cmd_SET_LED_TEMPLATE_help)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"color_data": self.color_data}

    def cmd_SET_LED(self, gcmd: GCodeCommand) -> None:
        color = tuple(gcmd.get_float(part, 0.0, minval=0.0, maxval=1.0) for part in ("RED", "GREEN", "BLUE", "WHITE"))
        index = gcmd.get_int("INDEX", None, minval=1, maxval=self.count)
        gcmd.get_int("TRANSMIT", 1)
        gcmd.get_int("SYNC", 1)
        data = list(self.color_data)
        if index is None:
            data = [color] * self.count
        else:
            data[index - 1] = color
        if data != self.color_data:
            self.color_data = data

    def cmd_SET_LED_TEMPLATE(self, gcmd: GCodeCommand) -> None:
        gcmd.get_int("INDEX", None, minval=1, maxval=self.count)
        raise CommandError("SET_LED_TEMPLATE needs [display_template] sections, which the simulator does not model")
