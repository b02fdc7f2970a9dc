"""``server.extensions.*`` and ``connection.send_event``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, Transport, endpoint

if TYPE_CHECKING:
    from moontwist.services.extensions.service import ExtensionsService

PERSISTENT = Transport.WEBSOCKET | Transport.UNIX


class ExtensionEndpoints:
    def __init__(self, service: "ExtensionsService") -> None:
        self._service = service

    @endpoint("server.extensions.list", "GET /server/extensions/list")
    def list_extensions(self, request: Request) -> dict[str, Any]:
        return {"agents": self._service.agent_list()}

    @endpoint("server.extensions.request", "POST /server/extensions/request")
    def call_agent(self, request: Request) -> Any:
        agent = request.get_str("agent")
        method = request.get_str("method")
        return self._service.call_agent(agent, method, request.get("arguments", None))

    @endpoint("connection.send_event", transports=PERSISTENT)
    def send_event(self, request: Request) -> str:
        assert request.connection is not None
        self._service.send_event(request.connection, request.get_str("event"), request.get("data", None))
        return "ok"
