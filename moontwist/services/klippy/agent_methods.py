"""``connection.register_remote_method``: an agent connection asks to receive a
remote method that Klippy macros call with ``action_call_remote_method``.

Obico registers ``obico_remote_event`` this way. Each call is sent to that
connection as a JSON-RPC notification named after the method, its arguments
as ``params``, as Moonraker does; the method goes with the connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, Transport, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.connections import ClientConnection
    from moontwist.services.klippy.service import KlippyService

PERSISTENT = Transport.WEBSOCKET | Transport.UNIX


class AgentMethods:
    def __init__(self, klippy: "KlippyService") -> None:
        self._klippy = klippy
        self._owned: dict[int, list[str]] = {}
        klippy.ctx.connections.on_close.append(self._connection_closed)

    @endpoint("connection.register_remote_method", transports=PERSISTENT)
    def register(self, request: Request) -> str:
        connection = request.connection
        assert connection is not None
        info = getattr(connection, "client_info", None) or {}
        if info.get("type") != "agent":
            raise ApiError("Only connections of the 'agent' type can register methods")
        name = request.get_str("method_name")
        try:
            self._klippy.register_remote_method(name, _sender(connection, name))
        except ValueError:
            raise ApiError(f"Remote method ({name}) already registered") from None
        self._owned.setdefault(connection.connection_id, []).append(name)
        return "ok"

    def _connection_closed(self, connection: "ClientConnection") -> None:
        for name in self._owned.pop(connection.connection_id, []):
            self._klippy.unregister_remote_method(name)


def _sender(connection: Any, name: str) -> Any:
    def send(**params: Any) -> None:
        connection.send_notification(name, params or None)

    return send
