"""Connected agents by name, their events, and calls relayed to them.

A connection that identifies with type ``agent`` is registered here under its
client name (one per name); ``notify_agent_event`` tells every other client
when it connects, disconnects or sends an event of its own.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, TimeoutError as DeferredTimeout

from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.services.extensions.endpoints import ExtensionEndpoints

# How long a relayed call waits for the agent's reply (Moonraker waits forever).
AGENT_CALL_TIMEOUT = 120.0
RESERVED_EVENTS = ("connected", "disconnected")


class ExtensionsService(Service):
    name = "extensions"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.agents: dict[str, Any] = {}
        ctx.registry.register(ExtensionEndpoints(self))
        ctx.connections.on_close.append(self._connection_closed)

    def register_agent(self, connection: Any, info: dict[str, Any]) -> None:
        """Called by identify before ``info`` becomes the connection's client info."""
        name = info["name"]
        if name in self.agents:
            raise ApiError(f"Agent '{name}' already registered and connected'")
        self.agents[name] = connection
        self._announce(connection, {"agent": name, "event": "connected", "data": info})

    def agent_list(self) -> list[dict[str, Any]]:
        return [dict(connection.client_info) for connection in self.agents.values()]

    def send_event(self, connection: Any, event: str, data: Any) -> None:
        info = connection.client_info or {}
        if info.get("type") != "agent":
            raise ApiError("Only connections of the 'agent' type can send events")
        if event in RESERVED_EVENTS:
            raise ApiError(f"Event '{event}' is reserved")
        message: dict[str, Any] = {"agent": info["name"], "event": event}
        if data is not None:
            message["data"] = data
        self._announce(connection, message)

    def call_agent(self, agent: str, method: str, arguments: Any) -> "Deferred[Any]":
        if arguments is not None and not isinstance(arguments, (list, dict)):
            raise ApiError("The 'arguments' field must contain an object or a list")
        connection = self.agents.get(agent)
        if connection is None:
            raise ApiError(f"Agent {agent} not connected")
        answer: Deferred[Any] = connection.call_method(method, arguments)
        answer.addTimeout(AGENT_CALL_TIMEOUT, self.ctx.reactor)

        def timed_out(failure: Any) -> Any:
            failure.trap(DeferredTimeout)
            raise ApiError(f"Agent {agent} did not answer {method} within {AGENT_CALL_TIMEOUT:.0f} s", 504)

        return answer.addErrback(timed_out)

    def _announce(self, source: Any, event: dict[str, Any]) -> None:
        others = [connection for connection in self.ctx.connections if connection is not source]
        self.ctx.connections.send_to(others, "notify_agent_event", [event])

    def _connection_closed(self, connection: Any) -> None:
        name = (connection.client_info or {}).get("name")
        if name is not None and self.agents.get(name) is connection:
            del self.agents[name]
            self._announce(connection, {"agent": name, "event": "disconnected"})
