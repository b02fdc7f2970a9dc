"""The simulated printer.cfg and the `configfile` status built from it.

Like Klippy, ``settings`` records every option a module read, typed and with
defaults filled in; options nobody read keep their raw text.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable
from typing import Any, TypeVar

from moontwist.simulator.gcode import MISSING

T = TypeVar("T")

PRINTER_CFG = """\
# Simulated cartesian printer served by moontwist's Klippy simulator
[mcu]
serial: /dev/serial/by-id/usb-Klipper_stm32f446xx_simulated-if00

[printer]
kinematics: cartesian
max_velocity: 300
max_accel: 3000
max_z_velocity: 15
max_z_accel: 100
square_corner_velocity: 5.0

[stepper_x]
step_pin: PF13
dir_pin: PF12
enable_pin: !PF14
microsteps: 16
rotation_distance: 40
endstop_pin: ^PG6
position_endstop: 0
position_max: 235
homing_speed: 50

[stepper_y]
step_pin: PG0
dir_pin: PG1
enable_pin: !PF15
microsteps: 16
rotation_distance: 40
endstop_pin: ^PG9
position_endstop: 0
position_max: 235
homing_speed: 50

[stepper_z]
step_pin: PF11
dir_pin: !PG3
enable_pin: !PG5
microsteps: 16
rotation_distance: 8
endstop_pin: ^PG10
position_endstop: 0
position_min: -2
position_max: 250
homing_speed: 15

[extruder]
step_pin: PF9
dir_pin: PF10
enable_pin: !PG2
microsteps: 16
rotation_distance: 33.500
nozzle_diameter: 0.400
filament_diameter: 1.750
heater_pin: PA2
sensor_type: EPCOS 100K B57560G104F
sensor_pin: PF4
control: pid
pid_kp: 22.2
pid_ki: 1.08
pid_kd: 114
min_temp: 0
max_temp: 280
pressure_advance: 0.04

[heater_bed]
heater_pin: PA1
sensor_type: Generic 3950
sensor_pin: PF3
control: pid
pid_kp: 54.027
pid_ki: 0.770
pid_kd: 948.182
min_temp: 0
max_temp: 120

[fan]
pin: PA8

[heater_fan hotend_fan]
pin: PE5
heater: extruder
heater_temp: 50.0

[temperature_sensor raspberry_pi]
sensor_type: temperature_host
min_temp: 10
max_temp: 100

[virtual_sdcard]
path: {gcodes_path}

[pause_resume]

[display_status]

[respond]

[idle_timeout]
timeout: 1800

[gcode_macro START_PRINT]
description: Home, heat and prime before a print
gcode:
  G28
  M190 S60
  M109 S210
  G1 Z5 F3000
  G92 E0

[gcode_macro END_PRINT]
description: Park and switch everything off after a print
gcode:
  M104 S0
  M140 S0
  M107
  G91
  G1 Z10 F600
  G90
  M84

[gcode_macro BEEP]
description: Beep on the PanelDue through Moonraker
variable_frequency: 300
variable_duration: 1.0
gcode:
  {action_call_remote_method("paneldue_beep", frequency=frequency, duration=duration)}

[gcode_macro POWER_OFF_PRINTER]
description: Ask Moonraker to switch the printer off
gcode:
  {action_call_remote_method("set_device_power", device="printer", state="off")}
"""


class ConfigError(Exception):
    """The configuration cannot be used."""


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ValueError(text)


class ConfigSection:
    """One section; every typed read is recorded for ``configfile.settings``."""

    def __init__(self, name: str, raw: dict[str, str], settings: dict[str, Any]):
        self.name = name
        self._raw = raw
        self._settings = settings

    def _read(self, option: str, default: Any, parser: Callable[[str], Any]) -> Any:
        text = self._raw.get(option)
        if text is None:
            if default is MISSING:
                raise ConfigError(f"Option '{option}' in section '{self.name}' must be specified")
            value = default
        else:
            try:
                value = parser(text)
            except ValueError:
                raise ConfigError(f"Unable to parse option '{option}' in section '{self.name}'") from None
        self._settings[option] = value
        return value

    def get(self, option: str, default: Any = MISSING) -> Any:
        return self._read(option, default, str)

    def getfloat(self, option: str, default: Any = MISSING) -> Any:
        return self._read(option, default, float)

    def getint(self, option: str, default: Any = MISSING) -> Any:
        return self._read(option, default, int)

    def getboolean(self, option: str, default: Any = MISSING) -> Any:
        return self._read(option, default, _parse_bool)

    def getlist(self, option: str, default: Any = MISSING) -> Any:
        return self._read(option, default, lambda text: [item.strip() for item in text.split(",") if item.strip()])

    def options(self) -> list[str]:
        return list(self._raw)


class PrinterConfig:
    """A parsed printer.cfg: raw sections in file order plus recorded settings."""

    def __init__(self, text: str):
        parser = configparser.RawConfigParser(
            inline_comment_prefixes=("#", ";"), strict=False, interpolation=None
        )
        try:
            parser.read_string(text)
        except configparser.Error as error:
            raise ConfigError(str(error)) from None
        self.raw: dict[str, dict[str, str]] = {name: dict(parser.items(name)) for name in parser.sections()}
        self._settings: dict[str, dict[str, Any]] = {}
        self._status: dict[str, Any] | None = None

    def sections(self) -> list[str]:
        return list(self.raw)

    def section(self, name: str) -> ConfigSection:
        """A section to read options from; a missing one reads as empty (defaults apply)."""
        return ConfigSection(name, self.raw.get(name, {}), self._settings.setdefault(name.lower(), {}))

    def get_status(self, eventtime: float) -> dict[str, Any]:
        """The `configfile` object: built once, then the same dict every time."""
        if self._status is None:
            settings: dict[str, dict[str, Any]] = {}
            for name, options in self.raw.items():
                recorded = self._settings.get(name.lower(), {})
                merged = {option: recorded.get(option, text) for option, text in options.items()}
                merged.update(recorded)
                settings[name.lower()] = merged
            self._status = {
                "config": self.raw,
                "warnings": [],
                "save_config_pending": False,
                "save_config_pending_items": {},
                "settings": settings,
            }
        return self._status
