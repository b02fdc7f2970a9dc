"""The `motion_report` object and its dump endpoints."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IDelayedCall

from moontwist.simulator.toolhead import Coord, Move
from moontwist.simulator.webhooks import WebRequest, WebRequestError

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.server import ClientConnection
    from moontwist.simulator.toolhead import ToolHead

DUMP_INTERVAL = 0.5
STATUS_REFRESH_TIME = 0.25


class MotionReport:
    """The `motion_report` object: live position and velocity, refreshed at most
    every 250 ms, and the dump endpoints. dump_trapq sends the moves queued since
    the last batch every 0.5 s (constant velocity: acceleration 0); dump_stepper
    answers its header only (the simulator makes no steps)."""

    STEPPER_HEADER = ("interval", "count", "add")
    TRAPQ_HEADER = ("time", "duration", "start_velocity", "acceleration", "start_position", "direction")

    def __init__(self, host: KlippyHost, toolhead: ToolHead):
        self.host = host
        self.toolhead = toolhead
        self.next_refresh = 0.0
        self.status: dict[str, Any] | None = None
        self.trapq_clients: list[tuple[ClientConnection, dict[str, Any], str]] = []
        self.batches: dict[str, list[list[Any]]] = {}
        self.timer: IDelayedCall | None = None
        toolhead.move_listeners.append(self._note_move)
        host.webhooks.register_endpoint("motion_report/dump_stepper", self._handle_dump_stepper)
        host.webhooks.register_endpoint("motion_report/dump_trapq", self._handle_dump_trapq)

    @staticmethod
    def _dump(request: WebRequest, names: list[str], header: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        name = request.get_str("name")
        if name not in names:
            raise WebRequestError(f"The value '{name}' is not valid for name")
        template = request.get_dict("response_template", {})
        request.send({"header": header})
        return name, template

    def _handle_dump_stepper(self, request: WebRequest) -> None:
        self._dump(request, self.toolhead.stepper_names(), self.STEPPER_HEADER)

    def _handle_dump_trapq(self, request: WebRequest) -> None:
        extruders = [self.toolhead.extruder.name] if self.toolhead.extruder.name else []
        name, template = self._dump(request, ["toolhead"] + extruders, self.TRAPQ_HEADER)
        self.trapq_clients.append((request.connection, template, name))
        self.batches.setdefault(name, [])
        if self.timer is None:
            self.timer = self.host.timers.call_later(DUMP_INTERVAL, self._send_batches)

    def _note_move(self, move: Move) -> None:
        if not self.trapq_clients:
            return
        print_time, duration = move.start_time - self.toolhead.origin, move.end_time - move.start_time
        delta = [end - start for start, end in zip(move.start[:3], move.end[:3])]
        distance = math.sqrt(sum(part * part for part in delta))
        if distance and "toolhead" in self.batches:
            direction = [part / distance for part in delta]
            self.batches["toolhead"].append([print_time, duration, move.velocity, 0.0, move.start[:3], direction])
        extruder = self.toolhead.extruder.name
        e_delta = move.end[3] - move.start[3]
        if e_delta and extruder in self.batches:
            self.batches[extruder].append([print_time, duration, move.extrude_velocity, 0.0,
                                           [move.start[3], 0.0, 0.0], [1.0 if e_delta > 0 else -1.0, 0.0, 0.0]])

    def _send_batches(self) -> None:
        self.trapq_clients = [entry for entry in self.trapq_clients if not entry[0].closed]
        for connection, template, name in self.trapq_clients:
            if self.batches.get(name):
                push = dict(template)
                push["params"] = {"data": self.batches[name]}
                connection.send(push)
        self.batches = {name: [] for _, _, name in self.trapq_clients}
        self.timer = self.host.timers.call_later(DUMP_INTERVAL, self._send_batches) if self.trapq_clients else None

    def get_status(self, eventtime: float) -> dict[str, Any]:
        if self.status is None:
            extruders = [self.toolhead.extruder.name] if self.toolhead.extruder.name else []
            self.status = {
                "live_position": [0.0, 0.0, 0.0, 0.0],
                "live_velocity": 0.0,
                "live_extruder_velocity": 0.0,
                "steppers": sorted(self.toolhead.stepper_names()),
                "trapq": sorted(extruders + ["toolhead"]),
            }
        if eventtime < self.next_refresh:
            return self.status
        self.next_refresh = eventtime + STATUS_REFRESH_TIME
        position, velocity, extrude_velocity = self.toolhead.live_state(eventtime)
        status = dict(self.status)
        status["live_position"] = Coord(*position)
        status["live_velocity"] = velocity
        status["live_extruder_velocity"] = extrude_velocity
        self.status = status
        return status
