"""`[fan_generic NAME]` (SET_FAN_SPEED) and `[controller_fan NAME]` (on while
steppers are enabled or a heater has a target, then for ``idle_timeout`` seconds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost


class FanStatus:
    """A fan's ``speed`` (0..1 after ``max_power`` and ``off_below``) and ``rpm``."""

    def __init__(self, section: ConfigSection):
        section.get("pin")
        self.max_power: float = section.getfloat("max_power", 1.0, above=0.0, maxval=1.0)
        self.off_below: float = section.getfloat("off_below", 0.0, minval=0.0, maxval=1.0)
        section.getfloat("kick_start_time", 0.1, minval=0.0)
        section.getfloat("cycle_time", 0.010, above=0.0)
        section.getboolean("hardware_pwm", False)
        section.getfloat("shutdown_speed", 0.0, minval=0.0, maxval=1.0)
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
