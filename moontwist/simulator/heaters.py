"""Heaters and temperature sensors: extruder, heater_bed, temperature_sensor,
heater_fan and the `heaters` object with M104/M109/M140/M190, M105,
SET_HEATER_TEMPERATURE, TEMPERATURE_WAIT and TURN_OFF_HEATERS."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.physics import ThermalBody

SETTLE_DELTA = 1.0
SETTLE_SLOPE = 0.1
WAIT_REPORT_INTERVAL = 1.0


class Sensor(Protocol):
    def get_temp(self, eventtime: float) -> tuple[float, float]: ...


class Heater:
    """One heater: a target set by G-code, a thermal body that follows it."""

    cmd_SET_HEATER_TEMPERATURE_help = "Sets a heater temperature"

    def __init__(self, host: KlippyHost, section: ConfigSection, body: ThermalBody):
        self.host = host
        self.body = body
        self.name = section.name
        self.short_name = self.name.split()[-1]
        self.min_temp: float = section.getfloat("min_temp")
        self.max_temp: float = section.getfloat("max_temp")
        self.min_extrude_temp: float = section.getfloat("min_extrude_temp", 170.0)
        body.max_power = section.getfloat("max_power", 1.0)
        section.getfloat("smooth_time", 1.0)
        section.getfloat("pwm_cycle_time", 0.1)
        if section.get("control") == "pid":
            for option in ("pid_kp", "pid_ki", "pid_kd"):
                section.getfloat(option)
        else:
            section.getfloat("max_delta", 2.0)
        for option in ("heater_pin", "sensor_type", "sensor_pin"):
            section.get(option)
        host.gcode.register_mux_command(
            "SET_HEATER_TEMPERATURE", "HEATER", self.short_name, self.cmd_SET_HEATER_TEMPERATURE,
            desc=self.cmd_SET_HEATER_TEMPERATURE_help,
        )
        host.register_event_handler("klippy:shutdown", self._handle_shutdown)

    def temperature(self, eventtime: float) -> float:
        self.host.world.advance(eventtime)
        return self.body.temperature

    def can_extrude(self, eventtime: float) -> bool:
        return self.min_extrude_temp <= 0.0 or self.temperature(eventtime) >= self.min_extrude_temp

    def set_temp(self, degrees: float) -> None:
        if degrees and (degrees < self.min_temp or degrees > self.max_temp):
            raise CommandError(
                "Requested temperature (%.1f) out of range (%.1f:%.1f)" % (degrees, self.min_temp, self.max_temp)
            )
        self.body.target = degrees

    def get_temp(self, eventtime: float) -> tuple[float, float]:
        return self.temperature(eventtime), self.body.target

    def check_busy(self, eventtime: float) -> bool:
        """Still settling: away from the target or still moving (Klippy's PID rule)."""
        temperature = self.temperature(eventtime)
        return abs(self.body.target - temperature) > SETTLE_DELTA or abs(self.body.slope) > SETTLE_SLOPE

    def get_status(self, eventtime: float) -> dict[str, Any]:
        temperature = self.temperature(eventtime)
        return {"temperature": round(temperature, 2), "target": self.body.target, "power": self.body.power}

    def cmd_SET_HEATER_TEMPERATURE(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        heaters: PrinterHeaters = self.host.lookup_object("heaters")
        return heaters.set_temperature(self, gcmd.get_float("TARGET", 0.0))

    def _handle_shutdown(self) -> None:
        self.body.disabled = True


class PrinterHeaters:
    """The `heaters` object: the registry of heaters and sensors, and M105."""

    cmd_TURN_OFF_HEATERS_help = "Turn off all heaters"
    cmd_TEMPERATURE_WAIT_help = "Wait for a temperature on a sensor"

    def __init__(self, host: KlippyHost):
        self.host = host
        self.heaters: dict[str, Heater] = {}
        self.sensors: dict[str, Sensor] = {}
        self.gcode_ids: dict[str, Sensor] = {}
        self.available_heaters: list[str] = []
        self.available_sensors: list[str] = []
        self.has_started = False
        host.gcode.register_command("TURN_OFF_HEATERS", self.cmd_TURN_OFF_HEATERS, desc=self.cmd_TURN_OFF_HEATERS_help)
        host.gcode.register_command("M105", self.cmd_M105, True)
        host.register_event_handler("klippy:ready", self._handle_ready)
        host.register_event_handler("gcode:request_restart", self.turn_off_all_heaters)

    def setup_heater(self, section: ConfigSection, gcode_id: str) -> Heater:
        heater = Heater(self.host, section, self.host.world.body(section.name))
        self.heaters[heater.short_name] = heater
        self.register_sensor(section.name, heater, gcode_id)
        self.available_heaters = self.available_heaters + [section.name]
        return heater

    def register_sensor(self, name: str, sensor: Sensor, gcode_id: str | None = None) -> None:
        self.sensors[name] = sensor
        self.available_sensors = self.available_sensors + [name]
        self.host.gcode.register_mux_command(
            "TEMPERATURE_WAIT", "SENSOR", name, self.cmd_TEMPERATURE_WAIT, desc=self.cmd_TEMPERATURE_WAIT_help
        )
        if gcode_id is not None:
            self.gcode_ids[gcode_id] = sensor

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {
            "available_heaters": self.available_heaters,
            "available_sensors": self.available_sensors,
            "available_monitors": [],
        }

    def _handle_ready(self) -> None:
        self.has_started = True

    def turn_off_all_heaters(self) -> None:
        for heater in self.heaters.values():
            heater.set_temp(0.0)

    def cmd_TURN_OFF_HEATERS(self, gcmd: GCodeCommand) -> None:
        self.turn_off_all_heaters()

    def temperature_report(self, eventtime: float) -> str:
        """The M105 line, e.g. ``B:60.0 /60.0 T0:209.8 /210.0``."""
        parts = []
        if self.has_started:
            for gcode_id, sensor in sorted(self.gcode_ids.items()):
                current, target = sensor.get_temp(eventtime)
                parts.append("%s:%.1f /%.1f" % (gcode_id, current, target))
        return " ".join(parts) if parts else "T:0"

    def cmd_M105(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_raw(self.temperature_report(self.host.monotonic()))

    def set_temperature(self, heater: Heater, temperature: float, wait: bool = False) -> Deferred[None] | None:
        self.host.lookup_object("toolhead").note_activity()
        heater.set_temp(temperature)
        if wait and temperature:
            return Deferred.fromCoroutine(self._wait_for_temperature(heater))
        return None

    async def _wait_for_temperature(self, heater: Heater) -> None:
        host = self.host
        toolhead = host.lookup_object("toolhead")
        while not host.is_shutdown() and heater.check_busy(host.monotonic()):
            toolhead.note_activity()
            host.gcode.respond_raw(self.temperature_report(host.monotonic()))
            await host.timers.sleep(WAIT_REPORT_INTERVAL)

    def cmd_TEMPERATURE_WAIT(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        sensor = self.sensors[gcmd.get("SENSOR")]
        minimum = gcmd.get_float("MINIMUM", -math.inf)
        maximum = gcmd.get_float("MAXIMUM", math.inf, above=minimum)
        if minimum == -math.inf and maximum == math.inf:
            raise CommandError("Error on 'TEMPERATURE_WAIT': missing MINIMUM or MAXIMUM.")
        return Deferred.fromCoroutine(self._wait_for_range(sensor, minimum, maximum, gcmd))

    async def _wait_for_range(self, sensor: Sensor, minimum: float, maximum: float, gcmd: GCodeCommand) -> None:
        host = self.host
        while not host.is_shutdown():
            temperature, _ = sensor.get_temp(host.monotonic())
            if minimum <= temperature <= maximum:
                return
            host.lookup_object("toolhead").note_activity()
            gcmd.respond_raw(self.temperature_report(host.monotonic()))
            await host.timers.sleep(WAIT_REPORT_INTERVAL)


class PrinterExtruder:
    """The `extruder` object: the hotend heater plus the extrusion checks."""

    def __init__(self, host: KlippyHost, section: ConfigSection, heaters: PrinterHeaters):
        self.host = host
        self.name = section.name
        self.heater = heaters.setup_heater(section, "T0")
        self.nozzle_diameter: float = section.getfloat("nozzle_diameter")
        filament_diameter: float = section.getfloat("filament_diameter")
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
        section.getfloat("rotation_distance")
        toolhead.extruder = self
        host.gcode.register_command("M104", self.cmd_M104)
        host.gcode.register_command("M109", self.cmd_M109)

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


class PrinterHeaterBed:
    """The `heater_bed` object with M140/M190."""

    def __init__(self, host: KlippyHost, section: ConfigSection, heaters: PrinterHeaters):
        self.host = host
        self.heater = heaters.setup_heater(section, "B")
        self.get_status = self.heater.get_status
        self.get_temp = self.heater.get_temp
        host.gcode.register_command("M140", self.cmd_M140)
        host.gcode.register_command("M190", self.cmd_M190)

    def cmd_M140(self, gcmd: GCodeCommand, wait: bool = False) -> Deferred[None] | None:
        heaters: PrinterHeaters = self.host.lookup_object("heaters")
        return heaters.set_temperature(self.heater, gcmd.get_float("S", 0.0), wait)

    def cmd_M190(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        return self.cmd_M140(gcmd, wait=True)


class TemperatureSensor:
    """A `temperature_sensor NAME` reading the (simulated) host SoC, once a second."""

    def __init__(self, host: KlippyHost, section: ConfigSection, heaters: PrinterHeaters):
        self.host = host
        section.get("sensor_type")
        section.getfloat("min_temp", -273.15)
        section.getfloat("max_temp", 99999999.9)
        self.last_temp = 0.0
        self.measured_min = 99999999.0
        self.measured_max = 0.0
        self._status = self._build_status()
        heaters.register_sensor(section.name, self)
        self.stats(host.monotonic())

    def _build_status(self) -> dict[str, Any]:
        return {
            "temperature": round(self.last_temp, 2),
            "measured_min_temp": round(self.measured_min, 2),
            "measured_max_temp": round(self.measured_max, 2),
        }

    def stats(self, eventtime: float) -> None:
        self.host.world.advance(eventtime)
        self.last_temp = temperature = self.host.world.host_temperature()
        self.measured_min = min(self.measured_min, temperature)
        self.measured_max = max(self.measured_max, temperature)
        self._status = self._build_status()

    def get_temp(self, eventtime: float) -> tuple[float, float]:
        return self.last_temp, 0.0

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status


class HeaterFan:
    """A `heater_fan NAME`: full speed while its heater is on or hot (checked each second)."""

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.host = host
        section.get("pin")
        self.heater_names: list[str] = section.getlist("heater", ["extruder"])
        self.heater_temp: float = section.getfloat("heater_temp", 50.0)
        self.fan_speed: float = section.getfloat("fan_speed", 1.0)
        self._status: dict[str, Any] = {"speed": 0.0, "rpm": None}
        host.register_event_handler("klippy:shutdown", lambda: self._set_speed(1.0))

    def _set_speed(self, speed: float) -> None:
        if speed != self._status["speed"]:
            self._status = {"speed": speed, "rpm": None}

    def stats(self, eventtime: float) -> None:
        if self.host.is_shutdown():
            return
        heaters: PrinterHeaters = self.host.lookup_object("heaters")
        speed = 0.0
        for name in self.heater_names:
            temperature, target = heaters.heaters[name].get_temp(eventtime)
            if target or temperature > self.heater_temp:
                speed = self.fan_speed
        self._set_speed(speed)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status
