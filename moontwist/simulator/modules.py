"""Build the printer objects from printer.cfg, in Klippy's load order.

The order decides `objects/list`: early objects, then config sections in file
order, then the toolhead and the modules Klippy always loads. Each section
kind the simulator models has a loader in ``LOADERS``; any other section is
accepted, and listed with an empty status unless Klippy's module has none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moontwist.simulator.config import ConfigSection, PrinterConfig
from moontwist.simulator.extras import (
    NO_STATUS_MODULES,
    ForceMove,
    HomingOverride,
    OutputPin,
    SafeZHome,
    UnmodelledSection,
)
from moontwist.simulator.gcode_move import GCodeMove
from moontwist.simulator.exclude_object import ExcludeObject
from moontwist.simulator.extruder import PrinterExtruder
from moontwist.simulator.heater_tools import HeaterTools
from moontwist.simulator.fans import ControllerFan, FanGeneric, TemperatureFan
from moontwist.simulator.filament_sensors import FilamentSensor
from moontwist.simulator.heaters import HeaterFan, HeaterGeneric, PrinterHeaterBed, PrinterHeaters, TemperatureSensor
from moontwist.simulator.homing import Homing, QueryEndstops, StepperEnable
from moontwist.simulator.leds import Led
from moontwist.simulator.macros import DelayedGCode, GCodeMacro, Templates
from moontwist.simulator.manual_probe import ManualProbe, TuningTower
from moontwist.simulator.peripherals import (
    DisplayStatus,
    HostResponder,
    IdleTimeout,
    Mcu,
    PrinterFan,
    SystemStats,
)
from moontwist.simulator.print_stats import PrintStats
from moontwist.simulator.printjob import PauseResume, VirtualSD
from moontwist.simulator.arcs import ArcSupport
from moontwist.simulator.bed_mesh import BedMesh
from moontwist.simulator.probe import Probe
from moontwist.simulator.retraction import FirmwareRetraction
from moontwist.simulator.save_variables import SaveVariables
from moontwist.simulator.saveconfig import SaveConfig
from moontwist.simulator.motion_report import MotionReport
from moontwist.simulator.toolhead import ToolHead, ToolHeadCommands

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost

# Sections read by the toolhead rather than loaded as modules of their own.
_TOOLHEAD_SECTIONS = {"printer", "stepper_x", "stepper_y", "stepper_z", "extruder"}


class Loader:
    """What the section loaders share while one configuration is loaded.

    As in Klippy, a module that needs another loads it first, so the one it
    needs comes earlier in `objects/list` (``require``).
    """

    def __init__(self, host: KlippyHost, config: PrinterConfig):
        self.host = host
        self.config = config
        self.templates = Templates(host)
        self.toolhead = ToolHead(host, config)

    def add(self, name: str, obj: object) -> None:
        self.host.add_object(name, obj)

    def require(self, name: str, create: Callable[[], object]) -> Any:
        """The object ``name``, created and added now if it is not there yet."""
        if name not in self.host.objects:
            self.add(name, create())
        return self.host.objects[name]

    @property
    def heaters(self) -> PrinterHeaters:
        def create() -> PrinterHeaters:
            heaters = PrinterHeaters(self.host)
            HeaterTools(self.host, heaters)
            return heaters

        return self.require("heaters", create)  # type: ignore[no-any-return]

    def gcode_move(self) -> GCodeMove:
        return self.require("gcode_move", lambda: GCodeMove(self.host, self.toolhead))  # type: ignore[no-any-return]

    def stepper_enable(self) -> StepperEnable:
        def create() -> StepperEnable:
            rails = [rail.name for rail in self.toolhead.rails]
            return StepperEnable(self.host, rails + (["extruder"] if self.config.has_section("extruder") else []))

        return self.require("stepper_enable", create)  # type: ignore[no-any-return]

    def idle_timeout(self, section: ConfigSection) -> IdleTimeout:
        return self.require(  # type: ignore[no-any-return]
            "idle_timeout", lambda: IdleTimeout(self.host, section, self.templates))


def _macro(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, GCodeMacro(loader.host, section, loader.templates))


def _delayed_gcode(loader: Loader, section: ConfigSection) -> None:
    DelayedGCode(loader.host, section, loader.templates)


def _virtual_sdcard(loader: Loader, section: ConfigSection) -> None:
    print_stats = loader.require("print_stats", lambda: PrintStats(loader.host))
    loader.add("virtual_sdcard", VirtualSD(loader.host, section, print_stats, loader.templates))


def _pause_resume(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, PauseResume(loader.host, section))


def _display(loader: Loader, section: ConfigSection) -> None:
    if "display_status" not in loader.host.objects:
        loader.add("display_status", DisplayStatus(loader.host))


def _respond(loader: Loader, section: ConfigSection) -> None:
    HostResponder(loader.host, section)


def _idle_timeout(loader: Loader, section: ConfigSection) -> None:
    loader.idle_timeout(section)


def _heater_bed(loader: Loader, section: ConfigSection) -> None:
    heaters = loader.heaters
    loader.add(section.name, PrinterHeaterBed(loader.host, section, heaters))


def _fan(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, PrinterFan(loader.host, section))


def _heater_fan(loader: Loader, section: ConfigSection) -> None:
    loader.heaters
    loader.add(section.name, HeaterFan(loader.host, section))


def _temperature_sensor(loader: Loader, section: ConfigSection) -> None:
    heaters = loader.heaters
    loader.add(section.name, TemperatureSensor(loader.host, section, heaters))


def _probe(loader: Loader, section: ConfigSection) -> None:
    loader.add("probe", Probe(loader.host, section))


def _bed_mesh(loader: Loader, section: ConfigSection) -> None:
    if section.name != "bed_mesh":
        return  # a stored profile: read by [bed_mesh]
    profiles = [loader.config.section(name) for name in loader.config.prefix_sections("bed_mesh ")]
    loader.gcode_move()
    loader.add("bed_mesh", BedMesh(loader.host, section, profiles))


def _homing_override(loader: Loader, section: ConfigSection) -> None:
    HomingOverride(loader.host, section, loader.templates)


def _safe_z_home(loader: Loader, section: ConfigSection) -> None:
    SafeZHome(loader.host, section)


def _exclude_object(loader: Loader, section: ConfigSection) -> None:
    loader.gcode_move()
    loader.add("exclude_object", ExcludeObject(loader.host, loader.toolhead))


def _heater_generic(loader: Loader, section: ConfigSection) -> None:
    heaters = loader.heaters
    loader.add(section.name, HeaterGeneric(loader.host, section, heaters))


def _fan_generic(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, FanGeneric(loader.host, section))


def _controller_fan(loader: Loader, section: ConfigSection) -> None:
    loader.stepper_enable()
    loader.heaters
    loader.add(section.name, ControllerFan(loader.host, section))


def _temperature_fan(loader: Loader, section: ConfigSection) -> None:
    heaters = loader.heaters
    loader.add(section.name, TemperatureFan(loader.host, section, heaters))


def _filament_sensor(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, FilamentSensor(loader.host, section, loader.templates))


def _gcode_arcs(loader: Loader, section: ConfigSection) -> None:
    ArcSupport(loader.host, section, loader.gcode_move())


def _firmware_retraction(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, FirmwareRetraction(loader.host, section))


def _save_variables(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, SaveVariables(loader.host, section))


def _led(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, Led(loader.host, section))


def _output_pin(loader: Loader, section: ConfigSection) -> None:
    loader.add(section.name, OutputPin(loader.host, section))


def _read_later(loader: Loader, section: ConfigSection) -> None:
    """Sections whose module Klippy always loads after the config sections."""


Load = Callable[[Loader, ConfigSection], None]
LOADERS: dict[str, Load] = {
    "gcode_macro": _macro,
    "delayed_gcode": _delayed_gcode,
    "virtual_sdcard": _virtual_sdcard,
    "pause_resume": _pause_resume,
    "display_status": _display,
    "display": _display,
    "respond": _respond,
    "idle_timeout": _idle_timeout,
    "heater_bed": _heater_bed,
    "fan": _fan,
    "heater_fan": _heater_fan,
    "temperature_sensor": _temperature_sensor,
    "probe": _probe,
    "bltouch": _probe,
    "bed_mesh": _bed_mesh,
    "homing_override": _homing_override,
    "safe_z_home": _safe_z_home,
    "exclude_object": _exclude_object,
    "heater_generic": _heater_generic,
    "gcode_arcs": _gcode_arcs,
    "firmware_retraction": _firmware_retraction,
    "save_variables": _save_variables,
    "led": _led,
    "neopixel": _led,
    "dotstar": _led,
    "fan_generic": _fan_generic,
    "controller_fan": _controller_fan,
    "temperature_fan": _temperature_fan,
    "filament_switch_sensor": _filament_sensor,
    "filament_motion_sensor": _filament_sensor,
    "output_pin": _output_pin,
    "force_move": _read_later,
}


def load_printer_objects(host: KlippyHost, config: PrinterConfig) -> None:
    """Create every object and command of the configured printer on ``host``,
    in Klippy's order: mcu, the sections in file order, then the toolhead with
    its steppers and extruder, then the modules Klippy always loads."""
    host.add_object("configfile", config)
    SaveConfig(host, config)
    host.add_object("mcu", Mcu(host, config.section("mcu"), host.software_version))
    loader = Loader(host, config)
    toolhead = loader.toolhead
    host.add_object("homing", Homing(host, toolhead))
    for name in config.sections():
        kind = name.split()[0]
        if name in _TOOLHEAD_SECTIONS or kind == "mcu":
            continue
        load = LOADERS.get(kind)
        if load is not None:
            load(loader, config.section(name))
        elif kind not in NO_STATUS_MODULES:
            host.add_object(name, UnmodelledSection())
    host.add_object("query_endstops", QueryEndstops(host, [rail.name for rail in toolhead.rails]))
    loader.stepper_enable()
    host.add_object("motion_report", MotionReport(host, toolhead))
    host.add_object("toolhead", toolhead)
    ToolHeadCommands(host, toolhead)
    if config.has_section("extruder"):
        heaters = loader.heaters
        host.add_object("extruder", PrinterExtruder(host, config.section("extruder"), heaters))
    ForceMove(host, config.section("force_move"), toolhead.stepper_names())
    loader.gcode_move()
    loader.idle_timeout(config.section("idle_timeout"))
    host.add_object("system_stats", SystemStats())
    host.add_object("manual_probe", ManualProbe(host))
    host.add_object("tuning_tower", TuningTower(host))
