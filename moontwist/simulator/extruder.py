"""The `extruder` object: its heater, extrusion limits and commands."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.heaters import PrinterHeaters
    from moontwist.simulator.host import KlippyHost


class PrinterExtruder:
    """The `extruder` object: the hotend heater, the extrusion checks and the
    extruder commands."""

    cmd_SET_PRESSURE_ADVANCE_help = "Set pressure advance parameters"
    cmd_SET_EXTRUDER_ROTATION_DISTANCE_help = "Set extruder rotation distance"
    cmd_SYNC_EXTRUDER_MOTION_help = "Set extruder stepper motion queue"
    cmd_ACTIVATE_EXTRUDER_help = "Change the active extruder"

    def __init__(self, host: KlippyHost, section: ConfigSection, heaters: PrinterHeaters):
        self.host = host
        self.name = section.name
        self.heater = heaters.setup_heater(section, "T0")
        self.nozzle_diameter: float = section.getfloat("nozzle_diameter", above=0.0)
        filament_diameter: float = section.getfloat("filament_diameter", minval=self.nozzle_diameter)
        self.filament_area = math.pi * (filament_diameter * 0.5) ** 2
        default_cross_section = 4.0 * self.nozzle_diameter**2
        default_ratio = default_cross_section / self.filament_area
        self.max_extrude_ratio = section.getfloat("max_extrude_cross_section", default_cross_section) / self.filament_area
        toolhead = host.lookup_object("toolhead")
        self.max_e_velocity: float = section.getfloat("max_extrude_only_velocity", toolhead.max_velocity * default_ratio)
        section.getfloat("max_extrude_only_accel", toolhead.max_accel * default_ratio)
        self.max_e_dist: float = section.getfloat("max_extrude_only_distance", 50.0)
        section.getfloat("instantaneous_corner_velocity", 1.0)
        self.pressure_advance: float = section.getfloat("pressure_advance", 0.0)
        self.smooth_time: float = section.getfloat("pressure_advance_smooth_time", 0.040)
        for option in ("step_pin", "dir_pin", "enable_pin"):
            section.get(option)
        section.getint("microsteps")
        section.getint("full_steps_per_rotation", 200)
        section.getlist("gear_ratio", [])
        toolhead.extruder = self
        self.rotation_distance: float = section.getfloat("rotation_distance")
        gcode = host.gcode
        gcode.register_command("M104", self.cmd_M104)
        gcode.register_command("M109", self.cmd_M109)
        gcode.register_mux_command("SET_PRESSURE_ADVANCE", "EXTRUDER", None, self.cmd_SET_PRESSURE_ADVANCE,
                                   desc=self.cmd_SET_PRESSURE_ADVANCE_help)
        gcode.register_mux_command("SET_PRESSURE_ADVANCE", "EXTRUDER", self.name, self.cmd_SET_PRESSURE_ADVANCE,
                                   desc=self.cmd_SET_PRESSURE_ADVANCE_help)
        gcode.register_mux_command("SET_EXTRUDER_ROTATION_DISTANCE", "EXTRUDER", self.name,
                                   self.cmd_SET_EXTRUDER_ROTATION_DISTANCE,
                                   desc=self.cmd_SET_EXTRUDER_ROTATION_DISTANCE_help)
        gcode.register_mux_command("SYNC_EXTRUDER_MOTION", "EXTRUDER", self.name, self.cmd_SYNC_EXTRUDER_MOTION,
                                   desc=self.cmd_SYNC_EXTRUDER_MOTION_help)
        gcode.register_mux_command("ACTIVATE_EXTRUDER", "EXTRUDER", self.name, self.cmd_ACTIVATE_EXTRUDER,
                                   desc=self.cmd_ACTIVATE_EXTRUDER_help)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        status = self.heater.get_status(eventtime)
        status["can_extrude"] = self.heater.can_extrude(eventtime)
        status["pressure_advance"] = self.pressure_advance
        status["smooth_time"] = self.smooth_time
        status["motion_queue"] = None
        return status

    def get_temp(self, eventtime: float) -> tuple[float, float]:
        return self.heater.get_temp(eventtime)

    def check_move(self, end: list[float], delta: list[float], distance: float, kinematic: bool, velocity: float) -> float:
        """Refuse cold, too long or too thick extrusion; return the allowed velocity."""
        if not self.heater.can_extrude(self.host.monotonic()):
            raise CommandError("Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details")
        ratio = delta[3] / distance
        if not kinematic or (not delta[0] and not delta[1]) or ratio < 0.0:
            if abs(delta[3]) > self.max_e_dist:
                raise CommandError(
                    "Extrude only move too long (%.3fmm vs %.3fmm)\n"
                    "See the 'max_extrude_only_distance' config option for details" % (delta[3], self.max_e_dist)
                )
            return min(velocity, self.max_e_velocity / abs(ratio))
        if ratio > self.max_extrude_ratio and delta[3] > self.nozzle_diameter * self.max_extrude_ratio:
            raise CommandError(
                "Move exceeds maximum extrusion (%.3fmm^2 vs %.3fmm^2)\n"
                "See the 'max_extrude_cross_section' config option for details"
                % (ratio * self.filament_area, self.max_extrude_ratio * self.filament_area)
            )
        return velocity

    def cmd_M104(self, gcmd: GCodeCommand, wait: bool = False) -> Deferred[None] | None:
        temperature = gcmd.get_float("S", 0.0)
        index = gcmd.get_int("T", None, minval=0)
        if index:
            if temperature <= 0.0:
                return None
            raise CommandError("Extruder not configured")
        heaters: PrinterHeaters = self.host.lookup_object("heaters")
        return heaters.set_temperature(self.heater, temperature, wait)

    def cmd_M109(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        return self.cmd_M104(gcmd, wait=True)


    def cmd_SET_PRESSURE_ADVANCE(self, gcmd: GCodeCommand) -> None:
        advance = gcmd.get_float("ADVANCE", self.pressure_advance, minval=0.0)
        smooth_time = gcmd.get_float("SMOOTH_TIME", self.smooth_time, minval=0.0, maxval=0.200)
        self.pressure_advance, self.smooth_time = advance, smooth_time
        gcmd.respond_info("pressure_advance: %.6f\npressure_advance_smooth_time: %.6f" % (advance, smooth_time))

    def cmd_SET_EXTRUDER_ROTATION_DISTANCE(self, gcmd: GCodeCommand) -> None:
        distance = gcmd.get_float("DISTANCE", None)
        if distance is not None:
            if not distance:
                raise CommandError("Rotation distance can not be zero")
            self.rotation_distance = distance
        gcmd.respond_info("Extruder '%s' rotation distance set to %0.6f" % (self.name, self.rotation_distance))

    def cmd_SYNC_EXTRUDER_MOTION(self, gcmd: GCodeCommand) -> None:
        queue = gcmd.get("MOTION_QUEUE")
        if queue and queue != self.name:
            raise CommandError(f"'{queue}' is not a valid extruder.")
        gcmd.respond_info("Extruder '%s' now syncing with '%s'" % (self.name, queue))

    def cmd_ACTIVATE_EXTRUDER(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_info("Extruder %s already active" % (self.name,))
