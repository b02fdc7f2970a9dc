"""The `manual_probe` object and its helper script (MANUAL_PROBE, then TESTZ,
ACCEPT/NEXT or ABORT), also used by PROBE_CALIBRATE; and TUNING_TOWER."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand, is_traditional_gcode, maybe_await

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.toolhead import ToolHead

BISECT_MAX = 0.2
CANCEL_Z_DELTA = 2.0
Z_BOB_MINIMUM = 0.500
IDLE_STATUS: dict[str, Any] = {"is_active": False, "z_position": None, "z_position_lower": None,
                               "z_position_upper": None}


class ManualProbe:
    """The always-present `manual_probe` object and MANUAL_PROBE."""

    cmd_MANUAL_PROBE_help = "Start manual probe helper script"

    def __init__(self, host: KlippyHost):
        self.host = host
        self.status = IDLE_STATUS
        host.gcode.register_command("MANUAL_PROBE", self.cmd_MANUAL_PROBE, desc=self.cmd_MANUAL_PROBE_help)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self.status

    def cmd_MANUAL_PROBE(self, gcmd: GCodeCommand) -> None:
        ManualProbeHelper(self.host, gcmd, self._finalize)

    def _finalize(self, z_position: float | None) -> None:
        if z_position is not None:
            self.host.gcode.respond_info("Z position is %.3f" % (z_position,))


class ManualProbeHelper:
    """One interactive probe: TESTZ moves the nozzle, ACCEPT takes its Z."""

    cmd_ACCEPT_help = "Accept the current Z position"
    cmd_ABORT_help = "Abort manual Z probing tool"
    cmd_TESTZ_help = "Move to new Z height"

    def __init__(self, host: KlippyHost, gcmd: GCodeCommand, finalize: Callable[[float | None], None]):
        self.host = host
        self.finalize_callback = finalize
        self.speed = gcmd.get_float("SPEED", 5.0)
        self.past_positions: list[float] = []
        gcode = host.gcode
        if "ACCEPT" in gcode.ready_handlers:
            raise CommandError("Already in a manual Z probe. Use ABORT to abort it.")
        gcode.register_command("ACCEPT", self.cmd_ACCEPT, desc=self.cmd_ACCEPT_help)
        gcode.register_command("NEXT", self.cmd_ACCEPT)
        gcode.register_command("ABORT", self.cmd_ABORT, desc=self.cmd_ABORT_help)
        gcode.register_command("TESTZ", self.cmd_TESTZ, desc=self.cmd_TESTZ_help)
        gcode.respond_info("Starting manual Z probe. Use TESTZ to adjust position.\n"
                           "Finish with ACCEPT or ABORT command.")
        self.start_position = list(self.toolhead().commanded_pos)
        self.report_z_status()

    def toolhead(self) -> ToolHead:
        return self.host.lookup_object("toolhead")  # type: ignore[no-any-return]

    def report_z_status(self, warn_no_change: bool = False, previous: float | None = None) -> None:
        z_position = self.toolhead().commanded_pos[2]
        if warn_no_change and z_position == previous:
            self.host.gcode.respond_info("WARNING: No change in position (reached stepper resolution)")
        positions = self.past_positions
        upper = bisect.bisect_left(positions, z_position)
        lower = upper - 1
        if upper < len(positions) and positions[upper] == z_position:
            upper += 1
        lower_value = positions[lower] if lower >= 0 else None
        upper_value = positions[upper] if upper < len(positions) else None
        self.host.lookup_object("manual_probe").status = {
            "is_active": True, "z_position": z_position,
            "z_position_lower": lower_value, "z_position_upper": upper_value,
        }
        self.host.gcode.respond_info("Z position: %s --> %.3f <-- %s" % (
            "??????" if lower_value is None else "%.3f" % lower_value, z_position,
            "??????" if upper_value is None else "%.3f" % upper_value))

    def cmd_ACCEPT(self, gcmd: GCodeCommand) -> None:
        position, start = self.toolhead().commanded_pos, self.start_position
        if position[:2] != start[:2] or position[2] >= start[2]:
            gcmd.respond_info("Manual probe failed! Use TESTZ commands to position the\nnozzle prior to running ACCEPT.")
            self.finalize(False)
            return
        self.finalize(True)

    def cmd_ABORT(self, gcmd: GCodeCommand) -> None:
        self.finalize(False)

    def cmd_TESTZ(self, gcmd: GCodeCommand) -> Deferred[None]:
        z_position = self.toolhead().commanded_pos[2]
        positions = self.past_positions
        index = bisect.bisect_left(positions, z_position)
        if index >= len(positions) or positions[index] != z_position:
            positions.insert(index, z_position)
        request = gcmd.get("Z")
        if request in ("+", "++"):
            bound = positions[index + 1] if index < len(positions) - 1 else 9999999999999.9
            target = min((bound + z_position) / 2.0 if request == "+" else bound, z_position + BISECT_MAX)
        elif request in ("-", "--"):
            bound = positions[index - 1] if index > 0 else -9999999999999.9
            target = max((bound + z_position) / 2.0 if request == "-" else bound, z_position - BISECT_MAX)
        else:
            target = z_position + gcmd.get_float("Z")
        return Deferred.fromCoroutine(self._move_and_report(target, z_position))

    async def _move_and_report(self, target: float, previous: float) -> None:
        toolhead = self.toolhead()
        try:
            position = list(toolhead.commanded_pos)
            if position[2] < target + Z_BOB_MINIMUM:
                position[2] = target + Z_BOB_MINIMUM
                await maybe_await(toolhead.move(position, self.speed))
            position[2] = target
            await maybe_await(toolhead.move(position, self.speed))
        except CommandError:
            self.finalize(False)
            raise
        self.report_z_status(target != previous, previous)

    def finalize(self, success: bool) -> None:
        self.host.lookup_object("manual_probe").status = IDLE_STATUS
        for command in ("ACCEPT", "NEXT", "ABORT", "TESTZ"):
            self.host.gcode.unregister_command(command)
        self.finalize_callback(self.toolhead().commanded_pos[2] if success else None)


class TuningTower:
    """TUNING_TOWER: run COMMAND with a value that follows the Z height of each move."""

    cmd_TUNING_TOWER_help = "Tool to adjust a parameter at each Z height"

    def __init__(self, host: KlippyHost):
        self.host = host
        self.active = False
        self.command_format = ""
        self.start = self.factor = self.band = self.step_delta = self.step_height = self.skip = 0.0
        self.last_z = -99999999.9
        self.last_value: float | None = None
        host.gcode.register_command("TUNING_TOWER", self.cmd_TUNING_TOWER, desc=self.cmd_TUNING_TOWER_help)

    def cmd_TUNING_TOWER(self, gcmd: GCodeCommand) -> None:
        if self.active:
            self.end_test()
        command, parameter = gcmd.get("COMMAND"), gcmd.get("PARAMETER")
        self.start = gcmd.get_float("START", 0.0)
        self.factor = gcmd.get_float("FACTOR", 0.0)
        self.band = gcmd.get_float("BAND", 0.0, minval=0.0)
        self.step_delta = gcmd.get_float("STEP_DELTA", 0.0)
        self.step_height = gcmd.get_float("STEP_HEIGHT", 0.0, minval=0.0)
        self.skip = gcmd.get_float("SKIP", 0.0, minval=0.0)
        if self.factor and (self.step_height or self.step_delta):
            raise CommandError("Cannot specify both FACTOR and STEP_DELTA/STEP_HEIGHT")
        if (self.step_delta != 0.0) != (self.step_height != 0.0):
            raise CommandError("Must specify both STEP_DELTA and STEP_HEIGHT")
        separator = "" if is_traditional_gcode(command) else "="
        self.command_format = f"{command} {parameter}{separator}%.9f"
        self.active, self.last_z, self.last_value = True, -99999999.9, None
        parts = ["start=%.6f" % self.start]
        if self.factor:
            parts.append("factor=%.6f" % self.factor)
            if self.band:
                parts.append("band=%.6f" % self.band)
        else:
            parts += ["step_delta=%.6f" % self.step_delta, "step_height=%.6f" % self.step_height]
        if self.skip:
            parts.append("skip=%.6f" % self.skip)
        gcmd.respond_info("Starting tuning test (" + " ".join(parts) + ")")

    def value_at(self, z: float) -> float:
        if self.skip:
            z = max(0.0, z - self.skip)
        if self.step_height:
            return self.start + self.step_delta * math.floor(z / self.step_height)
        if self.band:
            z = (math.floor(z / self.band) + 0.5) * self.band
        return self.start + z * self.factor

    def command_before_move(self, position: list[float], previous: list[float], gcode_z: float) -> str | None:
        """The command to run before an extruding move to a new height, if its value changes."""
        if not self.active or not (position[3] > previous[3] and position[2] != self.last_z
                                   and position[:3] != previous[:3]):
            return None
        if position[2] < self.last_z - CANCEL_Z_DELTA:
            self.end_test()  # extruding lower down: a new print has begun
            return None
        self.last_z = position[2]
        value = self.value_at(gcode_z)
        if value == self.last_value:
            return None
        self.last_value = value
        return self.command_format % (value,)

    def end_test(self) -> None:
        self.host.gcode.respond_info("Ending tuning test mode")
        self.active = False
