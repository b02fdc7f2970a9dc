"""Authorization at the HTTP edge: every request passes here before any route.

``HttpGuard.wrap`` puts the guard in front of the site's root resource, so
every route — API endpoints, file downloads and uploads, the websocket
upgrade, routes added later — is covered without opting in. Per request it:

1. works out the client address (``trusted_proxies`` decide whether
   forwarding headers count) and stores it as ``request.moontwist_ip``;
2. checks ``Origin``: allowed origins get CORS headers, same-origin requests
   pass, any other origin is refused (403) — the browser would hide the
   answer anyway, and refusing stops cross-site form posts from acting;
3. answers ``OPTIONS`` preflights (204) without authentication;
4. authenticates (``AuthorizationService.authenticate``) and stores the user
   as ``request.moontwist_user``. Open routes (login, refresh, info, the
   welcome page, ``/server/jsonrpc`` whose methods are checked one by one,
   the websocket upgrade whose connection is checked per call, thumbnails)
   get an anonymous user instead of a 401.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET
from twisted.logger import Logger

from moontwist.api import Registry
from moontwist.errors import ApiError
from moontwist.resources.http import error_body, write_json
from moontwist.services.authorization import AuthorizationService, Credentials
from moontwist.services.authorization.addresses import client_address
from moontwist.services.authorization.cors import ALLOW_HEADERS, ALLOW_METHODS, same_origin

log = Logger()

# (verb, path) pairs open without authentication besides open registry endpoints;
# None as the verb means any.
OPEN_ROUTES = {("GET", "/"), ("POST", "/server/jsonrpc"), (None, "/websocket")}
OPEN_FILE_SUFFIXES = (".png", ".jpg")


class HttpGuard:
    """Decides, for each HTTP request, who is calling and whether it may go on."""

    def __init__(self, auth: AuthorizationService, registry: Registry, prefix: str = "") -> None:
        self.auth = auth
        self.registry = registry
        self.prefix = prefix

    def wrap(self, resource: IResource) -> IResource:
        return GuardedResource(resource, self)

    def render(self, request: IRequest, inner: IResource) -> Any:
        ip = self.client_ip(request)
        request.moontwist_ip = ip  # type: ignore[attr-defined]
        origin = _header(request, b"origin")
        if origin is not None and not self._origin_allowed(request, origin, ip):
            return write_json(request, 403, error_body(ApiError("Origin not allowed", 403)))
        if request.method == b"OPTIONS":
            return self._preflight(request, origin)
        outcome = self.auth.authenticate(self.credentials(request, ip), required=not self.is_open(request))
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
        forwarded = request.requestHeaders.getRawHeaders(b"x-forwarded-for")
        joined = b",".join(forwarded).decode("latin-1") if forwarded else None
        return client_address(peer, joined, _header(request, b"x-real-ip"), self.auth.proxies)

    def credentials(self, request: IRequest, ip: str | None) -> Credentials:
        """Moonraker's places: ``Authorization: Bearer``, else ``X-Access-Token`` or
        ``?access_token=``; ``?token=`` (oneshot); ``X-Api-Key``."""
        authorization = _header(request, b"authorization")
        if authorization is None:
            token = _header(request, b"x-access-token") or _query(request, b"access_token")
        elif authorization.startswith("Bearer "):
            token = authorization[len("Bearer "):].strip()
        else:
            token = None
        return Credentials(ip, token or None, _query(request, b"token") or None,
                           _header(request, b"x-api-key") or None)

    def is_open(self, request: IRequest) -> bool:
        """Whether the route may be called without a user."""
        raw_path = request.path.decode("utf-8", "replace")
        if not raw_path.startswith(self.prefix):
            return False
        path = raw_path[len(self.prefix):] or "/"
        verb = "GET" if request.method == b"HEAD" else request.method.decode("ascii", "replace")
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

    def _preflight(self, request: IRequest, origin: str | None) -> bytes:
        request.setResponseCode(204)
        if origin is not None:
            request.setHeader(b"access-control-allow-methods", ALLOW_METHODS)
            request.setHeader(b"access-control-allow-headers", ALLOW_HEADERS)
            if _header(request, b"access-control-request-private-network") == "true":
                request.setHeader(b"access-control-allow-private-network", b"true")
        return b""

    def _proceed(self, request: IRequest, inner: IResource, result: Any) -> Any:
        if isinstance(result, Failure):
            error = result.value if isinstance(result.value, ApiError) else ApiError("Internal Server Error", 500)
            if error.status == 500:
                log.failure("Authentication failed unexpectedly", failure=result)
            return write_json(request, error.status, error_body(error))
        request.moontwist_user = result  # type: ignore[attr-defined]
        return inner.render(request)

    def _proceed_later(self, result: Any, request: IRequest, inner: IResource, gone: list[bool]) -> None:
        if gone:
            return
        body = self._proceed(request, inner, result)
        if body is not NOT_DONE_YET:
            request.write(body)
            request.finish()


class GuardedResource(Resource):
    """The site's root: the guard, then the resource it protects."""

    isLeaf = True

    def __init__(self, inner: IResource, guard: HttpGuard) -> None:
        super().__init__()
        self._inner = inner
        self._guard = guard

    def render(self, request: IRequest) -> Any:
        return self._guard.render(request, self._inner)


def _header(request: IRequest, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def _query(request: IRequest, name: bytes) -> str | None:
    values = (request.args or {}).get(name)
    if not values:
        return None
    try:
        return str(values[-1].decode("utf-8"))
    except UnicodeDecodeError:
        return None

