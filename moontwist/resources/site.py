"""The HTTP site: the API routes plus the websocket upgrade, behind an optional prefix."""

from __future__ import annotations

from typing import Any

from autobahn.twisted.resource import WebSocketResource
from twisted.web.iweb import IRequest
from twisted.web.server import Site

from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.resources.files import install_file_routes
from moontwist.resources.guard import HttpGuard
from moontwist.resources.http import HttpApi, client_ip, error_body, write_json
from moontwist.protocols.flow import DEFAULT_SEND_LIMIT
from moontwist.resources.bridge import BridgeFactory
from moontwist.resources.octoprint import install_octoprint_routes
from moontwist.resources.websocket import JsonRpcWebsocketFactory


class ApiSite(Site):
    """A Site that writes an access log line per request only when verbose.

    Formatting the combined log line was a tenth of the cost of a
    ``server.info`` request (profile in docs/architecture.md).
    """

    access_log = False
    # Every request passes it before reaching any resource (see resources/guard.py).
    guard: HttpGuard | None = None

    def log(self, request: IRequest) -> None:
        if self.access_log:
            super().log(request)

    def getResourceFor(self, request: IRequest) -> Any:
        resource = super().getResourceFor(request)
        return self.guard.wrap(resource) if self.guard is not None else resource


def build_site(ctx: ServerContext, prefix: str = "") -> Site:
    """One ``Site`` serving every HTTP route and ``/websocket`` for ``ctx``."""
    api = HttpApi(ctx.registry, prefix, debug=ctx.options.debug)
    factory = JsonRpcWebsocketFactory(ctx.registry, ctx.connections, ctx.reactor)

    @api.app.route(api.route_path("/websocket"), branch=False)
    def websocket(request: IRequest) -> Any:
        if not ctx.connections.has_room_for_websocket():
            error = ApiError("Maximum number of open websockets reached", 503)
            return write_json(request, 503, error_body(error))
        return factory.upgrade(getattr(request, "moontwist_user", None), client_ip(request))

    _add_bridge(ctx, api)
    install_octoprint_routes(ctx, api)
    site = ApiSite(api.build(), requestFactory=install_file_routes(ctx, api))
    authorization = ctx.components.get("authorization")
    if authorization is not None:
        site.guard = HttpGuard(authorization, ctx.registry, api.prefix)
    site.access_log = ctx.options.verbose
    site.displayTracebacks = False
    return site


def _add_bridge(ctx: ServerContext, api: HttpApi) -> None:
    """``/klippysocket``: refused while Klippy is away, closed when it shuts down."""
    klippy = ctx.components.get("klippy")
    if klippy is None:
        return
    factory = BridgeFactory(ctx.reactor, lambda: klippy.socket_path, DEFAULT_SEND_LIMIT)
    upgrade = WebSocketResource(factory)
    ctx.events.on("klippy_shutdown", lambda *_: factory.close_all("Klippy shutdown"))
    ctx.events.on("server_stopping", lambda *_: factory.close_all("Server shutdown"))

    @api.app.route(api.route_path("/klippysocket"), branch=False)
    def klippysocket(request: IRequest) -> Any:
        if not klippy.connected:
            return write_json(request, 503, error_body(ApiError("Klippy connection not available", 503)))
        return upgrade
