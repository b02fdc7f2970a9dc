"""Heaters and temperature sensors: heater_bed, temperature_sensor, heater_fan
and the `heaters` object with M140/M190, M105, SET_HEATER_TEMPERATURE,
TEMPERATURE_WAIT, TURN_OFF_HEATERS, PID_CALIBRATE and QUERY_ADC (the
extruder's heater is set up here too, see extruder.py)."""

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


# Sensor types that are not an ADC with a pullup (digital chips, host sensors).
_DIGITAL_SENSORS = ("temperature_host", "temperature_mcu", "temperature_combined", "max", "ds18b20", "bme",
                    "htu21d", "sht3x", "lm75", "aht", "si7013", "si7020", "si7021", "sht21")


def is_adc(sensor_type: str) -> bool:
    """An analog sensor (thermistor) Klippy lists in QUERY_ADC."""
    return not sensor_type.lower().startswith(_DIGITAL_SENSORS)


def read_sensor_options(section: ConfigSection) -> str:
    """The sensor type; for a thermistor, also the resistor options Klippy reads."""
    sensor_type: str = section.get("sensor_type")
    if is_adc(sensor_type):
        section.getfloat("pullup_resistor", 4700.0, above=0.0)
        section.getfloat("inline_resistor", 0.0, minval=0.0)
    return sensor_type


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
        for option in ("heater_pin", "sensor_pin"):
            section.get(option)
        self.adc = is_adc(read_sensor_options(section))
        verify = section.config.section(f"verify_heater {self.short_name}")
        verify.getfloat("max_error", 120.0, minval=0.0)
        verify.getfloat("check_gain_time", 20.0 if self.short_name != "heater_bed" else 60.0, minval=1.0)
        verify.getfloat("hysteresis", 5.0, minval=0.0)
        verify.getfloat("heating_gain", 2.0, above=0.0)
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

    def setup_heater(self, section: ConfigSection, gcode_id: str | None) -> Heater:
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


class HeaterGeneric:
    """A `heater_generic NAME`: set with SET_HEATER_TEMPERATURE; in M105 only with a ``gcode_id``."""

    def __init__(self, host: KlippyHost, section: ConfigSection, heaters: PrinterHeaters):
        self.heater = heaters.setup_heater(section, section.get("gcode_id", None))
        self.get_status = self.heater.get_status
        self.get_temp = self.heater.get_temp
