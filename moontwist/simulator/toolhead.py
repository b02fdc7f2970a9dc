"""The toolhead: a motion queue that runs in (scaled) real time.

Like Klippy, a move is accepted at once and queued; the G-code that sent it
is only held back when more than ``BUFFER_TIME_HIGH`` seconds of motion are
already queued. A move lasts ``distance / velocity`` simulated seconds.
"""

from __future__ import annotations

import math
from collections import deque, namedtuple
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.config import ConfigError
from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import PrinterConfig
    from moontwist.simulator.host import KlippyHost

# Kinematics whose limits are per axis, like cartesian's (what the simulator checks).
KINEMATICS = ("cartesian", "corexy", "corexz", "hybrid_corexy", "hybrid_corexz", "limited_cartesian",
              "limited_corexy", "limited_corexz")
BUFFER_TIME_HIGH = 1.0
MIN_PAUSE = 0.005
MAX_PAUSE = 1.0
AXES = "xyz"
# Klippy's coordinate type: a tuple (a JSON array) whose parts templates read as .x .y .z .e
Coord = namedtuple("Coord", ("x", "y", "z", "e"))


class Move:
    """One queued move, in host time, with its simulated velocities."""

    __slots__ = ("start_time", "end_time", "start", "end", "velocity", "extrude_velocity")

    def __init__(self, start_time: float, end_time: float, start: list[float], end: list[float], velocity: float, extrude_velocity: float):
        self.start_time = start_time
        self.end_time = end_time
        self.start = start
        self.end = end
        self.velocity = velocity
        self.extrude_velocity = extrude_velocity

    def position_at(self, eventtime: float) -> list[float]:
        if eventtime <= self.start_time:
            return list(self.start)
        fraction = (eventtime - self.start_time) / (self.end_time - self.start_time)
        return [s + (e - s) * fraction for s, e in zip(self.start, self.end)]


class NoExtruder:
    """The toolhead's extruder when printer.cfg has no [extruder]."""

    name = ""

    def check_move(self, end: list[float], delta: list[float], distance: float, kinematic: bool, velocity: float) -> float:
        raise ToolHead.move_error(end, "Extrude when no extruder present")


class Rail:
    """A cartesian axis: range, endstop and homing speed from its stepper section."""

    def __init__(self, config: PrinterConfig, axis: str):
        section = config.section("stepper_" + axis)
        endstop_pin: str = section.get("endstop_pin")
        if endstop_pin.replace(" ", "").startswith("probe:"):
            # A probe as endstop: Klippy takes the endstop position from the probe's z_offset.
            probe = "probe" if config.has_section("probe") else "bltouch"
            self.position_endstop: float = config.section(probe).getfloat("z_offset")
        else:
            self.position_endstop = section.getfloat("position_endstop")
        self.position_min: float = section.getfloat("position_min", 0.0)
        self.position_max: float = section.getfloat("position_max")
        self.homing_speed: float = section.getfloat("homing_speed", 5.0)
        self.homing_retract_dist: float = section.getfloat("homing_retract_dist", 5.0)
        section.getfloat("homing_retract_speed", self.homing_speed, above=0.0)
        section.getfloat("second_homing_speed", self.homing_speed / 2.0, above=0.0)
        middle = (self.position_min + self.position_max) / 2.0
        section.getboolean("homing_positive_dir", self.position_endstop > middle)
        section.getlist("gear_ratio", [])
        self.name = "stepper_" + axis
        microsteps = section.getint("microsteps")
        full_steps = section.getint("full_steps_per_rotation", 200)
        self.step_distance: float = section.getfloat("rotation_distance") / (full_steps * microsteps)


class ToolHead:
    """Position, limits, homing state and the motion queue."""

    def __init__(self, host: KlippyHost, config: PrinterConfig):
        self.host = host
        printer = config.section("printer")
        kinematics = printer.get("kinematics")
        if kinematics not in KINEMATICS:
            raise ConfigError(f"Error loading kinematics '{kinematics}'")
        self.max_velocity: float = printer.getfloat("max_velocity")
        self.max_accel: float = printer.getfloat("max_accel")
        self.min_cruise_ratio: float = printer.getfloat("minimum_cruise_ratio", 0.5)
        self.square_corner_velocity: float = printer.getfloat("square_corner_velocity", 5.0)
        self.max_z_velocity: float = printer.getfloat("max_z_velocity", self.max_velocity)
        self.max_z_accel: float = printer.getfloat("max_z_accel", self.max_accel)
        self.rails = [Rail(config, axis) for axis in AXES]
        self.axis_minimum = [rail.position_min for rail in self.rails] + [0.0]
        self.axis_maximum = [rail.position_max for rail in self.rails] + [0.0]
        self.limits = [(1.0, -1.0)] * 3
        self.commanded_pos = [0.0, 0.0, 0.0, 0.0]
        self.extruder: Any = NoExtruder()
        self.origin = host.monotonic()
        self.queue_end = self.origin
        self.moves: deque[Move] = deque()
        self.move_listeners: list[Callable[[Move], None]] = []
        host.register_event_handler("klippy:shutdown", self._handle_shutdown)

    # Status
    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {
            "homed_axes": self.homed_axes(),
            "axis_minimum": Coord(*self.axis_minimum),
            "axis_maximum": Coord(*self.axis_maximum),
            "print_time": self.queue_end - self.origin,
            "stalls": 0,
            "estimated_print_time": self.estimated_print_time(eventtime),
            "extruder": self.extruder.name,
            "position": Coord(*self.commanded_pos),
            "max_velocity": self.max_velocity,
            "max_accel": self.max_accel,
            "minimum_cruise_ratio": self.min_cruise_ratio,
            "square_corner_velocity": self.square_corner_velocity,
            "extra_axes": {self.extruder.name: 3} if self.extruder.name else {},
        }

    def estimated_print_time(self, eventtime: float) -> float:
        """The MCU's clock in print time: it advances while motion runs and stands
        still while the printer is idle (as a batch-mode Klippy reports it)."""
        return min(eventtime, self.queue_end) - self.origin

    def stepper_names(self) -> list[str]:
        return [rail.name for rail in self.rails] + ([self.extruder.name] if self.extruder.name else [])

    def homed_axes(self) -> str:
        return "".join(axis for axis, (low, high) in zip(AXES, self.limits) if low <= high)

    # Moves
    def move(self, newpos: list[float], speed: float) -> Deferred[None] | None:
        """Queue a move to ``newpos`` at ``speed`` mm/s; raise if it is not allowed."""
        start = self.commanded_pos
        delta = [end - begin for begin, end in zip(start, newpos)]
        distance = math.sqrt(delta[0] ** 2 + delta[1] ** 2 + delta[2] ** 2)
        end = list(newpos)
        kinematic = distance >= 1e-9
        if kinematic:
            velocity = min(speed, self.max_velocity)
            velocity = self._check_limits(end, delta, distance, velocity)
        else:
            end[:3] = start[:3]
            delta[:3] = [0.0, 0.0, 0.0]
            distance = abs(delta[3])
            velocity = speed
            if not distance:
                return None
        extrude_velocity = 0.0
        if delta[3]:
            velocity = self.extruder.check_move(end, delta, distance, kinematic, velocity)
            extrude_velocity = velocity * abs(delta[3]) / distance
        self.commanded_pos = end
        self.host.send_event("toolhead:move", delta)
        now = self.host.monotonic()
        self.note_activity(now)
        start_time = max(self.queue_end, now)
        self.queue_end = start_time + distance / velocity / self.host.speed
        self._prune(now)
        queued = Move(start_time, self.queue_end, start, end, velocity, extrude_velocity)
        self.moves.append(queued)
        for listener in self.move_listeners:
            listener(queued)
        # Klippy keeps the newest move in its lookahead queue: only what was
        # queued before it counts against the buffer.
        return self._check_pause(now, start_time)

    def _check_limits(self, end: list[float], delta: list[float], distance: float, velocity: float) -> float:
        limits = self.limits
        if not (limits[0][0] <= end[0] <= limits[0][1] and limits[1][0] <= end[1] <= limits[1][1]):
            self._check_endstops(end, delta)
        if not delta[2]:
            return velocity
        self._check_endstops(end, delta)
        return min(velocity, self.max_z_velocity * distance / abs(delta[2]))

    def _check_endstops(self, end: list[float], delta: list[float]) -> None:
        for axis in range(3):
            low, high = self.limits[axis]
            if delta[axis] and (end[axis] < low or end[axis] > high):
                reason = "Must home axis first" if low > high else "Move out of range"
                raise self.move_error(end, reason)

    @staticmethod
    def move_error(end: list[float], reason: str = "Move out of range") -> CommandError:
        return CommandError("%s: %.3f %.3f %.3f [%.3f]" % (reason, end[0], end[1], end[2], end[3]))

    def note_activity(self, now: float | None = None) -> None:
        """Toolhead work starting from idle: idle_timeout switches to Printing."""
        now = self.host.monotonic() if now is None else now
        if self.queue_end <= now:
            self.queue_end = now
            self.host.send_event("toolhead:sync_print_time", now)

    def _check_pause(self, now: float, buffered_until: float) -> Deferred[None] | None:
        if buffered_until - now - BUFFER_TIME_HIGH <= 0.0:
            return None
        return Deferred.fromCoroutine(self._pause_while_full(buffered_until))

    async def _pause_while_full(self, buffered_until: float) -> None:
        while not self.host.is_shutdown():
            excess = buffered_until - self.host.monotonic() - BUFFER_TIME_HIGH
            if excess <= 0.0:
                return
            await self.host.timers.sleep(max(MIN_PAUSE, min(MAX_PAUSE, excess)))

    def dwell(self, delay: float) -> Deferred[None] | None:
        now = self.host.monotonic()
        self.note_activity(now)
        self.queue_end = max(self.queue_end, now) + max(0.0, delay) / self.host.speed
        return self._check_pause(now, self.queue_end)

    def wait_moves(self) -> Deferred[None] | None:
        """Resolve once everything queued has been executed."""
        remaining = self.queue_end - self.host.monotonic()
        if remaining <= 0.0 or self.host.is_shutdown():
            return None
        return self.host.timers.sleep(remaining)

    def _prune(self, eventtime: float) -> None:
        """Forget moves finished by ``eventtime`` (the queue holds only what is ahead)."""
        moves = self.moves
        while moves and moves[0].end_time <= eventtime:
            moves.popleft()

    def live_state(self, eventtime: float) -> tuple[list[float], float, float]:
        """Where the nozzle is now: (position, velocity, extruder velocity)."""
        self._prune(eventtime)
        moves = self.moves
        if not moves:
            return list(self.commanded_pos), 0.0, 0.0
        move = moves[0]
        if eventtime < move.start_time:
            return list(move.start), 0.0, 0.0
        return move.position_at(eventtime), move.velocity, move.extrude_velocity

    # Homing support
    def set_position(self, position: list[float], homing_axes: str = "") -> None:
        self.commanded_pos = list(position)
        self.moves.clear()
        for axis in homing_axes:
            rail = self.rails[AXES.index(axis)]
            self.limits[AXES.index(axis)] = (rail.position_min, rail.position_max)
        self.host.send_event("toolhead:set_position")

    def clear_homing_state(self, axes: str = AXES) -> None:
        self.limits = [(1.0, -1.0) if axis in axes else limit for axis, limit in zip(AXES, self.limits)]

    def set_velocity_limits(self, velocity: float | None, accel: float | None, corner: float | None, cruise: float | None) -> None:
        if velocity is not None:
            self.max_velocity = velocity
        if accel is not None:
            self.max_accel = accel
        if corner is not None:
            self.square_corner_velocity = corner
        if cruise is not None:
            self.min_cruise_ratio = cruise

    def _handle_shutdown(self) -> None:
        now = self.host.monotonic()
        self.queue_end = min(self.queue_end, now)
        self.moves.clear()


class ToolHeadCommands:
    """G4, M400, SET_VELOCITY_LIMIT and M204."""

    cmd_SET_VELOCITY_LIMIT_help = "Set printer velocity limits"

    def __init__(self, host: KlippyHost, toolhead: ToolHead):
        self.toolhead = toolhead
        gcode = host.gcode
        gcode.register_command("G4", self.cmd_G4)
        gcode.register_command("M400", self.cmd_M400)
        gcode.register_command("SET_VELOCITY_LIMIT", self.cmd_SET_VELOCITY_LIMIT, desc=self.cmd_SET_VELOCITY_LIMIT_help)
        gcode.register_command("M204", self.cmd_M204)

    def cmd_G4(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        return self.toolhead.dwell(gcmd.get_float("P", 0.0, minval=0.0) / 1000.0)

    def cmd_M400(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        return self.toolhead.wait_moves()

    def cmd_SET_VELOCITY_LIMIT(self, gcmd: GCodeCommand) -> None:
        velocity = gcmd.get_float("VELOCITY", None, above=0.0)
        accel = gcmd.get_float("ACCEL", None, above=0.0)
        corner = gcmd.get_float("SQUARE_CORNER_VELOCITY", None, minval=0.0)
        cruise = gcmd.get_float("MINIMUM_CRUISE_RATIO", None, minval=0.0, below=1.0)
        toolhead = self.toolhead
        toolhead.set_velocity_limits(velocity, accel, corner, cruise)
        if velocity is None and accel is None and corner is None and cruise is None:
            gcmd.respond_info(
                "max_velocity: %.6f\nmax_accel: %.6f\nminimum_cruise_ratio: %.6f\nsquare_corner_velocity: %.6f"
                % (toolhead.max_velocity, toolhead.max_accel, toolhead.min_cruise_ratio, toolhead.square_corner_velocity)
            )

    def cmd_M204(self, gcmd: GCodeCommand) -> None:
        accel = gcmd.get_float("S", None, above=0.0)
        if accel is None:
            p = gcmd.get_float("P", None, above=0.0)
            t = gcmd.get_float("T", None, above=0.0)
            if p is None or t is None:
                gcmd.respond_info(f'Invalid M204 command "{gcmd.commandline}"')
                return
            accel = min(p, t)
        self.toolhead.set_velocity_limits(None, accel, None, None)
