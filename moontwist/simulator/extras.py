"""Smaller config sections: `[force_move]`, `[homing_override]`, `[safe_z_home]`, `[output_pin NAME]`,
and the sections the simulator accepts without modelling them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.configreader import ConfigError
from moontwist.simulator.gcode import CommandError, GCodeCommand, Handler, maybe_await
from moontwist.simulator.toolhead import AXES

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.macros import Templates
    from moontwist.simulator.toolhead import ToolHead

BUZZ_DISTANCE = 1.0
BUZZ_VELOCITY = BUZZ_DISTANCE / 0.250

# Klippy's extras that have no status: a section of one of these is accepted and
# not listed in objects/list; any other section the simulator does not model is
# listed with an empty status.
NO_STATUS_MODULES = frozenset(
    "ad5206 adc_scaled adc_temperature ads1x1x adxl345 axis_twist_compensation bed_tilt bmi160 board_pins "
    "canbus_ids dac084S085 delta_calibrate duplicate_pin_override error_mcu force_move "
    "homing_heaters homing_override icm20948 ldc1612 lis2dw lis3dh mcp4018 mcp4451 mcp4728 mpu9250 "
    "pid_calibrate pulse_counter query_adc replicape resonance_tester respond samd_sercom "
    "sdcard_loop spi_temperature static_digital_output static_pwm_clock sx1509 thermistor "
    "tsl1401cl_filament_width_sensor tuning_tower verify_heater include".split()
)


def take_over_g28(host: KlippyHost, handler: Handler) -> Handler:
    """Register ``handler`` as G28; the G28 it replaces (homing's, always loaded first)."""
    previous = host.gcode.unregister_command("G28")
    assert previous is not None, "homing registers G28 before the config sections load"
    host.gcode.register_command("G28", handler)
    return previous


class UnmodelledSection:
    """A section the simulator reads but does not act on: listed, with no fields."""

    STATUS: dict[str, Any] = {}

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self.STATUS


class ForceMove:
    """STEPPER_BUZZ always; FORCE_MOVE and SET_KINEMATIC_POSITION with ``enable_force_move``."""

    cmd_STEPPER_BUZZ_help = "Oscillate a given stepper to help id it"
    cmd_FORCE_MOVE_help = "Manually move a stepper; invalidates kinematics"
    cmd_SET_KINEMATIC_POSITION_help = "Force a low-level kinematic position"

    def __init__(self, host: KlippyHost, section: ConfigSection, steppers: list[str]):
        self.host = host
        enabled = section.getboolean("enable_force_move", False)
        gcode = host.gcode
        if enabled:
            gcode.register_command("SET_KINEMATIC_POSITION", self.cmd_SET_KINEMATIC_POSITION,
                                   desc=self.cmd_SET_KINEMATIC_POSITION_help)
        for name in steppers:
            gcode.register_mux_command("STEPPER_BUZZ", "STEPPER", name, self.cmd_STEPPER_BUZZ,
                                       desc=self.cmd_STEPPER_BUZZ_help)
            if enabled:
                gcode.register_mux_command("FORCE_MOVE", "STEPPER", name, self.cmd_FORCE_MOVE,
                                           desc=self.cmd_FORCE_MOVE_help)

    def _toolhead(self) -> ToolHead:
        return self.host.lookup_object("toolhead")  # type: ignore[no-any-return]

    def cmd_STEPPER_BUZZ(self, gcmd: GCodeCommand) -> Deferred[None]:
        self.host.lookup_object("stepper_enable").set_enabled([gcmd.get("STEPPER")], True)
        return Deferred.fromCoroutine(self._buzz())

    async def _buzz(self) -> None:
        toolhead = self._toolhead()
        for _ in range(10):
            await maybe_await(toolhead.dwell(2 * BUZZ_DISTANCE / BUZZ_VELOCITY + 0.5))

    def cmd_FORCE_MOVE(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        stepper = gcmd.get("STEPPER")
        distance = gcmd.get_float("DISTANCE")
        velocity = gcmd.get_float("VELOCITY", above=0.0)
        gcmd.get_float("ACCEL", 0.0, minval=0.0)
        self.host.lookup_object("stepper_enable").set_enabled([stepper], True)
        toolhead = self._toolhead()
        if stepper.startswith("stepper_") and stepper[-1] in AXES:
            toolhead.clear_homing_state(stepper[-1])
        return toolhead.dwell(abs(distance) / velocity)

    def cmd_SET_KINEMATIC_POSITION(self, gcmd: GCodeCommand) -> None:
        toolhead = self._toolhead()
        position = list(toolhead.commanded_pos)
        for index, axis in enumerate("XYZ"):
            position[index] = gcmd.get_float(axis, position[index])
        set_homed = gcmd.get("SET_HOMED", "xyz").lower()
        clear = gcmd.get("CLEAR_HOMED", None)
        clear_homed = (gcmd.get("CLEAR", "") if clear is None else clear).lower()
        toolhead.set_position(position, "".join(axis for axis in AXES if axis in set_homed))
        toolhead.clear_homing_state("".join(axis for axis in AXES if axis in clear_homed))


class HomingOverride:
    """`[homing_override]`: G28 runs the section's template (a G28 inside it homes for real)."""

    def __init__(self, host: KlippyHost, section: ConfigSection, templates: Templates):
        self.host = host
        self.start_position = [section.getfloat("set_position_" + axis, None) for axis in AXES]
        self.axes: str = section.get("axes", "XYZ").upper()
        self.template = templates.load(section, "gcode")
        self.in_script = False
        self.previous = take_over_g28(host, self.cmd_G28)

    def cmd_G28(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        if self.in_script:
            return self.previous(gcmd)
        requested = [axis for axis in "XYZ" if gcmd.get(axis, None) is not None]
        if requested and not any(axis in self.axes for axis in requested):
            return self.previous(gcmd)
        toolhead: ToolHead = self.host.lookup_object("toolhead")
        position = list(toolhead.commanded_pos)
        homing_axes = ""
        for index, value in enumerate(self.start_position):
            if value is not None:
                position[index] = value
                homing_axes += AXES[index]
        toolhead.set_position(position, homing_axes)
        context = self.template.templates.context()
        context["params"] = dict(gcmd.params)
        context["rawparams"] = gcmd.raw_parameters()
        script = self.template.render(context)
        self.in_script = True

        def finished(result: object) -> object:
            self.in_script = False
            return result

        return self.host.gcode.run_script_from_command(script).addBoth(finished)


class SafeZHome:
    """`[safe_z_home]`: G28 homes X and Y, moves to ``home_xy_position``, then homes Z."""

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.host = host
        self.home_x, self.home_y = section.getfloatlist("home_xy_position", count=2)
        self.z_hop: float = section.getfloat("z_hop", 0.0)
        self.z_hop_speed: float = section.getfloat("z_hop_speed", 15.0, above=0.0)
        self.speed: float = section.getfloat("speed", 50.0, above=0.0)
        self.move_to_previous: bool = section.getboolean("move_to_previous", False)
        if section.config.has_section("homing_override"):
            raise ConfigError("homing_override and safe_z_homing cannot be used simultaneously")
        self.previous = take_over_g28(host, self.cmd_G28)

    def _home(self, axes: str) -> Deferred[None] | None:
        params = {axis: "0" for axis in axes}
        return self.previous(GCodeCommand(self.host.gcode, "G28", "G28", params))

    def cmd_G28(self, gcmd: GCodeCommand) -> Deferred[None]:
        return Deferred.fromCoroutine(self._home_safely(gcmd))

    async def _lift(self, toolhead: ToolHead) -> None:
        position = list(toolhead.commanded_pos)
        position[2] = self.z_hop
        await maybe_await(toolhead.move(position, self.z_hop_speed))

    async def _home_safely(self, gcmd: GCodeCommand) -> None:
        toolhead: ToolHead = self.host.lookup_object("toolhead")
        if self.z_hop:
            if "z" not in toolhead.homed_axes():
                position = list(toolhead.commanded_pos)
                position[2] = 0.0
                toolhead.set_position(position, "z")
                await self._lift(toolhead)
                toolhead.clear_homing_state("z")
            elif toolhead.commanded_pos[2] < self.z_hop:
                await self._lift(toolhead)
        wanted = "".join(axis for axis in "XYZ" if gcmd.get(axis, None) is not None) or "XYZ"
        if "X" in wanted or "Y" in wanted:
            await maybe_await(self._home("".join(axis for axis in "XY" if axis in wanted)))
        if "Z" not in wanted:
            return
        if "x" not in toolhead.homed_axes() or "y" not in toolhead.homed_axes():
            raise CommandError("Must home X and Y axes first")
        previous = list(toolhead.commanded_pos)
        position = list(previous)
        position[0], position[1] = self.home_x, self.home_y
        await maybe_await(toolhead.move(position, self.speed))
        await maybe_await(self._home("Z"))
        if self.z_hop and toolhead.commanded_pos[2] < self.z_hop:
            await self._lift(toolhead)
        if self.move_to_previous:
            position = list(toolhead.commanded_pos)
            position[0], position[1] = previous[0], previous[1]
            await maybe_await(toolhead.move(position, self.speed))


class OutputPin:
    """`[output_pin NAME]` with SET_PIN."""

    cmd_SET_PIN_help = "Set the value of an output pin"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.is_pwm: bool = section.getboolean("pwm", False)
        section.get("pin")
        self.scale = 1.0
        if self.is_pwm:
            section.getfloat("cycle_time", 0.100, above=0.0)
            section.getboolean("hardware_pwm", False)
            self.scale = section.getfloat("scale", 1.0, above=0.0)
        self.value: float = section.getfloat("value", 0.0, minval=0.0, maxval=self.scale) / self.scale
        section.getfloat("shutdown_value", 0.0, minval=0.0, maxval=self.scale)
        self._status = {"value": self.value}
        host.gcode.register_mux_command("SET_PIN", "PIN", section.name.split()[1], self.cmd_SET_PIN,
                                        desc=self.cmd_SET_PIN_help)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status

    def cmd_SET_PIN(self, gcmd: GCodeCommand) -> None:
        value = gcmd.get_float("VALUE", None, minval=0.0, maxval=self.scale)
        template = gcmd.get("TEMPLATE", None)
        if (value is None) == (template is None):
            raise CommandError("SET_PIN command must specify VALUE or TEMPLATE")
        if value is None:
            raise CommandError("SET_PIN TEMPLATE is not supported by the simulator")
        value /= self.scale
        if not self.is_pwm and value not in (0.0, 1.0):
            raise CommandError("Invalid pin value")
        if value != self.value:
            self.value = value
            self._status = {"value": value}
