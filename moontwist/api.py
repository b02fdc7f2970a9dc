"""The endpoint registry: each API method declared once, served on every transport.

A service marks a handler with ``@endpoint("server.info", "GET /server/info")``;
``Registry.register(service)`` collects the marks. Transports build a ``Request``
and call ``Registry.dispatch``; they never see the services behind it.
"""

from __future__ import annotations

import enum
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, Protocol, TypeVar

from twisted.internet.defer import Deferred, ensureDeferred, fail, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.errors import ApiError
from moontwist.protocols.jsonrpc import INVALID_PARAMS, RpcCall, RpcError

log = Logger()


class Transport(enum.Flag):
    HTTP = enum.auto()
    WEBSOCKET = enum.auto()
    UNIX = enum.auto()
    MQTT = enum.auto()
    INTERNAL = enum.auto()
    JSONRPC = WEBSOCKET | UNIX | MQTT
    ALL = HTTP | WEBSOCKET | UNIX | MQTT | INTERNAL


class Connection(Protocol):
    """What a persistent client connection (websocket, Unix socket) offers services."""

    connection_id: int
    transport: Transport

    def send_notification(self, method: str, params: list[Any] | dict[str, Any] | None = None) -> None: ...


Handler = Callable[["Request"], Any]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Endpoint:
    """One API method: its JSON-RPC name, its HTTP routes (verb, path), its handler."""

    method: str
    http_routes: tuple[tuple[str, str], ...]
    handler: Handler
    transports: Transport
    auth_required: bool = True

    @property
    def http_verb(self) -> str | None:
        return self.http_routes[0][0] if self.http_routes else None

    @property
    def http_path(self) -> str | None:
        return self.http_routes[0][1] if self.http_routes else None


def parse_routes(http: str | None) -> tuple[tuple[str, str], ...]:
    """``"GET /path"`` or ``"GET,POST /path"`` as (verb, path) pairs."""
    if not http:
        return ()
    verbs, path = http.split(" ", 1)
    return tuple((verb, path) for verb in verbs.split(","))


def endpoint(method: str, http: str | None = None, transports: Transport | None = None,
             auth_required: bool = True) -> Callable[[F], F]:
    """Declare a handler. ``http`` is ``"VERB /path"`` (``"GET,POST /path"`` for
    both verbs), or None for JSON-RPC only.

    Without ``transports`` the method is served on HTTP (when it has a path) and
    on every JSON-RPC transport. ``auth_required=False`` opens it to clients that
    have not authenticated (login, token refresh, ...): a deliberate, rare choice.
    """
    routes = parse_routes(http)
    if transports is None:
        transports = Transport.JSONRPC | Transport.INTERNAL
        if http:
            transports |= Transport.HTTP

    def mark(function: F) -> F:
        marks = function.__dict__.setdefault("_moontwist_endpoints", [])
        marks.append((method, routes, transports, auth_required))
        return function

    return mark


_MISSING: Any = object()
# How much of a value that failed to convert the error message repeats.
MAX_ECHOED = 200

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass
class Request:
    """Arguments and context of one API call, whatever transport it came on."""

    method: str
    args: dict[str, Any] = field(default_factory=dict)
    transport: Transport = Transport.INTERNAL
    connection: Connection | None = None
    ip: str | None = None
    user: dict[str, Any] | None = None
    http_verb: str | None = None

    def get(self, key: str, default: Any = _MISSING) -> Any:
        if key in self.args:
            return self.args[key]
        if default is _MISSING:
            raise ApiError(f"No data for argument: {key}")
        return default

    def _convert(self, key: str, default: Any, name: str, convert: Callable[[Any], Any]) -> Any:
        value = self.get(key, default)
        if value is default and default is not _MISSING:
            return value
        try:
            return convert(value)
        except (TypeError, ValueError):
            shown = str(value)
            if len(shown) > MAX_ECHOED:
                shown = shown[:MAX_ECHOED] + "..."
            raise ApiError(f"Unable to convert argument [{key}] to {name}: value received: {shown}") from None

    def get_str(self, key: str, default: Any = _MISSING) -> Any:
        return self._convert(key, default, "str", _to_str)

    def get_int(self, key: str, default: Any = _MISSING) -> Any:
        return self._convert(key, default, "int", _to_int)

    def get_float(self, key: str, default: Any = _MISSING) -> Any:
        return self._convert(key, default, "float", _to_float)

    def get_bool(self, key: str, default: Any = _MISSING) -> Any:
        return self._convert(key, default, "bool", _to_bool)

    def get_list(self, key: str, default: Any = _MISSING) -> Any:
        """A list of strings; anything else in it (a list, an object, null) is 400."""
        return self._convert(key, default, "list of strings", _to_list)

    def get_dict(self, key: str, default: Any = _MISSING) -> Any:
        return self._convert(key, default, "dict", _to_dict)


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise TypeError


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip())
    else:
        raise TypeError
    if not math.isfinite(number):
        raise ValueError
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError


def _to_list(value: Any) -> list[str]:
    """A list of strings: a JSON array of strings (or numbers), or ``a,b,c``."""
    if isinstance(value, list):
        return [_to_str(item) for item in value]
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    raise TypeError


def _to_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise TypeError


class Registry:
    """Every endpoint, found by JSON-RPC method name or by HTTP verb and path."""

    def __init__(self) -> None:
        self._by_method: dict[str, Endpoint] = {}
        self._by_route: dict[tuple[str, str], Endpoint] = {}
        self.checks: list[Callable[[Endpoint, Request], None]] = []
        # Called after endpoints come or go (the HTTP side rebuilds its routes).
        self.on_change: list[Callable[[], None]] = []
        # Told of every call's end: the endpoint, the request, None or the ApiError (metrics).
        self.observers: list[Callable[[Endpoint, Request, ApiError | None], None]] = []

    def add(self, entry: Endpoint) -> None:
        if entry.method in self._by_method:
            raise ValueError(f"endpoint {entry.method} registered twice")
        self._by_method[entry.method] = entry
        for route in entry.http_routes:
            self._by_route[route] = entry
        self._changed()

    def remove(self, method: str) -> None:
        """Withdraw an endpoint added at run time (Klippy's own, when Klippy lists others)."""
        entry = self._by_method.pop(method)
        for route in entry.http_routes:
            if self._by_route.get(route) is entry:
                del self._by_route[route]
        self._changed()

    def _changed(self) -> None:
        for callback in self.on_change:
            callback()

    def register(self, owner: object) -> None:
        """Add every ``@endpoint``-marked method of ``owner``."""
        for _, member in inspect.getmembers(type(owner), inspect.isfunction):
            for method, routes, transports, auth in member.__dict__.get("_moontwist_endpoints", ()):
                self.add(Endpoint(method, routes, getattr(owner, member.__name__), transports, auth))

    def endpoints(self) -> Iterable[Endpoint]:
        return self._by_method.values()

    def routes(self) -> Iterable[tuple[tuple[str, str], Endpoint]]:
        """Every HTTP ((verb, path), endpoint) pair."""
        return self._by_route.items()

    def by_method(self, method: str) -> Endpoint | None:
        return self._by_method.get(method)

    def by_route(self, verb: str, path: str) -> Endpoint | None:
        return self._by_route.get((verb, path))

    def dispatch(self, request: Request) -> "Deferred[Any]":
        """Run the endpoint named by ``request.method``; failures are ApiError."""
        entry = self._by_method.get(request.method)
        if entry is None:
            return fail(ApiError("Method not found", 404))
        if not entry.transports & request.transport:
            return fail(ApiError(f"Method not found for transport {request.transport.name}", 404))
        return self.run(entry, request)

    def run(self, entry: Endpoint, request: Request) -> "Deferred[Any]":
        result = self._run(entry, request)
        if self.observers:
            result.addBoth(self._observe, entry, request)
        return result

    def _observe(self, outcome: Any, entry: Endpoint, request: Request) -> Any:
        error = outcome.value if isinstance(outcome, Failure) and isinstance(outcome.value, ApiError) else None
        for observer in self.observers:
            observer(entry, request, error)
        return outcome

    def _run(self, entry: Endpoint, request: Request) -> "Deferred[Any]":
        try:
            for check in self.checks:
                check(entry, request)
            outcome = entry.handler(request)
        except ApiError as error:
            return fail(error)
        except Exception as error:
            log.failure("Unhandled error in {method}", method=entry.method)
            return fail(ApiError(str(error) or type(error).__name__, 500))
        if isinstance(outcome, Deferred):
            return outcome.addErrback(_unexpected, entry.method)
        if inspect.isawaitable(outcome):
            return ensureDeferred(_awaited(outcome)).addErrback(_unexpected, entry.method)
        return succeed(outcome)

    def rpc_dispatch(
        self, transport: Transport, connection: Connection | None = None, ip: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> Callable[[RpcCall], "Deferred[Any]"]:
        """A JSON-RPC dispatch function for one connection of ``transport``.

        Each call runs as the connection's user at that moment (it changes on
        login and logout), or as ``user`` when there is no connection.
        """

        def dispatch(call: RpcCall) -> "Deferred[Any]":
            caller = getattr(connection, "user", None) if connection is not None else user
            request = Request(call.method, call.params, transport, connection, ip, caller)
            return self.dispatch(request).addErrback(_to_rpc_error)

        return dispatch


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _unexpected(failure: Any, method: str) -> Any:
    if failure.check(ApiError):
        return failure
    log.failure("Unhandled error in {method}", failure=failure, method=method)
    raise ApiError(str(failure.value) or type(failure.value).__name__, 500)


def _to_rpc_error(failure: Any) -> Any:
    error = failure.value
    if isinstance(error, ApiError):
        raise RpcError(error.jsonrpc_code, error.message, error.data)
    if isinstance(error, TypeError):
        raise RpcError(INVALID_PARAMS, f"Invalid params:\n{error}")
    raise RpcError(500, str(error))
