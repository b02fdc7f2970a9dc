"""`[gcode_arcs]`: G2/G3 arcs (in the plane chosen by G17/G18/G19) cut into G1
segments of at most ``resolution`` mm, as slicers with arc fitting emit them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand, maybe_await

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.gcode_move import GCodeMove
    from moontwist.simulator.host import KlippyHost

# (first in-plane axis, second in-plane axis, helical axis, offset letters) per plane
PLANES = {"G17": (0, 1, 2, "IJ"), "G18": (0, 2, 1, "IK"), "G19": (1, 2, 0, "JK")}


class ArcSupport:
    def __init__(self, host: KlippyHost, section: ConfigSection, gcode_move: GCodeMove):
        self.host = host
        self.gcode_move = gcode_move
        self.resolution: float = section.getfloat("resolution", 1.0, above=0.0)
        self.plane = PLANES["G17"]
        host.gcode.register_command("G2", lambda gcmd: self._arc(gcmd, clockwise=True))
        host.gcode.register_command("G3", lambda gcmd: self._arc(gcmd, clockwise=False))
        for command, plane in PLANES.items():
            host.gcode.register_command(command, lambda gcmd, plane=plane: self._set_plane(plane))

    def _set_plane(self, plane: tuple[int, int, int, str]) -> None:
        self.plane = plane

    def _arc(self, gcmd: GCodeCommand, clockwise: bool) -> Deferred[None]:
        if not self.gcode_move.absolute_coord:
            raise CommandError("G2/G3 does not support relative move mode")
        current = self.gcode_move.get_status(self.host.monotonic())["gcode_position"]
        target = [gcmd.get_float(axis, current[index]) for index, axis in enumerate("XYZ")]
        if gcmd.get_float("R", None) is not None:
            raise CommandError("G2/G3 does not support R moves")
        first, second, helical, letters = self.plane
        offsets = (gcmd.get_float(letters[0], 0.0), gcmd.get_float(letters[1], 0.0))
        if not (offsets[0] or offsets[1]):
            raise CommandError("G2/G3 requires IJ, IK or JK parameters")
        center = (current[first] + offsets[0], current[second] + offsets[1])
        start = math.atan2(current[second] - center[1], current[first] - center[0])
        sweep = math.atan2(target[second] - center[1], target[first] - center[0]) - start
        if clockwise and sweep >= 0.0:
            sweep -= 2.0 * math.pi
        elif not clockwise and sweep <= 0.0:
            sweep += 2.0 * math.pi
        radius = math.hypot(*offsets)
        rise = target[helical] - current[helical]
        count = max(1, math.floor(math.hypot(radius * sweep, rise) / self.resolution))
        extrude = gcmd.get_float("E", None)
        feedrate = gcmd.get_float("F", None)
        segments = []
        for step in range(1, count + 1):
            fraction = step / count
            point = list(target)
            if step < count:
                angle = start + sweep * fraction
                point[first] = center[0] + radius * math.cos(angle)
                point[second] = center[1] + radius * math.sin(angle)
                point[helical] = current[helical] + rise * fraction
            params = {axis: repr(value) for axis, value in zip("XYZ", point)}
            if extrude is not None:
                if self.gcode_move.absolute_extrude:
                    params["E"] = repr(current[3] + (extrude - current[3]) * fraction)
                else:
                    params["E"] = repr(extrude / count)
            if feedrate is not None and step == 1:
                params["F"] = repr(feedrate)
            segments.append(params)
        return Deferred.fromCoroutine(self._run(segments))

    async def _run(self, segments: list[dict[str, str]]) -> None:
        for params in segments:
            command = GCodeCommand(self.host.gcode, "G1", "G1", params)
            await maybe_await(self.gcode_move.cmd_G1(command))
