"""G28 homing, motor enables (M84, SET_STEPPER_ENABLE) and endstop queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.gcode import CommandError, GCodeCommand, maybe_await
from moontwist.simulator.toolhead import AXES

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.toolhead import ToolHead
    from moontwist.simulator.webhooks import WebRequest



class StepperEnable:
    """The `stepper_enable` object: steppers switch on when they first move."""

    cmd_SET_STEPPER_ENABLE_help = "Enable/disable individual stepper by name"

    def __init__(self, host: KlippyHost, steppers: list[str]):
        self.host = host
        self.steppers = steppers
        self._status: dict[str, Any] = {"steppers": {name: False for name in steppers}}
        host.gcode.register_command("M18", self.cmd_M18)
        host.gcode.register_command("M84", self.cmd_M18)
        for name in steppers:
            host.gcode.register_mux_command(
                "SET_STEPPER_ENABLE", "STEPPER", name, self.cmd_SET_STEPPER_ENABLE, desc=self.cmd_SET_STEPPER_ENABLE_help
            )
        host.register_event_handler("toolhead:move", self._handle_move)
        host.register_event_handler("gcode:request_restart", self.motor_off)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status

    def set_enabled(self, names: list[str], enable: bool) -> None:
        steppers = self._status["steppers"]
        if all(steppers[name] == enable for name in names):
            return
        updated = dict(steppers)
        for name in names:
            updated[name] = enable
        self._status = {"steppers": updated}

    def _handle_move(self, delta: list[float]) -> None:
        self.set_enabled([name for name, change in zip(self.steppers, delta) if change], True)

    def motor_off(self) -> None:
        self.set_enabled(list(self.steppers), False)
        self.host.lookup_object("toolhead").clear_homing_state()

    def cmd_M18(self, gcmd: GCodeCommand) -> None:
        self.motor_off()

    def cmd_SET_STEPPER_ENABLE(self, gcmd: GCodeCommand) -> None:
        self.set_enabled([gcmd.get("STEPPER")], bool(gcmd.get_int("ENABLE", 1)))


class Homing:
    """G28: each requested axis travels to its endstop at its homing speed."""

    def __init__(self, host: KlippyHost, toolhead: ToolHead):
        self.host = host
        self.toolhead = toolhead
        host.gcode.register_command("G28", self.cmd_G28)

    def cmd_G28(self, gcmd: GCodeCommand) -> Deferred[None]:
        axes = [index for index, axis in enumerate("XYZ") if gcmd.get(axis, None) is not None]
        return Deferred.fromCoroutine(self._home(axes or [0, 1, 2]))

    async def _home(self, axes: list[int]) -> None:
        toolhead = self.toolhead
        await maybe_await(toolhead.wait_moves())
        homed = toolhead.homed_axes()
        position = list(toolhead.commanded_pos)
        for axis in axes:
            rail = toolhead.rails[axis]
            if AXES[axis] in homed:
                travel = abs(position[axis] - rail.position_endstop)
            else:
                travel = (rail.position_max - rail.position_min) / 2.0
            await maybe_await(toolhead.dwell((travel + 2.0 * rail.homing_retract_dist) / rail.homing_speed))
            await maybe_await(toolhead.wait_moves())
            if self.host.is_shutdown():
                raise CommandError("Homing failed due to printer shutdown")
            position[axis] = rail.position_endstop
            self.host.lookup_object("stepper_enable").set_enabled([rail.name], True)
            toolhead.set_position(position, AXES[axis])
        self.host.lookup_object("gcode_move").home_rails_end(axes)


class QueryEndstops:
    """The `query_endstops` object, QUERY_ENDSTOPS/M119 and query_endstops/status.

    An endstop reads TRIGGERED while its homed axis sits exactly on it.
    """

    cmd_QUERY_ENDSTOPS_help = "Report on the status of each endstop"

    def __init__(self, host: KlippyHost, names: list[str]):
        self.host = host
        self.names = names
        self.last_state: list[tuple[str, int]] = []
        self._status: dict[str, Any] = {"last_query": {}}
        host.webhooks.register_endpoint("query_endstops/status", self._handle_web_request)
        host.gcode.register_command("QUERY_ENDSTOPS", self.cmd_QUERY_ENDSTOPS, desc=self.cmd_QUERY_ENDSTOPS_help)
        host.gcode.register_command("M119", self.cmd_QUERY_ENDSTOPS)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self._status

    def _query(self) -> list[tuple[str, int]]:
        toolhead: ToolHead = self.host.lookup_object("toolhead")
        position, _, _ = toolhead.live_state(self.host.monotonic())
        homed = toolhead.homed_axes()
        state = []
        for index, (axis, name) in enumerate(zip(AXES, self.names)):
            on_endstop = axis in homed and abs(position[index] - toolhead.rails[index].position_endstop) < 1e-9
            state.append((name, int(on_endstop)))
        self.last_state = state
        self._status = {"last_query": dict(state)}
        return state

    @staticmethod
    def _word(triggered: int) -> str:
        return "TRIGGERED" if triggered else "open"

    def _handle_web_request(self, request: WebRequest) -> Deferred[None]:
        return Deferred.fromCoroutine(self._query_locked(request))

    async def _query_locked(self, request: WebRequest) -> None:
        mutex = self.host.gcode.mutex
        await mutex.acquire()
        try:
            request.send({name: self._word(triggered) for name, triggered in self._query()})
        finally:
            mutex.release()

    def cmd_QUERY_ENDSTOPS(self, gcmd: GCodeCommand) -> None:
        gcmd.respond_raw(" ".join(f"{name}:{self._word(triggered)}" for name, triggered in self._query()))
