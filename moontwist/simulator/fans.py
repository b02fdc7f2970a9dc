"""`[fan_generic NAME]` (SET_FAN_SPEED), `[controller_fan NAME]` (on while
steppers are enabled or a heater has a target, then for ``idle_timeout`` seconds)
and `[temperature_fan NAME]`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.simulator.gcode import CommandError, GCodeCommand
from moontwist.simulator.heaters import is_adc, read_sensor_options
from moontwist.simulator.physics import AMBIENT

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.heaters import PrinterHeaters
    from moontwist.simulator.host import KlippyHost


class FanStatus:
    """A fan's ``speed`` (0..1 after ``max_power`` and ``off_below``) and ``rpm``."""

    def __init__(self, section: ConfigSection, default_shutdown_speed: float = 0.0):
        section.get("pin")
        self.max_power: float = section.getfloat("max_power", 1.0, above=0.0, maxval=1.0)
        self.off_below: float = section.getfloat("off_below", 0.0, minval=0.0, maxval=1.0)
        section.getfloat("kick_start_time", 0.1, minval=0.0)
        section.getfloat("cycle_time", 0.010, above=0.0)
        section.getboolean("hardware_pwm", False)
        section.getfloat("shutdown_speed", default_shutdown_speed, minval=0.0, maxval=1.0)
        self.status: dict[str, Any] = {"speed": 0.0, "rpm": None}

    def set_speed(self, value: float) -> None:
        value = max(0.0, min(self.max_power, value * self.max_power))
        if value < self.off_below:
            value = 0.0
        if value != self.status["speed"]:
            self.status = {"speed": value, "rpm": None}

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self.status


class FanGeneric(FanStatus):
    cmd_SET_FAN_SPEED_help = "Sets the speed of a fan"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        super().__init__(section)
        host.gcode.register_mux_command("SET_FAN_SPEED", "FAN", section.name.split()[-1], self.cmd_SET_FAN_SPEED,
                                        desc=self.cmd_SET_FAN_SPEED_help)

    def cmd_SET_FAN_SPEED(self, gcmd: GCodeCommand) -> None:
        speed = gcmd.get_float("SPEED", None, minval=0.0)
        template = gcmd.get("TEMPLATE", None)
        if (speed is None) == (template is None):
            raise CommandError("SET_FAN_SPEED must specify SPEED or TEMPLATE")
        if speed is None:
            raise CommandError("SET_FAN_SPEED TEMPLATE is not supported by the simulator")
        self.set_speed(speed)


class ControllerFan(FanStatus):
    """Checked once a second, like Klippy's timer."""

    def __init__(self, host: KlippyHost, section: ConfigSection):
        super().__init__(section)
        self.host = host
        self.fan_speed: float = section.getfloat("fan_speed", 1.0, minval=0.0, maxval=1.0)
        self.idle_speed: float = section.getfloat("idle_speed", self.fan_speed, minval=0.0, maxval=1.0)
        self.idle_timeout: int = section.getint("idle_timeout", 30, minval=0)
        self.heater_names: list[str] = section.getlist("heater", ["extruder"])
        self.stepper_names: list[str] | None = section.getlist("stepper", None)
        self.off_for = self.idle_timeout

    def stats(self, eventtime: float) -> None:
        enabled = self.host.lookup_object("stepper_enable").get_status(eventtime)["steppers"]
        steppers = self.stepper_names if self.stepper_names is not None else list(enabled)
        active = any(enabled.get(name) for name in steppers)
        heaters = self.host.objects.get("heaters")
        for name in self.heater_names:
            heater = heaters.heaters.get(name) if heaters is not None else None
            if heater is not None and heater.get_temp(eventtime)[1]:
                active = True
        if active:
            self.off_for = 0
            self.set_speed(self.fan_speed)
        elif self.off_for < self.idle_timeout:
            self.off_for += 1
            self.set_speed(self.idle_speed)
        else:
            self.set_speed(0.0)


class TemperatureFan(FanStatus):
    """`[temperature_fan NAME]`: a fan cooling what its sensor measures (the
    simulated host SoC, or ambient air), at full speed above its target and at
    ``min_speed`` below it (watermark control; PID behaves alike here)."""

    cmd_SET_TEMPERATURE_FAN_TARGET_help = "Sets a temperature fan target and fan speed limits"

    def __init__(self, host: KlippyHost, section: ConfigSection, heaters: PrinterHeaters):
        super().__init__(section, default_shutdown_speed=1.0)
        self.host = host
        self.name = section.name.split()[1]
        self.min_temp: float = section.getfloat("min_temp", minval=-273.15)
        self.max_temp: float = section.getfloat("max_temp", above=self.min_temp)
        self.sensor_type = read_sensor_options(section)
        self.adc = is_adc(self.sensor_type)
        section.get("sensor_pin", None)
        self.max_speed: float = section.getfloat("max_speed", 1.0, above=0.0, maxval=1.0)
        self.min_speed: float = section.getfloat("min_speed", 0.3, minval=0.0, maxval=1.0)
        self.target_conf: float = section.getfloat("target_temp", 40.0 if self.max_temp > 40.0 else self.max_temp,
                                                   minval=self.min_temp, maxval=self.max_temp)
        self.target = self.target_conf
        if section.getchoice("control", ["watermark", "pid"]) == "pid":
            for option in ("pid_kp", "pid_ki", "pid_kd"):
                section.getfloat(option)
        else:
            section.getfloat("max_delta", 2.0, above=0.0)
        self.temperature = 0.0
        heaters.register_sensor(section.name, self)
        host.gcode.register_mux_command("SET_TEMPERATURE_FAN_TARGET", "TEMPERATURE_FAN", self.name,
                                        self.cmd_SET_TEMPERATURE_FAN_TARGET,
                                        desc=self.cmd_SET_TEMPERATURE_FAN_TARGET_help)

    def stats(self, eventtime: float) -> None:
        world = self.host.world
        world.advance(eventtime)
        reading = world.host_temperature() if self.sensor_type == "temperature_host" else AMBIENT
        self.temperature = reading
        if self.target <= 0.0:
            speed = 0.0
        else:
            speed = self.max_speed if reading >= self.target else self.min_speed
        self.set_speed(speed)

    def get_temp(self, eventtime: float) -> tuple[float, float]:
        return self.temperature, self.target

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return dict(self.status, temperature=round(self.temperature, 2), target=self.target)

    def cmd_SET_TEMPERATURE_FAN_TARGET(self, gcmd: GCodeCommand) -> None:
        target = gcmd.get_float("TARGET", self.target_conf)
        if target and (target < self.min_temp or target > self.max_temp):
            raise CommandError("Requested temperature (%.1f) out of range (%.1f:%.1f)"
                               % (target, self.min_temp, self.max_temp))
        self.target = target
        min_speed = gcmd.get_float("MIN_SPEED", self.min_speed)
        max_speed = gcmd.get_float("MAX_SPEED", self.max_speed)
        if min_speed > max_speed:
            raise CommandError("Requested min speed (%.1f) is greater than max speed (%.1f)" % (min_speed, max_speed))
        for label, speed in (("min", min_speed), ("max", max_speed)):
            if speed and not 0.0 <= speed <= 1.0:
                raise CommandError("Requested %s speed (%.1f) out of range (0.0 : 1.0)" % (label, speed))
        self.min_speed, self.max_speed = min_speed, max_speed
