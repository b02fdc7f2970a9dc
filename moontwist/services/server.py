"""The server's own methods: info, config, restart, connection identity."""

from __future__ import annotations

import os
import sys
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred

from moontwist import API_VERSION, MOONRAKER_VERSION, __version__
from moontwist.api import Request, Transport, endpoint
from moontwist.context import ServerContext
from moontwist.errors import ApiError

CLIENT_TYPES = ("web", "mobile", "desktop", "display", "bot", "agent", "other")
PERSISTENT = Transport.WEBSOCKET | Transport.UNIX


class ServerService(Service):
    """``server.info``, ``server.config``, ``server.restart``, identify."""

    name = "server"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    def stopService(self) -> "Deferred[None]":
        super().stopService()
        self.ctx.events.emit("server_stopping")
        return Deferred.fromCoroutine(self.ctx.connections.close_all(self.ctx.reactor))

    @endpoint("server.info", "GET /server/info")
    def info(self, request: Request) -> dict[str, Any]:
        ctx = self.ctx
        klippy = ctx.components.get("klippy")
        warnings = list(ctx.warnings)
        if not request.get_bool("raw", False):
            warnings = [w.replace("\n", "<br/>") for w in warnings]
        files = ctx.components.get("file_manager")
        return {
            "klippy_connected": bool(klippy and klippy.connected),
            "klippy_state": klippy.state if klippy else "disconnected",
            "components": list(ctx.components),
            "failed_components": list(ctx.failed_components),
            "registered_directories": list(files.root_names()) if files else [],
            "warnings": warnings,
            "websocket_count": ctx.connections.websocket_count(),
            "moonraker_version": MOONRAKER_VERSION,
            "missing_klippy_requirements": list(klippy.missing_requirements) if klippy else [],
            "api_version": list(API_VERSION),
            "api_version_string": ".".join(map(str, API_VERSION)),
            "moontwist_version": __version__,
        }

    @endpoint("server.config", "GET /server/config")
    def config(self, request: Request) -> dict[str, Any]:
        return self.ctx.config.server_config()

    @endpoint("server.restart", "POST /server/restart")
    def restart(self, request: Request) -> str:
        self.schedule_restart(0.1)
        return "ok"

    def schedule_restart(self, delay: float) -> None:
        """Stop cleanly after ``delay`` (time to answer), then start again (config is re-read)."""
        reactor = self.ctx.reactor
        reactor.addSystemEventTrigger("after", "shutdown", _reexec, self.ctx.options.systemd.environment())
        reactor.callLater(delay, reactor.stop)

    @endpoint("server.connection.identify", transports=PERSISTENT, auth_required=False)
    def identify(self, request: Request) -> dict[str, Any]:
        connection = request.connection
        assert connection is not None
        if getattr(connection, "client_info", None) is not None:
            raise ApiError(f"Connection already identified: {connection.connection_id}")
        info = {
            "name": request.get_str("client_name"),
            "version": request.get_str("version"),
            "type": request.get_str("type").lower(),
            "url": request.get_str("url"),
        }
        authorization = self.ctx.components.get("authorization")
        if authorization is not None:
            authorization.identify_connection(connection, request)
        if info["type"] not in CLIENT_TYPES:
            raise ApiError(f"Invalid Client Type: {info['type']}")
        if info["type"] == "agent":
            self._register_agent(connection, info)
        connection.client_info = info
        self.ctx.events.emit("connection_identified", connection, request)
        return {"connection_id": connection.connection_id}

    def _register_agent(self, connection: Any, info: dict[str, Any]) -> None:
        # An agent's methods and events reach every client: it must have a user
        # (the Unix socket needs none, as for every other method there).
        if connection.transport is Transport.WEBSOCKET and getattr(connection, "user", None) is None:
            raise ApiError("Unauthorized", 401)
        extensions = self.ctx.components.get("extensions")
        if extensions is None:
            raise ApiError("Agents are not supported without the extensions component")
        extensions.register_agent(connection, info)

    @endpoint("server.websocket.id", transports=PERSISTENT)
    def websocket_id(self, request: Request) -> dict[str, Any]:
        assert request.connection is not None
        return {"websocket_id": request.connection.connection_id}


def _reexec(systemd: dict[str, str]) -> None:
    """Replace this process with a fresh copy of itself (config is re-read); systemd's
    variables go back into its environment: it is still the service's main process."""
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **systemd})
