"""The authorization service: who is calling, and whether they may.

Every transport asks the same question here. HTTP requests (and the
websocket upgrade) bring ``Credentials`` to ``authenticate``; websocket
connections may authenticate later through ``server.connection.identify`` or
``access.login``; every call of a method that requires a user passes
``check`` (a registry check), so an endpoint is protected on every transport
by being declared. The Unix socket is local and trusted; so are internal calls.

Order (Moonraker's): JWT, oneshot token, API key, then ``force_logins``, then
trusted address. A credential that fails is logged and remembered, but does
not revoke trust: a trusted client sending a dummy API key or a blank token
(real slicers do) stays trusted. Untrusted, the first failure is the answer.
"""

from __future__ import annotations

import hmac
import socket
from dataclasses import dataclass
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.threads import deferToThread
from twisted.logger import Logger

from moontwist.api import Endpoint, Request, Transport
from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.services.server_options import SERVER
from moontwist.services.authorization import passwords, tokens
from moontwist.services.authorization.addresses import AddressSet, TrustedClients
from moontwist.services.authorization.cors import CorsPolicy
from moontwist.services.authorization.endpoints import AccessEndpoints
from moontwist.services.authorization.oneshot import OneshotTokens
from moontwist.services.authorization.options import AUTHORIZATION
from moontwist.services.authorization.ratelimit import LoginLimiter
from moontwist.services.authorization.users import (
    API_KEY_USER, NAMESPACE, SOURCES, TRUSTED_USER, UserStore, public_view, signing_key,
)

log = Logger()

# Transports whose clients are local or vouched for elsewhere: no user needed.
UNCHECKED = Transport.UNIX | Transport.INTERNAL | Transport.MQTT
User = dict[str, Any]


@dataclass(slots=True)
class Credentials:
    """What a client presented: its address and any token or key (blank means none)."""

    ip: str | None
    access_token: str | None = None
    oneshot_token: str | None = None
    api_key: str | None = None


class AuthorizationService(Service):
    """Users, tokens, the API key, trusted clients and CORS; the one authentication path."""

    name = "authorization"

    def __init__(self, ctx: ServerContext, run_blocking: Callable[..., "Deferred[Any]"] | None = None,
                 password_cost: passwords.ScryptCost = passwords.DEFAULT_COST) -> None:
        self.ctx = ctx
        self.clock = ctx.reactor
        self.run_blocking = run_blocking or deferToThread
        self.password_cost = password_cost
        self.started_at = self.clock.seconds()
        options = AUTHORIZATION.read(ctx.config.section("authorization"))
        warnings = ctx.warnings
        self.enable_api_key = options["enable_api_key"]
        self.force_logins = options["force_logins"]
        self.refresh_lifetime = options["login_timeout"] * 86400.0
        self.default_source = _source(options["default_source"], warnings)
        self.trusted = TrustedClients(AddressSet("trusted_clients", options["trusted_clients"], warnings), self.clock)
        self.proxies = AddressSet("trusted_proxies", options["trusted_proxies"], warnings, allow_hostnames=False)
        self.cors = CorsPolicy(options["cors_domains"], self.trusted.entries.contains_ip, warnings)
        self.limiter = LoginLimiter(self.clock, options["max_login_attempts"])
        port = SERVER.read(ctx.config.section("server"))["port"]
        self.issuer = f"http://{socket.gethostname()}:{port}"
        self.oneshot = OneshotTokens(self.clock)
        self.users: UserStore | None = None
        ctx.registry.checks.append(self.check)
        ctx.registry.register(AccessEndpoints(self))
        ctx.connections.may_receive = _authenticated_or_local

    def startService(self) -> "Deferred[None] | None":
        database = self.ctx.component("database")
        database.register_forbidden(NAMESPACE)
        self.users = UserStore(database.namespace(NAMESPACE))
        super().startService()
        return self.users.load(self.clock.seconds())

    @property
    def store(self) -> UserStore:
        assert self.users is not None, "authorization used before it started"
        return self.users

    # -- identities ---------------------------------------------------------------

    def trusted_user(self) -> User:
        return {"username": TRUSTED_USER, "source": "moonraker", "created_on": self.started_at}

    def api_key_user(self) -> User:
        return {"username": API_KEY_USER, "source": "moonraker", "created_on": self.store.api_key_created}

    def login_required(self) -> bool:
        """``force_logins`` is in force: it is set and at least one user exists."""
        return self.force_logins and bool(self.store.names())

    # -- authentication -----------------------------------------------------------

    def authenticate(self, credentials: Credentials, required: bool = True,
                     spend: bool = True) -> "Deferred[User | None]":
        """The caller's user, None (anonymous, only when not ``required``) or ApiError 401.

        With ``spend=False`` nothing is used up or logged: a oneshot token stays
        valid, so a request can be judged early on its headers and again later.
        """
        ip = credentials.ip
        failure: ApiError | None = None

        def refuse(reason: str, message: str) -> ApiError:
            return self.refused(ip, reason, message) if spend else ApiError(message, 401)

        if credentials.access_token:
            try:
                return succeed(self.user_from_token(credentials.access_token, tokens.ACCESS))
            except tokens.TokenError as error:
                failure = refuse(str(error), f"JWT Decode Error: {error}")
        if credentials.oneshot_token:
            accepted, user, reason = self.oneshot.redeem(credentials.oneshot_token, ip, spend)
            if accepted:
                return succeed(user)
            failure = failure or refuse(reason, "Invalid oneshot token")
        if credentials.api_key and self.enable_api_key:
            if self.api_key_matches(credentials.api_key):
                return succeed(self.api_key_user())
            failure = failure or refuse("wrong API key", "Invalid API Key")
        if self.login_required():
            if not required:
                return succeed(None)
            return fail(failure or refuse("no credentials, force_logins is on", "Unauthorized, Force Logins Enabled"))

        def decide(trusted: bool) -> User | None:
            if trusted:
                return self.trusted_user()
            if not required:
                return None
            raise failure or refuse("no credentials from an untrusted address", "Unauthorized")

        known = self.trusted.known(ip)
        if known is None:
            return self.trusted.is_trusted(ip).addCallback(decide)
        try:
            return succeed(decide(known))
        except ApiError as error:
            return fail(error)

    def user_from_token(self, token: str, token_type: str) -> User:
        """The user a valid JWT of ``token_type`` speaks for; TokenError otherwise."""
        username = tokens.decode(token, self._key_for, token_type, self.clock.seconds(), self.issuer)
        record = self.store.get(username)
        key = signing_key(record) if record is not None else None
        if record is None or key is None or self.store.owner_of(key.key_id) != username:
            raise tokens.TokenError("Unknown user")
        return public_view(record)

    def _key_for(self, key_id: str) -> tokens.SigningKey | None:
        owner = self.store.owner_of(key_id)
        record = self.store.get(owner) if owner is not None else None
        return signing_key(record) if record is not None else None

    def api_key_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.store.api_key.encode())

    def refused(self, ip: str | None, reason: str, message: str, status: int = 401) -> ApiError:
        """Log an authentication failure (never a secret) and make the client's error."""
        log.warn("Authentication failed from {ip}: {reason}", ip=ip, reason=reason)
        return ApiError(message, status)

    def identify_connection(self, connection: Any, request: Request) -> None:
        """``server.connection.identify``'s ``access_token`` / ``api_key``.

        A wrong one is an error only for a connection that has no user yet;
        an authenticated (e.g. trusted) one keeps its user.
        """
        token = request.get_str("access_token", None)
        api_key = request.get_str("api_key", None)
        ip = request.ip
        error: ApiError | None = None
        if token:
            try:
                connection.user = self.user_from_token(token, tokens.ACCESS)
                return
            except tokens.TokenError as reason:
                error = self.refused(ip, f"identify: {reason}", f"Failed to decode JWT: {reason}")
        elif api_key:
            if not self.enable_api_key:
                error = self.refused(ip, "identify: API key disabled", "API Key authentication is disabled")
            elif self.api_key_matches(api_key):
                connection.user = self.api_key_user()
                return
            else:
                error = self.refused(ip, "identify: wrong API key", "Invalid API Key")
        if error is not None and connection.user is None:
            raise error

    # -- authorization --------------------------------------------------------------

    def check(self, entry: Endpoint, request: Request) -> None:
        """Registry check: a method that requires a user is refused without one."""
        if request.transport & UNCHECKED or not entry.auth_required or request.user is not None:
            return
        raise self.refused(request.ip, f"{entry.method} without a user", "Unauthorized")

    def revert_connections(self, username: str, keep: Any = None) -> None:
        """Websockets of ``username`` go back to needing authentication."""
        for connection in self.ctx.connections:
            user = getattr(connection, "user", None)
            if connection is not keep and user is not None and user.get("username") == username:
                connection.user = None  # type: ignore[attr-defined]


def _authenticated_or_local(connection: Any) -> bool:
    """Notifications reach websockets only once they have a user."""
    return connection.transport is not Transport.WEBSOCKET or getattr(connection, "user", None) is not None


def _source(value: str, warnings: list[str]) -> str:
    if value not in SOURCES:
        warnings.append(f"[authorization]: default_source '{value}' is not available "
                        f"(available: {', '.join(SOURCES)}); using 'moonraker'")
        return "moonraker"
    return value
