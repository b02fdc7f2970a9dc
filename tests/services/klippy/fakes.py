"""Unit-test doubles: a scripted Klippy peer on a StringTransport, a client connection, a context."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from twisted.internet.address import UNIXAddress
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure

from moontwist.api import Transport
from moontwist.context import Options, ServerContext
from moontwist.protocols import jsoncodec
from moontwist.protocols.jsonrpc import notification
from moontwist.services.klippy import KlippyService

SOCKET = "/tmp/test-klippy.sock"

READY_OBJECTS: dict[str, dict[str, Any]] = {
    "webhooks": {"state": "ready", "state_message": "Printer is ready"},
    "toolhead": {"position": [0.0, 0.0, 0.0, 0.0], "homed_axes": "", "max_velocity": 300.0},
    "extruder": {"temperature": 21.04, "target": 0.0, "power": 0.0, "can_extrude": False},
    "heater_bed": {"temperature": 22.0, "target": 0.0, "power": 0.0},
    "temperature_sensor mcu": {"temperature": 40.123, "measured_min_temp": 39.0, "measured_max_temp": 41.0},
    "tmc2240 stepper_x": {"temperature": 30.0, "run_current": 0.8},
    "heaters": {
        "available_heaters": ["extruder", "heater_bed"],
        "available_sensors": ["extruder", "heater_bed", "temperature_sensor mcu"],
        "available_monitors": ["tmc2240 stepper_x"],
    },
    "virtual_sdcard": {"progress": 0.0, "is_active": False},
    "display_status": {"progress": 0.0, "message": None},
    "pause_resume": {"is_paused": False},
    "print_stats": {"state": "standby", "filename": ""},
}


def make_context(reactor: Any) -> ServerContext:
    options = Options(Path("/tmp/data"), Path("/tmp/data/moonraker.conf"), None, Path("/tmp/moonraker.sock"))
    return ServerContext(reactor, options, None)  # type: ignore[arg-type]


class FakeConnection:
    """A client connection (websocket-like) that records the notifications it is sent."""

    def __init__(self, connection_id: int, transport: Transport = Transport.WEBSOCKET) -> None:
        self.connection_id = connection_id
        self.transport = transport
        self.client_info: dict[str, Any] | None = None
        self.prepared = 0
        self.received: list[dict[str, Any]] = []
        self._waiters: list[tuple[str, Deferred[Any]]] = []

    def prepare(self, payload: bytes) -> bytes:
        self.prepared += 1
        return payload

    def send_prepared(self, prepared: bytes) -> None:
        message = jsoncodec.decode(prepared)
        self.received.append(message)
        waiting = [(method, d) for method, d in self._waiters if method == message["method"]]
        self._waiters = [(method, d) for method, d in self._waiters if method != message["method"]]
        for _, waiter in waiting:
            waiter.callback(message.get("params"))

    def send_notification(self, method: str, params: Any = None) -> None:
        self.send_prepared(self.prepare(jsoncodec.encode(notification(method, params))))

    def next_notification(self, method: str) -> "Deferred[Any]":
        """Fires with the params of the next ``method`` notification."""
        waiter: Deferred[Any] = Deferred()
        self._waiters.append((method, waiter))
        return waiter

    def close(self, code: int, reason: str) -> None:
        pass

    def notifications(self, method: str) -> list[Any]:
        return [message.get("params") for message in self.received if message["method"] == method]


class PeerTransport(StringTransport):
    """A StringTransport whose close reaches the protocol on the next reactor turn, as a socket's would."""

    def __init__(self, reactor: MemoryReactorClock) -> None:
        super().__init__()
        self._reactor = reactor
        self.protocol: Any = None

    def loseConnection(self) -> None:
        if not self.disconnecting:
            super().loseConnection()
            self._reactor.callLater(0, self.protocol.connectionLost, Failure(ConnectionDone()))


class FakeKlippy:
    """Klippy's side of one connection: answers requests from a small printer model.

    Requests for methods in ``silent`` stay unanswered; ``pump`` answers the rest.
    """

    def __init__(self, reactor: MemoryReactorClock, state: str = "ready") -> None:
        self.reactor = reactor
        self.state = state
        self.objects = {name: dict(values) for name, values in READY_OBJECTS.items()}
        self.objects["webhooks"]["state"] = state
        self.silent: set[str] = set()
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self.received: list[dict[str, Any]] = []
        self.unanswered: list[dict[str, Any]] = []
        self.subscription: dict[str, Any] | None = None
        self.remote_methods: list[str] = []
        # What ``list_endpoints`` answers (Klippy's own, besides those of the link).
        self.endpoints = ["list_endpoints", "info", "emergency_stop", "register_remote_method", "objects/list",
                          "objects/query", "objects/subscribe", "gcode/help", "gcode/script", "gcode/restart",
                          "gcode/firmware_restart", "gcode/subscribe_output", "query_endstops/status",
                          "pause_resume/pause", "pause_resume/resume", "pause_resume/cancel", "bed_mesh/dump_mesh"]
        self.eventtime = 100.0
        self.transport: StringTransport | None = None
        self.protocol: Any = None

    def accept(self) -> None:
        """Complete the service's pending connection attempt and answer what it sends."""
        _, factory, _, _ = self.reactor.unixClients.pop(0)
        self.protocol = factory.buildProtocol(UNIXAddress(SOCKET))
        self.transport = PeerTransport(self.reactor)
        self.transport.protocol = self.protocol
        self.protocol.makeConnection(self.transport)
        self.pump()

    def refuse(self) -> None:
        _, factory, _, _ = self.reactor.unixClients.pop(0)
        factory.clientConnectionFailed(None, Failure(ConnectionRefusedError()))

    def lose(self) -> None:
        """Klippy closes the socket (restart, crash)."""
        assert self.transport is not None
        self.transport.loseConnection()
        self.reactor.advance(0)

    def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.received if method is None or r["method"] == method]

    def pump(self) -> None:
        """Answer every request received so far (except silent ones), until quiet."""
        while self.transport is not None and self.transport.value():
            data = self.transport.value()
            self.transport.clear()
            for raw in data.split(b"\x03"):
                if raw:
                    self._handle(jsoncodec.decode(raw))

    def _handle(self, request: dict[str, Any]) -> None:
        self.received.append(request)
        if request["method"] in self.silent:
            self.unanswered.append(request)
            return
        try:
            result = self._result(request["method"], request.get("params", {}))
        except LookupError as error:
            self.send({"id": request["id"], "error": {"error": "WebRequestError", "message": error.args[0]}})
            return
        self.send({"id": request["id"], "result": result})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method in self.handlers:
            return self.handlers[method](params)
        if method == "info":
            return {"state": self.state, "state_message": self.objects["webhooks"]["state_message"],
                    "hostname": "testhost", "software_version": "v0.13.0-test"}
        if method == "list_endpoints":
            return {"endpoints": list(self.endpoints)}
        if method == "objects/list":
            return {"objects": list(self.objects)}
        if method == "objects/query":
            return self.query(params["objects"])
        if method == "objects/subscribe":
            self.subscription = params["objects"]
            return self.query(params["objects"])
        if method == "register_remote_method":
            self.remote_methods.append(params["remote_method"])
            return {}
        if method in ("gcode/subscribe_output", "gcode/script", "emergency_stop"):
            return {}
        raise LookupError(f"webhooks: No registered callback for path '{method}'")

    def query(self, objects: dict[str, Any]) -> dict[str, Any]:
        status = {}
        for name, fields in objects.items():
            values = self.objects.get(name, {})
            status[name] = dict(values) if fields is None else {field: values.get(field) for field in fields}
        return {"eventtime": self.eventtime, "status": status}

    def send(self, message: dict[str, Any]) -> None:
        self.protocol.dataReceived(jsoncodec.encode(message) + b"\x03")

    def answer(self, request: dict[str, Any], result: Any) -> None:
        self.send({"id": request["id"], "result": result})

    def push(self, status: dict[str, Any], eventtime: float | None = None) -> None:
        """Change the model and push the change, as a subscription tick would."""
        for name, values in status.items():
            self.objects.setdefault(name, {}).update(values)
        self.eventtime = self.eventtime + 0.25 if eventtime is None else eventtime
        self.send({"method": "process_status_update", "params": {"eventtime": self.eventtime, "status": status}})
        self.pump()

    def output(self, line: str) -> None:
        self.send({"method": "process_gcode_response", "params": {"response": line}})


def start_service(reactor: MemoryReactorClock, **options: Any) -> tuple[ServerContext, KlippyService]:
    ctx = make_context(reactor)
    service = KlippyService(ctx, SOCKET, **options)
    ctx.add_component("klippy", service)
    service.startService()
    return ctx, service
