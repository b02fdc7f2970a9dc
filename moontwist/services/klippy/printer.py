"""The ``printer.*`` endpoints: Klippy's API, forwarded with Moonraker's names and shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from moontwist.api import Request, Transport, endpoint
from moontwist.connections import ClientConnection
from moontwist.errors import ApiError
from moontwist.services.klippy.subscriptions import Objects

if TYPE_CHECKING:
    from moontwist.services.klippy.service import KlippyService

# Query-string arguments of an HTTP objects request that are not object names.
NOT_OBJECTS = frozenset({"connection_id", "token", "access_token"})
SUBSCRIBE_TRANSPORTS = Transport.HTTP | Transport.WEBSOCKET | Transport.UNIX


def requested_objects(request: Request, required: bool = False) -> Objects:
    """The ``objects`` argument, or on an HTTP route the query string (``?toolhead&extruder=target,temperature``).

    Over JSON-RPC a ``required`` argument that is absent is refused with Klippy's
    own message, as Moonraker passes the call on to Klippy unchanged.
    """
    if "objects" in request.args:
        raw = request.get_dict("objects")
    elif request.transport is Transport.HTTP and request.http_verb is not None:
        raw = {key: value for key, value in request.args.items() if key not in NOT_OBJECTS}
    elif required:
        raise ApiError("Missing Argument [objects]")
    else:
        raw = {}
    objects: Objects = {}
    for name, fields in raw.items():
        if fields is None or fields == "":
            objects[name] = None
        elif isinstance(fields, str):
            objects[name] = [field.strip() for field in fields.split(",") if field.strip()]
        elif isinstance(fields, list) and all(isinstance(field, str) for field in fields):
            objects[name] = fields
        else:
            raise ApiError(f"Invalid argument [objects]: fields of '{name}' must be null or a list of names")
    return objects


class PrinterApi:
    """Endpoints that talk to Klippy through the Klippy service."""

    def __init__(self, klippy: "KlippyService") -> None:
        self._klippy = klippy

    @endpoint("printer.info", "GET /printer/info")
    def info(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("info")

    @endpoint("printer.emergency_stop", "POST /printer/emergency_stop")
    def emergency_stop(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("emergency_stop")

    @endpoint("printer.restart", "POST /printer/restart")
    def restart(self, request: Request) -> "Deferred[Any]":
        return self._restart("gcode/restart")

    @endpoint("printer.firmware_restart", "POST /printer/firmware_restart")
    def firmware_restart(self, request: Request) -> "Deferred[Any]":
        return self._restart("gcode/firmware_restart")

    def _restart(self, method: str) -> "Deferred[Any]":
        """Klippy may close the socket before it answers: that is success too."""

        def disconnected_is_done(failure: Failure) -> Any:
            if failure.check(ApiError) and failure.value.message == "Klippy Disconnected":
                return "ok"
            return failure

        return self._klippy.request(method, timeout=self._klippy.gcode_timeout).addErrback(disconnected_is_done)

    @endpoint("printer.objects.list", "GET /printer/objects/list")
    def objects_list(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("objects/list")

    @endpoint("printer.objects.query", "GET,POST /printer/objects/query")
    def objects_query(self, request: Request) -> "Deferred[Any]":
        return self._klippy.query(requested_objects(request, required=True))

    @endpoint("printer.objects.subscribe", "POST /printer/objects/subscribe", transports=SUBSCRIBE_TRANSPORTS)
    def objects_subscribe(self, request: Request) -> "Deferred[Any]":
        connection = self._subscriber(request)
        return self._klippy.subscribe_connection(connection, requested_objects(request))

    def _subscriber(self, request: Request) -> ClientConnection:
        """The connection itself, or over HTTP the one named by ``connection_id``."""
        if request.connection is not None:
            connection_id = request.connection.connection_id
        else:
            connection_id = request.get_int("connection_id")
        connection = self._klippy.ctx.connections.get(connection_id)
        if connection is None:
            raise ApiError(f"No connection associated with id: {connection_id}", 404)
        return connection

    @endpoint("printer.query_endstops.status", "GET /printer/query_endstops/status")
    def query_endstops(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("query_endstops/status", timeout=self._klippy.gcode_timeout)

    @endpoint("printer.gcode.script", "POST /printer/gcode/script")
    def gcode_script(self, request: Request) -> "Deferred[Any]":
        return self._klippy.run_gcode(request.get_str("script"))

    @endpoint("printer.gcode.help", "GET /printer/gcode/help")
    def gcode_help(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("gcode/help")

    @endpoint("printer.print.start", "POST /printer/print/start")
    def print_start(self, request: Request) -> "Deferred[Any]":
        user = request.user.get("username") if request.user else None
        return self._klippy.start_print(request.get_str("filename"), user)

    @endpoint("printer.print.pause", "POST /printer/print/pause")
    def print_pause(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("pause_resume/pause", timeout=self._klippy.gcode_timeout)

    @endpoint("printer.print.resume", "POST /printer/print/resume")
    def print_resume(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("pause_resume/resume", timeout=self._klippy.gcode_timeout)

    @endpoint("printer.print.cancel", "POST /printer/print/cancel")
    def print_cancel(self, request: Request) -> "Deferred[Any]":
        return self._klippy.request("pause_resume/cancel", timeout=self._klippy.gcode_timeout)
