"""An authorization service on a Clock, an in-memory namespace and a cheap scrypt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request, Transport
from moontwist.config import load_config
from moontwist.context import Options, ServerContext
from moontwist.errors import ApiError
from moontwist.services.authorization import AuthorizationService
from moontwist.services.authorization.passwords import ScryptCost

CHEAP = ScryptCost(log_n=4, r=8, p=1)


class MemoryNamespace:
    """The part of ``moontwist.database.Namespace`` the user store uses."""

    def __init__(self, records: dict[str, Any]) -> None:
        self.records = records

    def items(self) -> list[tuple[str, Any]]:
        return list(self.records.items())

    def insert(self, key: str, value: Any) -> "Deferred[None]":
        self.records[key] = value
        return succeed(None)

    def delete(self, key: str) -> "Deferred[Any]":
        return succeed(self.records.pop(key))


class MemoryDatabase:
    def __init__(self) -> None:
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.forbidden: set[str] = set()

    def namespace(self, name: str) -> MemoryNamespace:
        return MemoryNamespace(self.namespaces.setdefault(name, {}))

    def register_forbidden(self, name: str) -> None:
        self.forbidden.add(name)


class FakeConnection:
    """A websocket connection as services see it."""

    transport = Transport.WEBSOCKET

    def __init__(self, connection_id: int = 1, user: dict[str, Any] | None = None) -> None:
        self.connection_id = connection_id
        self.user = user
        self.client_info: dict[str, Any] | None = None
        self.sent: list[tuple[str, Any]] = []

    def prepare(self, payload: bytes) -> bytes:
        return payload

    def send_prepared(self, prepared: bytes) -> None:
        self.sent.append(("raw", prepared))


def make_auth(case: SynchronousTestCase, options: str = "", records: dict[str, Any] | None = None,
              ) -> tuple[AuthorizationService, ServerContext, Clock]:
    """A started service reading ``[authorization]`` ``options``."""
    folder = Path(case.mktemp())
    folder.mkdir()
    config_file = folder / "moonraker.conf"
    config_file.write_text("[server]\nport: 7125\n\n[authorization]\n" + options)
    clock = Clock()
    clock.advance(1_700_000_000)
    options_ = Options(folder, config_file, None, folder / "moonraker.sock")
    ctx = ServerContext(clock, options_, load_config(config_file, folder))
    database = MemoryDatabase()
    if records is not None:
        database.namespaces["authorized_users"] = records
    ctx.components["database"] = database  # type: ignore[assignment]
    service = AuthorizationService(ctx, run_blocking=maybeDeferred, password_cost=CHEAP)
    ctx.add_component("authorization", service)
    service.startService()
    return service, ctx, clock


def call(ctx: ServerContext, method: str, user: dict[str, Any] | None = None, ip: str | None = "10.0.0.5",
         transport: Transport = Transport.WEBSOCKET, connection: Any = None, **args: Any) -> "Deferred[Any]":
    return ctx.registry.dispatch(Request(method, args, transport, connection, ip, user))


def result_of(case: SynchronousTestCase, deferred: "Deferred[Any]") -> Any:
    return case.successResultOf(deferred)


def error_of(case: SynchronousTestCase, deferred: "Deferred[Any]") -> ApiError:
    failure = case.failureResultOf(deferred, ApiError)
    return failure.value  # type: ignore[return-value]
