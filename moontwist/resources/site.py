"""The HTTP site: the API routes plus the websocket upgrade, behind an optional prefix."""

from __future__ import annotations

from typing import Any

from autobahn.twisted.resource import WebSocketResource
from twisted.web.iweb import IRequest
from twisted.web.server import Site

from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.resources.http import HttpApi, error_body, write_json
from moontwist.resources.websocket import JsonRpcWebsocketFactory


class ApiSite(Site):
    """A Site that writes an access log line per request only when verbose.

    Formatting the combined log line was a tenth of the cost of a
    ``server.info`` request (profile in docs/architecture.md).
    """

    access_log = False

    def log(self, request: IRequest) -> None:
        if self.access_log:
            super().log(request)


def build_site(ctx: ServerContext, prefix: str = "") -> Site:
    """One ``Site`` serving every HTTP route and ``/websocket`` for ``ctx``."""
    api = HttpApi(ctx.registry, prefix, debug=ctx.options.debug)
    factory = JsonRpcWebsocketFactory(ctx.registry, ctx.connections, ctx.reactor)
    upgrade = WebSocketResource(factory)

    @api.app.route(api.route_path("/websocket"), branch=False)
    def websocket(request: IRequest) -> Any:
        if not ctx.connections.has_room_for_websocket():
            error = ApiError("Maximum number of open websockets reached", 503)
            return write_json(request, 503, error_body(error))
        return upgrade

    site = ApiSite(api.build())
    site.access_log = ctx.options.verbose
    site.displayTracebacks = False
    return site
