"""G-code coordinates: G0/G1, G90/G91, M82/M83, G92, M114, M220/M221,
SET_GCODE_OFFSET and SAVE/RESTORE_GCODE_STATE, with Klippy's semantics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand, maybe_await
from moontwist.simulator.toolhead import Coord

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.toolhead import ToolHead

AXIS_MAP = {"X": 0, "Y": 1, "Z": 2, "E": 3}


class GCodeMove:
    """The `gcode_move` object and the commands that change its state."""

    cmd_SET_GCODE_OFFSET_help = "Set a virtual offset to g-code positions"
    cmd_SAVE_GCODE_STATE_help = "Save G-Code coordinate state"
    cmd_RESTORE_GCODE_STATE_help = "Restore a previously saved G-Code state"
    cmd_GET_POSITION_help = "Return information on the current location of the toolhead"

    def __init__(self, host: KlippyHost, toolhead: ToolHead):
        self.host = host
        self.toolhead = toolhead
        self.absolute_coord = self.absolute_extrude = True
        self.base_position = [0.0, 0.0, 0.0, 0.0]
        self.last_position = [0.0, 0.0, 0.0, 0.0]
        self.homing_position = [0.0, 0.0, 0.0, 0.0]
        self.speed = 25.0
        self.speed_factor = 1.0 / 60.0
        self.extrude_factor = 1.0
        self.saved_states: dict[str, dict[str, Any]] = {}
        gcode = host.gcode
        for command in ("G1", "G20", "G21", "M82", "M83", "G90", "G91", "G92", "M220", "M221",
                        "SET_GCODE_OFFSET", "SAVE_GCODE_STATE", "RESTORE_GCODE_STATE"):
            gcode.register_command(command, getattr(self, "cmd_" + command), desc=getattr(self, f"cmd_{command}_help", None))
        gcode.register_command("G0", self.cmd_G1)
        gcode.register_command("M114", self.cmd_M114, True)
        gcode.register_command("GET_POSITION", self.cmd_GET_POSITION, True, self.cmd_GET_POSITION_help)
        for event in ("klippy:ready", "toolhead:set_position", "gcode:command_error"):
            host.register_event_handler(event, self.reset_last_position)

    def reset_last_position(self) -> None:
        self.last_position = list(self.toolhead.commanded_pos)

    def home_rails_end(self, axes: list[int]) -> None:
        self.reset_last_position()
        for axis in axes:
            self.base_position[axis] = self.homing_position[axis]

    def _gcode_position(self) -> list[float]:
        position = [last - base for last, base in zip(self.last_position, self.base_position)]
        position[3] /= self.extrude_factor
        return position

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {
            "speed_factor": self.speed_factor * 60.0,
            "speed": self.speed / self.speed_factor,
            "extrude_factor": self.extrude_factor,
            "absolute_coordinates": self.absolute_coord,
            "absolute_extrude": self.absolute_extrude,
            "homing_origin": Coord(*self.homing_position),
            "position": Coord(*self.last_position),
            "gcode_position": Coord(*self._gcode_position()),
            "axis_map": AXIS_MAP,
        }

    def cmd_G1(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        params = gcmd.params
        previous = list(self.last_position)
        try:
            for axis, index in AXIS_MAP.items():
                if axis in params:
                    value = float(params[axis])
                    absolute = self.absolute_coord
                    if axis == "E":
                        value *= self.extrude_factor
                        if not self.absolute_extrude:
                            absolute = False
                    if absolute:
                        self.last_position[index] = value + self.base_position[index]
                    else:
                        self.last_position[index] += value
            if "F" in params:
                feedrate = float(params["F"])
                if feedrate <= 0.0:
                    raise CommandError(f"Invalid speed in '{gcmd.commandline}'")
                self.speed = feedrate * self.speed_factor
        except ValueError:
            raise CommandError(f"Unable to parse move '{gcmd.commandline}'") from None
        position = list(self.last_position)
        tower = self.host.objects.get("tuning_tower")
        script = tower.command_before_move(position, previous, self._gcode_position()[2]) if tower else None
        if script is None:
            return self.move(position, self.speed)
        return Deferred.fromCoroutine(self._move_after(script, position, self.speed))

    def move(self, position: list[float], speed: float) -> Deferred[None] | None:
        """A move in G-code's name: through exclude_object when it is configured."""
        exclude = self.host.objects.get("exclude_object")
        if exclude is not None:
            return exclude.move(position, speed)  # type: ignore[no-any-return]
        return self.toolhead.move(position, speed)

    async def _move_after(self, script: str, position: list[float], speed: float) -> None:
        await self.host.gcode.run_script_from_command(script)
        await maybe_await(self.move(position, speed))

    def cmd_G20(self, gcmd: GCodeCommand) -> None:
        raise CommandError("Machine does not support G20 (inches) command")

    def cmd_G21(self, gcmd: GCodeCommand) -> None:
        pass

    def cmd_M82(self, gcmd: GCodeCommand) -> None:
        self.absolute_extrude = True

    def cmd_M83(self, gcmd: GCodeCommand) -> None:
        self.absolute_extrude = False

    def cmd_G90(self, gcmd: GCodeCommand) -> None:
        self.absolute_coord = True

    def cmd_G91(self, gcmd: GCodeCommand) -> None:
        self.absolute_coord = False

    def cmd_G92(self, gcmd: GCodeCommand) -> None:
        offsets = [gcmd.get_float(axis, None) for axis in "XYZE"]
        for index, offset in enumerate(offsets):
            if offset is not None:
                if index == 3:
                    offset *= self.extrude_factor
                self.base_position[index] = self.last_position[index] - offset
        if offsets == [None, None, None, None]:
            self.base_position = list(self.last_position)

    def cmd_M114(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_raw("X:%.3f Y:%.3f Z:%.3f E:%.3f" % tuple(self._gcode_position()))

    def cmd_M220(self, gcmd: GCodeCommand) -> None:
        value = gcmd.get_float("S", 100.0, above=0.0) / (60.0 * 100.0)
        self.speed = self.speed / self.speed_factor * value
        self.speed_factor = value

    def cmd_M221(self, gcmd: GCodeCommand) -> None:
        factor = gcmd.get_float("S", 100.0, above=0.0) / 100.0
        last_e = self.last_position[3]
        e_value = (last_e - self.base_position[3]) / self.extrude_factor
        self.base_position[3] = last_e - e_value * factor
        self.extrude_factor = factor

    def cmd_SET_GCODE_OFFSET(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        move_delta = [0.0, 0.0, 0.0, 0.0]
        for index, axis in enumerate("XYZE"):
            offset = gcmd.get_float(axis, None)
            if offset is None:
                offset = gcmd.get_float(axis + "_ADJUST", None)
                if offset is None:
                    continue
                offset += self.homing_position[index]
            delta = offset - self.homing_position[index]
            move_delta[index] = delta
            self.base_position[index] += delta
            self.homing_position[index] = offset
        if gcmd.get_int("MOVE", 0):
            speed = gcmd.get_float("MOVE_SPEED", self.speed, above=0.0)
            for index, delta in enumerate(move_delta):
                self.last_position[index] += delta
            return self.move(list(self.last_position), speed)
        return None

    def cmd_SAVE_GCODE_STATE(self, gcmd: GCodeCommand) -> None:
        self.saved_states[gcmd.get("NAME", "default")] = {
            "absolute_coord": self.absolute_coord,
            "absolute_extrude": self.absolute_extrude,
            "base_position": list(self.base_position),
            "last_position": list(self.last_position),
            "homing_position": list(self.homing_position),
            "speed": self.speed,
            "speed_factor": self.speed_factor,
            "extrude_factor": self.extrude_factor,
        }

    def cmd_RESTORE_GCODE_STATE(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        name = gcmd.get("NAME", "default")
        state = self.saved_states.get(name)
        if state is None:
            raise CommandError(f"Unknown g-code state: {name}")
        self.absolute_coord = state["absolute_coord"]
        self.absolute_extrude = state["absolute_extrude"]
        self.base_position = list(state["base_position"])
        self.homing_position = list(state["homing_position"])
        self.speed = state["speed"]
        self.speed_factor = state["speed_factor"]
        self.extrude_factor = state["extrude_factor"]
        self.base_position[3] += self.last_position[3] - state["last_position"][3]
        if gcmd.get_int("MOVE", 0):
            speed = gcmd.get_float("MOVE_SPEED", self.speed, above=0.0)
            self.last_position[:3] = state["last_position"][:3]
            return self.move(list(self.last_position), speed)
        return None

    def cmd_GET_POSITION(self, gcmd: GCodeCommand) -> None:
        rails = self.toolhead.rails
        position = self.toolhead.commanded_pos
        mcu = " ".join("%s:%d" % (rail.name, round(pos / rail.step_distance)) for rail, pos in zip(rails, position))
        stepper = " ".join("%s:%.6f" % (rail.name, pos) for rail, pos in zip(rails, position))
        kinematic = " ".join("%s:%.6f" % pair for pair in zip("XYZ", position))
        toolhead = " ".join("%s:%.6f" % pair for pair in zip("XYZE", position))
        gcode = " ".join("%s:%.6f" % pair for pair in zip("XYZE", self.last_position))
        base = " ".join("%s:%.6f" % pair for pair in zip("XYZE", self.base_position))
        homing = " ".join("%s:%.6f" % pair for pair in zip("XYZ", self.homing_position))
        gcmd.respond_info(
            f"mcu: {mcu}\nstepper: {stepper}\nkinematic: {kinematic}\ntoolhead: {toolhead}\n"
            f"gcode: {gcode}\ngcode base: {base}\ngcode homing: {homing}"
        )
