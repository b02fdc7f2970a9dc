"""The HTTP API: a Klein app generated from the endpoint registry.

Each registered path becomes one Klein route; the route turns the HTTP request
into a ``Request`` (query string, JSON or form body; the body wins) and the
outcome into ``{"result": ...}`` or ``{"error": {...}}`` with the right status.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from urllib.parse import parse_qsl
from typing import Any, Callable

from klein import Klein
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from werkzeug.exceptions import MethodNotAllowed, NotFound

from moontwist.api import Endpoint, Registry, Request, Transport
from moontwist.errors import ApiError
from moontwist.protocols import jsoncodec
from moontwist.protocols.jsonrpc import JsonRpcDispatcher, fired_with_value

log = Logger()

JSON_TYPE = b"application/json; charset=UTF-8"
def _finite_float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


HINTS: dict[str, Callable[[str], Any]] = {
    "int": int,
    "float": _finite_float,
    "bool": lambda v: {"true": True, "false": False}[v.lower()],
    "json": jsoncodec.decode_client,
}


def client_ip(request: IRequest) -> str | None:
    """The address the authorization guard worked out (proxies considered), else the peer."""
    if hasattr(request, "moontwist_ip"):
        return request.moontwist_ip  # type: ignore[no-any-return]
    return getattr(request.getClientAddress(), "host", None)


def query_args(request: IRequest) -> dict[str, Any]:
    """Query-string arguments with ``key:type`` hints applied.

    Parsed from the URI ourselves: Moonraker's clients send bare names
    (``?extruder&toolhead``), which twisted.web's ``request.args`` drops.
    """
    _, _, query = request.uri.partition(b"?")
    return typed_args(query)


def typed_args(encoded: bytes) -> dict[str, Any]:
    """Decode ``a=1&b:int=2`` (UTF-8, percent-encoded) into typed arguments."""
    try:
        pairs = parse_qsl(encoded.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ApiError("Invalid UTF-8 in request arguments") from None
    args: dict[str, Any] = {}
    for key, value in pairs:
        name, _, hint = key.partition(":")
        if hint:
            convert = HINTS.get(hint)
            if convert is None:
                raise ApiError(f"Invalid type hint: {hint}")
            try:
                value = convert(value)
            except (KeyError, ValueError):
                raise ApiError(f"Unable to convert argument [{name}] to {hint}: value received: {value}") from None
        args[name] = value
    return args


def body_args(request: IRequest) -> dict[str, Any]:
    """Arguments from a JSON object body or a urlencoded form body."""
    content_type = (request.getHeader(b"content-type") or b"").split(b";")[0].strip().lower()
    if content_type not in (b"application/json", b"application/x-www-form-urlencoded"):
        return {}
    body = request.content.read() if request.content is not None else b""
    if not body.strip():
        return {}
    if content_type == b"application/x-www-form-urlencoded":
        return typed_args(body)
    try:
        decoded = jsoncodec.decode_client(body)
    except jsoncodec.InvalidValue as exc:
        raise ApiError(exc.message) from None
    except jsoncodec.DecodeError as exc:
        raise ApiError(f"Error Parsing JSON body: {exc}") from None
    if not isinstance(decoded, dict):
        raise ApiError("Invalid JSON body: expected an object")
    return decoded


def write_json(request: IRequest, status: int, body: bytes, etag: bool = False) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", JSON_TYPE)
    request.setHeader(b"cache-control", b"no-cache")
    if etag:
        tag = b'"' + hashlib.sha1(body).hexdigest().encode() + b'"'
        request.setHeader(b"etag", tag)
        if request.getHeader(b"if-none-match") == tag:
            request.setResponseCode(304)
            return b""
    return body


def error_body(error: ApiError, detail: str | None = None) -> bytes:
    payload: dict[str, Any] = {"code": error.status, "message": error.message}
    if detail:
        payload["traceback"] = detail
    return jsoncodec.encode({"error": payload})


class HttpApi(Resource):
    """The root HTTP resource.

    Registry routes are found by one dictionary lookup on (path, verb); a
    known path with another verb is 405. Websocket upgrades (``upgrade()``)
    are found the same way. Everything else (JSON-RPC over HTTP, file
    transfers, unknown paths) goes to the Klein app in ``self.app``. Routing
    every API call through Klein's werkzeug map cost more than the rest of
    the request (see docs/architecture.md). An upgrade's request lives as
    long as its connection: through Klein, 200 websockets held 90 KB more of
    small objects while open, and the first one loaded the IDNA codec for
    werkzeug (90 KB more after they closed; see services/collector.py).
    """

    isLeaf = True

    def __init__(self, registry: Registry, prefix: str = "", debug: bool = False) -> None:
        super().__init__()
        self.registry = registry
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.debug = debug
        self.app = Klein()
        self._routes: dict[bytes, dict[bytes, Endpoint]] = {}
        self._upgrades: dict[bytes, Callable[[IRequest], Any]] = {}
        self._klein: Any = None
        self._install_error_handlers()

    def route_path(self, path: str) -> str:
        return self.prefix + path

    def upgrade(self, path: str, render: Callable[[IRequest], Any]) -> None:
        """Serve ``path`` (any verb) with ``render``, outside Klein."""
        self._upgrades[self.route_path(path).encode()] = render

    def build(self) -> "HttpApi":
        self._build_routes()
        self.registry.on_change.append(self._build_routes)
        self.app.route(self.route_path("/server/jsonrpc"), methods=["POST"], branch=False)(self._jsonrpc)
        self._klein = self.app.resource()
        return self

    def _build_routes(self) -> None:
        routes: defaultdict[bytes, dict[bytes, Endpoint]] = defaultdict(dict)
        for (verb, path), entry in self.registry.routes():
            if entry.transports & Transport.HTTP:
                routes[self.route_path(path).encode()][verb.encode()] = entry
        self._routes = dict(routes)

    def render(self, request: IRequest) -> Any:
        verbs = self._routes.get(request.path)
        if verbs is None:
            upgrade = self._upgrades.get(request.path)
            return self._klein.render(request) if upgrade is None else upgrade(request)
        entry = verbs.get(request.method)
        if entry is None:
            if request.method == b"HEAD" and b"GET" in verbs:
                entry = verbs[b"GET"]
            else:
                return write_json(request, 405, error_body(ApiError("Method Not Allowed", 405)))
        result = self.call(request, entry)
        if isinstance(result, bytes):
            return result
        result.addCallback(self._finish, request)
        request.notifyFinish().addErrback(lambda _: result.cancel())
        return NOT_DONE_YET

    @staticmethod
    def _finish(body: bytes, request: IRequest) -> None:
        if not request.finished and not getattr(request, "_disconnected", False):
            request.write(body)
            request.finish()

    def call(self, request: IRequest, entry: Endpoint) -> Any:
        try:
            args = query_args(request)
            args.update(body_args(request))
        except ApiError as error:
            return self.render_error(request, Failure(error))
        api_request = Request(entry.method, args, Transport.HTTP, None, client_ip(request),
                              getattr(request, "moontwist_user", None), request.method.decode())
        deferred = self.registry.run(entry, api_request)
        is_get = request.method == b"GET"
        rendered = deferred.addCallbacks(
            lambda result: self.render_result(request, result, is_get),
            lambda failure: self.render_error(request, failure),
        )
        # Most handlers answer at once: returning the bytes lets twisted.web
        # send them with a Content-Length in one write, instead of a chunked
        # body that takes three writes and a terminating chunk.
        if fired_with_value(rendered):
            return rendered.result
        return rendered

    def render_result(self, request: IRequest, result: Any, etag: bool) -> bytes:
        try:
            body = jsoncodec.encode({"result": result})
        except (TypeError, ValueError, RecursionError):
            # A handler returned what JSON cannot hold: the client still gets an answer.
            log.failure("A result could not be encoded")
            return self.render_error(request, Failure(ApiError("Result could not be encoded", 500)))
        return write_json(request, 200, body, etag)

    def render_error(self, request: IRequest, failure: Failure) -> bytes:
        error = failure.value if isinstance(failure.value, ApiError) else ApiError(str(failure.value), 500)
        detail = failure.getTraceback() if self.debug else None
        return write_json(request, error.status, error_body(error, detail))

    def _jsonrpc(self, request: IRequest) -> Any:
        dispatcher = JsonRpcDispatcher(self.registry.rpc_dispatch(
            Transport.HTTP, None, client_ip(request), getattr(request, "moontwist_user", None)))
        body = request.content.read() if request.content is not None else b""
        return dispatcher.handle(body).addCallback(
            lambda reply: write_json(request, 200, reply or b"")
        )

    def _install_error_handlers(self) -> None:
        @self.app.handle_errors(NotFound)
        def not_found(request: IRequest, failure: Failure) -> bytes:
            return write_json(request, 404, error_body(ApiError("Not Found", 404)))

        @self.app.handle_errors(MethodNotAllowed)
        def not_allowed(request: IRequest, failure: Failure) -> bytes:
            return write_json(request, 405, error_body(ApiError("Method Not Allowed", 405)))
