"""Authorization at the HTTP edge: every request passes here before any route.

The site (``ApiSite.guard``) puts the guard in front of whatever resource a
request resolves to, so every route — API endpoints, file downloads, the
websocket upgrades, routes added later — is covered without opting in. For
each request it:

1. works out the client address (``trusted_proxies`` decide whether
   forwarding headers count) and stores it as ``request.moontwist_ip``;
2. checks ``Origin``: allowed origins get CORS headers, same-origin requests
   pass, any other origin is refused (403) — the browser would hide the
   answer anyway, and refusing stops cross-site form posts from acting;
3. lets ``OPTIONS`` preflights through without authentication;
4. authenticates (``AuthorizationService.authenticate``) and stores the user
   as ``request.moontwist_user``. Open routes (login, refresh, info, the
   welcome page, ``/server/jsonrpc`` whose methods are checked one by one,
   the websocket upgrade whose calls are checked one by one, thumbnails) get
   an anonymous user instead of a 401.

Before any body is stored, the request (``resources/request.py``) asks
``refusal`` on the headers, for every route: a refused request's body is
never read. It spends nothing (a oneshot token stays good for the real
judgment before the route runs).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET

from moontwist.api import Registry
from moontwist.errors import ApiError
from moontwist.resources.http import error_body, write_json
from moontwist.services.authorization import AuthorizationService, Credentials
from moontwist.services.authorization.addresses import client_address
from moontwist.services.authorization.cors import ALLOW_HEADERS, ALLOW_METHODS, same_origin

log = Logger()

# (verb, path) pairs open without authentication besides open registry endpoints;
# None as the verb means any.
OPEN_ROUTES = {("GET", "/"), ("POST", "/server/jsonrpc"), (None, "/websocket"),
               # OctoPrint's version probes (slicers check them before sending their key).
               ("GET", "/api/version"), ("GET", "/api/server")}
OPEN_FILE_SUFFIXES = (".png", ".jpg")


class HttpGuard:
    """Decides, for each HTTP request, who is calling and whether it may go on."""

    def __init__(self, auth: AuthorizationService, registry: Registry, prefix: str = "") -> None:
        self.auth = auth
        self.registry = registry
        self.prefix = prefix
        self._wrapped: tuple[IResource, IResource] | None = None

    def wrap(self, resource: IResource) -> IResource:
        """``resource`` behind the guard (the last one is kept: it is nearly always the root)."""
        if self._wrapped is None or self._wrapped[0] is not resource:
            self._wrapped = (resource, GuardedResource(resource, self))
        return self._wrapped[1]

    def refusal(self, request: IRequest, method: bytes, target: bytes) -> ApiError | None:
        """Judge on the headers alone, spending and logging nothing unless refusing.

        For code that must decide before the body is read (``BoundedRequest``):
        the error to answer at once, or None to go on — the guard then judges
        the request for real before any route runs.
        """
        outcome = self._judge(request, method, target, spend=False)
        result = outcome.result if outcome.called else None
        outcome.addErrback(lambda _: None)
        if not isinstance(result, Failure):
            return None
        error = result.value if isinstance(result.value, ApiError) else ApiError("Internal Server Error", 500)
        return self.auth.refused(_client(request), f"{error.message} (before the body)", error.message, error.status)

    def _judge(self, request: IRequest, method: bytes, target: bytes, spend: bool) -> "Deferred[Any]":
        """The caller's user (None: anonymous on an open route), or ApiError 401 / 403 (origin)."""
        ip = self.client_ip(request)
        request.moontwist_ip = ip  # type: ignore[attr-defined]
        origin = _header(request, b"origin")
        if origin is not None and not self._origin_allowed(request, origin, ip):
            return fail(ApiError("Origin not allowed", 403))
        if method == b"OPTIONS":
            return succeed(None)
        path, _, query = target.partition(b"?")
        required = not self.is_open(method, path)
        return self.auth.authenticate(self.credentials(request, ip, query), required, spend)

    def render(self, request: IRequest, inner: IResource) -> Any:
        outcome = self._judge(request, request.method, request.uri, spend=True)
        if outcome.called:
            result = outcome.result
            outcome.addErrback(lambda _: None)
            return self._proceed(request, inner, result)
        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _: gone.append(True))
        outcome.addBoth(self._proceed_later, request, inner, gone)
        return NOT_DONE_YET

    def client_ip(self, request: IRequest) -> str | None:
        peer = getattr(request.getClientAddress(), "host", None)
        if not self.auth.proxies.addresses and not self.auth.proxies.networks:
            return peer
        forwarded = request.requestHeaders.getRawHeaders(b"x-forwarded-for")
        joined = b",".join(forwarded).decode("latin-1") if forwarded else None
        return client_address(peer, joined, _header(request, b"x-real-ip"), self.auth.proxies)

    def credentials(self, request: IRequest, ip: str | None, query: bytes) -> Credentials:
        """Moonraker's places: ``Authorization: Bearer``, else ``X-Access-Token`` or
        ``?access_token=``; ``?token=`` (oneshot); ``X-Api-Key``."""
        authorization = _header(request, b"authorization")
        if authorization is None:
            token = _header(request, b"x-access-token") or _query_value(query, b"access_token")
        elif authorization.startswith("Bearer "):
            token = authorization[len("Bearer "):].strip()
        else:
            token = None
        return Credentials(ip, token or None, _query_value(query, b"token") or None,
                           _header(request, b"x-api-key") or None)

    def is_open(self, method: bytes, raw_path: bytes) -> bool:
        """Whether the route may be called without a user."""
        text = raw_path.decode("utf-8", "replace")
        if not text.startswith(self.prefix):
            return False
        path = text[len(self.prefix):] or "/"
        verb = "GET" if method == b"HEAD" else method.decode("ascii", "replace")
        if (verb, path) in OPEN_ROUTES or (None, path) in OPEN_ROUTES:
            return True
        entry = self.registry.by_route(verb, path)
        if entry is not None:
            return not entry.auth_required
        return (verb == "GET" and path.startswith("/server/files/")
                and unquote(path).lower().endswith(OPEN_FILE_SUFFIXES))

    def _origin_allowed(self, request: IRequest, origin: str, ip: str | None) -> bool:
        if self.auth.cors.allows(origin):
            request.setHeader(b"access-control-allow-origin", origin.encode("latin-1"))
            request.setHeader(b"vary", b"Origin")
            return True
        if same_origin(origin, _header(request, b"host"), request.isSecure()):
            return True
        log.warn("Refused request from {ip}: origin {origin} is not allowed", ip=ip, origin=origin)
        return False

    def _proceed(self, request: IRequest, inner: IResource, result: Any) -> Any:
        if isinstance(result, Failure):
            error = result.value if isinstance(result.value, ApiError) else ApiError("Internal Server Error", 500)
            if error.status == 500:
                log.failure("Authentication failed unexpectedly", failure=result)
            return write_json(request, error.status, error_body(error))
        request.moontwist_user = result  # type: ignore[attr-defined]
        if request.method == b"OPTIONS":
            return _preflight(request)
        return inner.render(request)

    def _proceed_later(self, result: Any, request: IRequest, inner: IResource, gone: list[bool]) -> None:
        if gone:
            return
        body = self._proceed(request, inner, result)
        if body is not NOT_DONE_YET:
            request.write(body)
            request.finish()


class GuardedResource(Resource):
    """The guard, then the resource it protects."""

    isLeaf = True

    def __init__(self, inner: IResource, guard: HttpGuard) -> None:
        super().__init__()
        self._inner = inner
        self._guard = guard

    def render(self, request: IRequest) -> Any:
        return self._guard.render(request, self._inner)


def _preflight(request: IRequest) -> bytes:
    """Answer a CORS preflight: 204, with the CORS headers when the origin is allowed."""
    request.setResponseCode(204)
    if request.responseHeaders.hasHeader(b"access-control-allow-origin"):
        request.setHeader(b"access-control-allow-methods", ALLOW_METHODS)
        request.setHeader(b"access-control-allow-headers", ALLOW_HEADERS)
        if _header(request, b"access-control-request-private-network") == "true":
            request.setHeader(b"access-control-allow-private-network", b"true")
    return b""


def _client(request: IRequest) -> str | None:
    return getattr(request, "moontwist_ip", None)


def _header(request: IRequest, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def _query_value(query: bytes, name: bytes) -> str | None:
    """The last ``name=`` value of a raw query string (None if absent or not UTF-8)."""
    if name not in query:
        return None
    found = None
    for pair in query.split(b"&"):
        key, _, value = pair.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == name:
            found = value
    if found is None:
        return None
    try:
        return unquote_to_bytes(found.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None
