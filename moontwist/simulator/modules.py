"""Build the printer objects from printer.cfg, in Klippy's load order.

The order decides `objects/list`: early objects, then config sections in file
order, then the toolhead and the modules Klippy always loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moontwist.simulator.config import ConfigError, PrinterConfig
from moontwist.simulator.gcode_move import GCodeMove
from moontwist.simulator.heaters import HeaterFan, PrinterExtruder, PrinterHeaterBed, PrinterHeaters, TemperatureSensor
from moontwist.simulator.homing import Homing, QueryEndstops, StepperEnable
from moontwist.simulator.macros import GCodeMacro
from moontwist.simulator.peripherals import (
    DisplayStatus,
    HostResponder,
    IdleTimeout,
    ManualProbe,
    Mcu,
    PrinterFan,
    SystemStats,
)
from moontwist.simulator.print_stats import PrintStats
from moontwist.simulator.printjob import PauseResume, VirtualSD
from moontwist.simulator.toolhead import MotionReport, ToolHead, ToolHeadCommands

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost

# Sections read by the toolhead rather than loaded as modules of their own.
_TOOLHEAD_SECTIONS = {"printer", "stepper_x", "stepper_y", "stepper_z", "extruder"}


def load_printer_objects(host: KlippyHost, config: PrinterConfig) -> None:
    """Create every object and command of the configured printer on ``host``."""
    host.add_object("configfile", config)
    host.add_object("mcu", Mcu(host, config.section("mcu"), host.software_version))
    heaters = PrinterHeaters(host)
    host.add_object("heaters", heaters)
    host.add_object("stepper_enable", StepperEnable(host))
    host.add_object("query_endstops", QueryEndstops(host))
    toolhead = ToolHead(host, config)
    for name in config.sections():
        kind = name.split()[0]
        if name in _TOOLHEAD_SECTIONS or kind == "mcu":
            continue
        section = config.section(name)
        if kind == "gcode_macro":
            host.add_object(name, GCodeMacro(host, section))
        elif name == "virtual_sdcard":
            print_stats = PrintStats(host)
            host.add_object("virtual_sdcard", VirtualSD(host, section, print_stats))
            host.add_object("print_stats", print_stats)
        elif name == "pause_resume":
            host.add_object(name, PauseResume(host, section))
        elif name == "display_status":
            host.add_object(name, DisplayStatus(host))
        elif name == "respond":
            host.add_object(name, HostResponder(host, section))
        elif name == "idle_timeout":
            host.add_object(name, IdleTimeout(host, section))
        elif name == "heater_bed":
            host.add_object(name, PrinterHeaterBed(host, section, heaters))
        elif name == "fan":
            host.add_object(name, PrinterFan(host, section))
        elif kind == "heater_fan":
            host.add_object(name, HeaterFan(host, section))
        elif kind == "temperature_sensor":
            host.add_object(name, TemperatureSensor(host, section, heaters))
        else:
            raise ConfigError(f"Section '{name}' is not a valid config section")
    host.add_object("motion_report", MotionReport(toolhead))
    host.add_object("toolhead", toolhead)
    ToolHeadCommands(host, toolhead)
    host.add_object("extruder", PrinterExtruder(host, config.section("extruder"), heaters))
    host.add_object("gcode_move", GCodeMove(host, toolhead))
    host.add_object("homing", Homing(host, toolhead))
    if "idle_timeout" not in host.objects:
        host.add_object("idle_timeout", IdleTimeout(host, config.section("idle_timeout")))
    host.add_object("system_stats", SystemStats())
    host.add_object("manual_probe", ManualProbe())
