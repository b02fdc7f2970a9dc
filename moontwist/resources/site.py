"""The HTTP site: the API routes plus the websocket upgrade, behind an optional prefix."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from autobahn.twisted.resource import WebSocketResource
from twisted.web.http import combinedLogFormatter
from twisted.web.iweb import IRequest
from twisted.web.server import Site

from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.resources.files import install_file_routes
from moontwist.resources.channel import ApiChannel
from moontwist.resources.guard import HttpGuard
from moontwist.resources.http import HttpApi, client_ip, error_body, write_json
from moontwist.protocols.flow import DEFAULT_SEND_LIMIT
from moontwist.resources.bridge import BridgeFactory
from moontwist.resources.metrics import install_metrics_route
from moontwist.resources.octoprint import install_octoprint_routes
from moontwist.resources.welcome import install_welcome_route
from moontwist.resources.request import DEFAULT_BODY_LIMIT, BodyGate, request_factory
from moontwist.resources.websocket import JsonRpcWebsocketFactory


class ApiSite(Site):
    """A Site that writes an access log line per request only when verbose.

    Formatting the combined log line was a tenth of the cost of a
    ``server.info`` request (profile in docs/architecture.md). The line
    never shows a ``?token=`` or ``?access_token=`` value: they are credentials.
    """

    noisy = False  # "Starting factory <ApiSite object at 0x…>": the listener logs where it listens
    protocol = ApiChannel
    access_log = False
    # Every request passes it before reaching any resource (see resources/guard.py).
    guard: HttpGuard | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("logFormatter", redacted_log_line)
        super().__init__(*args, **kwargs)

    def log(self, request: IRequest) -> None:
        if self.access_log:
            super().log(request)

    def getResourceFor(self, request: IRequest) -> Any:
        resource = super().getResourceFor(request)
        return self.guard.wrap(resource) if self.guard is not None else resource


# Query arguments that carry credentials (oneshot token, JWT): never written to a log.
SECRET_QUERY_NAMES = (b"token", b"access_token")


def redacted_log_line(timestamp: str, request: IRequest) -> str:
    """Twisted's combined access log line, with credentials in the URI and Referer hidden."""
    return combinedLogFormatter(timestamp, _Redacted(request))


class _Redacted:
    """A request as the log line sees it: secret query values replaced by ``***``."""

    def __init__(self, request: IRequest) -> None:
        self._request = request
        self.uri = redact_query(request.uri)

    def getHeader(self, name: bytes) -> bytes | None:
        value = self._request.getHeader(name)
        return redact_query(value) if value is not None and name.lower() == b"referer" else value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


def redact_query(uri: bytes) -> bytes:
    """``uri`` with the values of ``SECRET_QUERY_NAMES`` arguments replaced by ``***``."""
    path, mark, query = uri.partition(b"?")
    if not mark:
        return uri
    pairs = []
    for pair in query.split(b"&"):
        key, equals, _ = pair.partition(b"=")
        if equals and unquote_to_bytes(key.replace(b"+", b" ")).lower() in SECRET_QUERY_NAMES:
            pair = key + b"=***"
        pairs.append(pair)
    return path + mark + b"&".join(pairs)


def build_site(ctx: ServerContext, prefix: str = "", max_body_size: int = DEFAULT_BODY_LIMIT) -> Site:
    """One ``Site`` serving every HTTP route and ``/websocket`` for ``ctx``;
    a body other than an upload's may be ``max_body_size`` bytes."""
    api = HttpApi(ctx.registry, prefix, debug=ctx.options.debug)
    factory = JsonRpcWebsocketFactory(ctx.registry, ctx.connections, ctx.reactor)

    def websocket(request: IRequest) -> Any:
        user = getattr(request, "moontwist_user", None)
        if not ctx.connections.has_room_for_websocket(anonymous=user is None):
            error = ApiError("Maximum number of open websockets reached", 503)
            return write_json(request, 503, error_body(error))
        return factory.upgrade(user, client_ip(request)).render(request)

    api.upgrade("/websocket", websocket)

    _add_bridge(ctx, api)
    install_octoprint_routes(ctx, api)
    install_welcome_route(ctx, api)
    install_metrics_route(ctx, api)
    gate = BodyGate(max_body_size, ctx.reactor)
    install_file_routes(ctx, api, gate)
    site = ApiSite(api.build(), requestFactory=request_factory(gate))
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

    def klippysocket(request: IRequest) -> Any:
        if not klippy.connected:
            return write_json(request, 503, error_body(ApiError("Klippy connection not available", 503)))
        return upgrade.render(request)

    api.upgrade("/klippysocket", klippysocket)
