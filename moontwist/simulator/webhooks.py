"""Klippy's API requests: parsing, typed parameters, the endpoint table and the
endpoints that exist before the config is read (info, gcode/*, remote methods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from moontwist.protocols.jsoncodec import decode
from moontwist.simulator.gcode import MISSING, CommandError

if TYPE_CHECKING:
    from moontwist.simulator.host import KlippyHost
    from moontwist.simulator.server import ClientConnection

Endpoint = Callable[["WebRequest"], "Deferred[None] | None"]


class WebRequestError(CommandError):
    """An endpoint error, answered as ``{"error": "WebRequestError", ...}``."""


class WebRequest:
    """One request from a client, with Klippy's strict parameter type checks."""

    def __init__(self, connection: ClientConnection, message: bytes):
        request = decode(message)
        if type(request) is not dict:
            raise ValueError("Not a top-level dictionary")
        self.connection = connection
        self.id = request.get("id")
        self.method = request.get("method")
        self.params = request.get("params", {})
        if type(self.method) is not str or type(self.params) is not dict:
            raise ValueError("Invalid request type")
        self.response: Any = None
        self.is_error = False

    def get(self, item: str, default: Any = MISSING, types: tuple[type, ...] | None = None) -> Any:
        value = self.params.get(item, default)
        if value is MISSING:
            raise WebRequestError(f"Missing Argument [{item}]")
        if types is not None and type(value) not in types and item in self.params:
            raise WebRequestError(f"Invalid Argument Type [{item}]")
        return value

    def get_str(self, item: str, default: Any = MISSING) -> Any:
        return self.get(item, default, (str,))

    def get_dict(self, item: str, default: Any = MISSING) -> Any:
        return self.get(item, default, (dict,))

    def send(self, data: Any) -> None:
        if self.response is not None:
            raise WebRequestError("Multiple calls to send not allowed")
        self.response = data

    def set_error(self, message: str) -> None:
        self.is_error = True
        self.response = {"error": "WebRequestError", "message": message}

    def finish(self) -> dict[str, Any] | None:
        """The reply to write, or None when the request had no id."""
        if self.id is None:
            return None
        if self.response is None:
            self.response = {}
        return {"id": self.id, "error" if self.is_error else "result": self.response}


class WebHooks:
    """The endpoint table, remote method registry and output subscriptions."""

    def __init__(self, host: KlippyHost):
        self.host = host
        self.endpoints: dict[str, Endpoint] = {"list_endpoints": self._handle_list_endpoints}
        self.remote_methods: dict[str, dict[ClientConnection, dict[str, Any]]] = {}
        self.output_clients: dict[ClientConnection, dict[str, Any]] = {}
        self.register_endpoint("info", self._handle_info)
        self.register_endpoint("emergency_stop", self._handle_emergency_stop)
        self.register_endpoint("register_remote_method", self._handle_register_remote_method)
        self.register_endpoint("gcode/help", self._handle_gcode_help)
        self.register_endpoint("gcode/script", self._handle_gcode_script)
        self.register_endpoint("gcode/restart", lambda request: host.gcode.run_script("restart"))
        self.register_endpoint("gcode/firmware_restart", lambda request: host.gcode.run_script("firmware_restart"))
        self.register_endpoint("gcode/subscribe_output", self._handle_subscribe_output)
        host.gcode.register_output_handler(self._send_output)

    def register_endpoint(self, path: str, callback: Endpoint) -> None:
        self.endpoints[path] = callback

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"state": self.host.state, "state_message": self.host.state_message}

    # Dispatch
    def process(self, request: WebRequest) -> None:
        """Run one request; its reply is written when the handler is done."""
        callback = self.endpoints.get(request.method)
        try:
            if callback is None:
                raise WebRequestError(f"webhooks: No registered callback for path '{request.method}'")
            result = callback(request)
        except Exception:
            self._failed(Failure(), request)
            self._reply(request)
            return
        if result is None:
            self._reply(request)
            return
        result.addErrback(self._failed, request)
        result.addBoth(lambda _: self._reply(request))

    def _failed(self, failure: Failure, request: WebRequest) -> None:
        if failure.check(CommandError):
            request.set_error(str(failure.value))
            return
        request.set_error(str(failure.value))
        self.host.invoke_shutdown(f"Internal Error on WebRequest: {request.method}")

    def _reply(self, request: WebRequest) -> None:
        reply = request.finish()
        if reply is not None:
            request.connection.send(reply)

    # Endpoints
    def _handle_list_endpoints(self, request: WebRequest) -> None:
        request.send({"endpoints": list(self.endpoints)})

    def _handle_info(self, request: WebRequest) -> None:
        request.get_dict("client_info", None)
        info = {"state": self.host.state, "state_message": self.host.state_message}
        info.update(self.host.info)
        request.send(info)

    def _handle_emergency_stop(self, request: WebRequest) -> None:
        self.host.invoke_shutdown("Shutdown due to webhooks request")

    def _handle_register_remote_method(self, request: WebRequest) -> None:
        template = request.get_dict("response_template")
        method = request.get_str("remote_method")
        self.remote_methods.setdefault(method, {})[request.connection] = template

    def call_remote_method(self, method: str, **kwargs: Any) -> None:
        """Push a call to every live connection that registered ``method``."""
        connections = self.remote_methods.get(method)
        if connections is None:
            raise CommandError(f"Remote method '{method}' not registered")
        alive = {connection: template for connection, template in connections.items() if not connection.closed}
        for connection, template in alive.items():
            push = dict(template)
            push["params"] = kwargs
            connection.send(push)
        if not alive:
            del self.remote_methods[method]
            raise CommandError(f"No active connections for method '{method}'")
        self.remote_methods[method] = alive

    def _handle_gcode_help(self, request: WebRequest) -> None:
        request.send(self.host.gcode.get_command_help())

    def _handle_gcode_script(self, request: WebRequest) -> Deferred[None]:
        return self.host.gcode.run_script(request.get_str("script"))

    def _handle_subscribe_output(self, request: WebRequest) -> None:
        self.output_clients[request.connection] = request.get_dict("response_template", {})

    def _send_output(self, message: str) -> None:
        for connection, template in list(self.output_clients.items()):
            if connection.closed:
                del self.output_clients[connection]
                continue
            push = dict(template)
            push["params"] = {"response": message}
            connection.send(push)

    def stats(self, eventtime: float) -> None:
        """Once a second: close clients whose send buffer stayed full for 5 s."""
        for connection in list(self.host.clients):
            if connection.is_blocking:
                connection.blocking_count -= 1
                if connection.blocking_count < 0:
                    connection.close(abort=True)
