"""`[probe]`/`[bltouch]` over a simulated, slightly warped bed.

A probe descends at its speed until the nozzle-to-bed distance reaches its
``z_offset``; the bed's surface is a gentle tilt and bow, so a mesh has shape.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand, maybe_await
from moontwist.simulator.manual_probe import ManualProbeHelper
from moontwist.simulator.toolhead import Coord

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.toolhead import ToolHead


def bed_surface(x: float, y: float) -> float:
    """Height of the simulated bed at (x, y): a 0.1 mm tilt and a 0.05 mm bow."""
    return round(0.0004 * x - 0.0002 * y + 0.05 * math.sin(x / 80.0) * math.cos(y / 80.0), 6)


class Probe:
    """The `probe` object with PROBE and QUERY_PROBE."""

    cmd_PROBE_help = "Probe Z-height at current XY position"
    cmd_QUERY_PROBE_help = "Return the status of the z-probe"
    cmd_PROBE_CALIBRATE_help = "Calibrate the probe's z_offset"
    cmd_PROBE_ACCURACY_help = "Probe Z-height accuracy at current XY position"
    cmd_Z_OFFSET_APPLY_PROBE_help = "Adjust the probe's z_offset"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.host = host
        self.name = section.name
        section.get("sensor_pin" if section.name == "bltouch" else "pin")
        self.x_offset: float = section.getfloat("x_offset", 0.0)
        self.y_offset: float = section.getfloat("y_offset", 0.0)
        self.z_offset: float = section.getfloat("z_offset")
        self.speed: float = section.getfloat("speed", 5.0, above=0.0)
        self.lift_speed: float = section.getfloat("lift_speed", self.speed, above=0.0)
        self.samples: int = section.getint("samples", 1, minval=1)
        self.retract_dist: float = section.getfloat("sample_retract_dist", 2.0, above=0.0)
        section.get("samples_result", "average")
        section.getfloat("samples_tolerance", 0.100, minval=0.0)
        section.getint("samples_tolerance_retries", 0, minval=0)
        section.get("activate_gcode", "")
        section.get("deactivate_gcode", "")
        section.getboolean("deactivate_on_each_sample", True)
        self.last_query = False
        self.last_probe_position = Coord(0.0, 0.0, 0.0, 0)
        self.last_z_result = 0.0
        for command in ("QUERY_PROBE", "PROBE", "PROBE_CALIBRATE", "PROBE_ACCURACY", "Z_OFFSET_APPLY_PROBE"):
            host.gcode.register_command(command, getattr(self, "cmd_" + command), desc=getattr(self, f"cmd_{command}_help"))

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"name": self.name, "last_query": self.last_query,
                "last_probe_position": self.last_probe_position, "last_z_result": self.last_z_result}

    def offsets(self) -> list[float]:
        return [self.x_offset, self.y_offset, self.z_offset]

    async def probe_here(self, report: bool = True) -> list[float]:
        """Descend until triggered; the bed position (x, y, z) under the probe."""
        toolhead: ToolHead = self.host.lookup_object("toolhead")
        if "z" not in toolhead.homed_axes():
            raise CommandError("Must home before probe")
        total = [0.0, 0.0, 0.0]
        for sample in range(self.samples):
            position = list(toolhead.commanded_pos)
            bed_x, bed_y = position[0] + self.x_offset, position[1] + self.y_offset
            trigger_z = bed_surface(bed_x, bed_y) + self.z_offset
            if trigger_z >= position[2]:
                raise CommandError("Probe triggered prior to movement")
            position[2] = trigger_z
            await maybe_await(toolhead.move(position, self.speed))
            await maybe_await(toolhead.wait_moves())
            bed_z = trigger_z - self.z_offset
            if report:
                self.host.gcode.respond_info("probe: at %.3f,%.3f bed will contact at z=%.6f" % (bed_x, bed_y, bed_z))
            total = [total[0] + bed_x, total[1] + bed_y, total[2] + bed_z]
            if sample + 1 < self.samples:
                position[2] += self.retract_dist
                await maybe_await(toolhead.move(position, self.lift_speed))
        return [value / self.samples for value in total]

    def cmd_PROBE(self, gcmd: GCodeCommand) -> Deferred[None]:
        return Deferred.fromCoroutine(self._probe_command(gcmd))

    async def _probe_command(self, gcmd: GCodeCommand) -> None:
        bed_x, bed_y, bed_z = await self.probe_here()
        gcmd.respond_info("Result: at %.3f,%.3f estimate contact at z=%.6f" % (bed_x, bed_y, bed_z))
        self.last_probe_position = Coord(bed_x, bed_y, bed_z, 0)
        self.last_z_result = bed_z + self.z_offset

    def cmd_QUERY_PROBE(self, gcmd: GCodeCommand) -> None:
        self.last_query = False
        gcmd.respond_info("probe: open")

    def cmd_PROBE_ACCURACY(self, gcmd: GCodeCommand) -> Deferred[None]:
        samples = gcmd.get_int("SAMPLES", 10, minval=1)
        return Deferred.fromCoroutine(self._accuracy(gcmd, samples))

    async def _accuracy(self, gcmd: GCodeCommand, samples: int) -> None:
        toolhead: ToolHead = self.host.lookup_object("toolhead")
        start = list(toolhead.commanded_pos)
        gcmd.respond_info("PROBE_ACCURACY at X:%.3f Y:%.3f Z:%.3f (samples=%d retract=%.3f speed=%.1f lift_speed=%.1f)\n"
                          % (start[0], start[1], start[2], samples, self.retract_dist, self.speed, self.lift_speed))
        heights = []
        for _ in range(samples):
            heights.append((await self.probe_here())[2])
            position = list(toolhead.commanded_pos)
            position[2] += self.retract_dist
            await maybe_await(toolhead.move(position, self.lift_speed))
        average = sum(heights) / len(heights)
        ordered = sorted(heights)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0
        deviation = (sum((height - average) ** 2 for height in heights) / len(heights)) ** 0.5
        gcmd.respond_info("probe accuracy results: maximum %.6f, minimum %.6f, range %.6f, average %.6f, median %.6f, "
                          "standard deviation %.6f" % (max(heights), min(heights), max(heights) - min(heights), average,
                                                       median, deviation))

    def cmd_PROBE_CALIBRATE(self, gcmd: GCodeCommand) -> Deferred[None]:
        return Deferred.fromCoroutine(self._calibrate(gcmd))

    async def _calibrate(self, gcmd: GCodeCommand) -> None:
        bed_x, bed_y, bed_z = await self.probe_here()
        toolhead: ToolHead = self.host.lookup_object("toolhead")
        position = list(toolhead.commanded_pos)
        position[2] += 5.0
        await maybe_await(toolhead.move(position, self.lift_speed))
        position[0], position[1] = bed_x, bed_y
        await maybe_await(toolhead.move(position, self.speed))

        def finalize(z_position: float | None) -> None:
            if z_position is None:
                return
            z_offset = self.z_offset - z_position + bed_z
            self._store_z_offset(z_offset)

        ManualProbeHelper(self.host, gcmd, finalize)

    def cmd_Z_OFFSET_APPLY_PROBE(self, gcmd: GCodeCommand) -> None:
        offset = self.host.lookup_object("gcode_move").homing_position[2]
        if offset == 0:
            gcmd.respond_info("Nothing to do: Z Offset is 0")
            return
        self._store_z_offset(self.z_offset - offset)

    def _store_z_offset(self, z_offset: float) -> None:
        self.host.gcode.respond_info(
            "%s: z_offset: %.3f\nThe SAVE_CONFIG command will update the printer config file\n"
            "with the above and restart the printer." % (self.name, z_offset))
        self.host.lookup_object("configfile").autosave.set(self.name, "z_offset", "%.3f" % (z_offset,))
