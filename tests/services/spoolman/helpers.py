"""Spoolman unit fixtures: the real service on a scripted Klippy, a scripted Spoolman client."""

from __future__ import annotations

import json
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request
from moontwist.errors import ApiError
from moontwist.services.spoolman import SpoolmanService
from moontwist.services.spoolman.client import SpoolmanResponse, SpoolmanUnreachable
from moontwist.services.spoolman.urls import parse_server
from tests.services.jobs.helpers import MemoryNamespace
from tests.services.klippy.fakes import FakeConnection, FakeKlippy, start_service

SYNC_RATE = 5


class MemoryDatabase:
    def __init__(self) -> None:
        self.namespaces: dict[str, MemoryNamespace] = {}

    def namespace(self, name: str) -> MemoryNamespace:
        return self.namespaces.setdefault(name, MemoryNamespace(name))


class ScriptedSpoolman:
    """Stands for ``SpoolmanClient``: records each call, answers from ``statuses``.

    With ``hold`` set, calls wait until the test fires them (``release``).
    """

    api_url = "http://spoolman:7912/api"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.statuses: dict[str, int] = {}
        self.unreachable = False
        self.hold = False
        self.held: list[Deferred[SpoolmanResponse]] = []

    def url(self, path: str) -> str:
        return f"{self.api_url}{path}"

    def request(self, method: str, path: str, body: Any = None) -> "Deferred[SpoolmanResponse]":
        self.calls.append((method, path, body))
        if self.unreachable:
            return fail(SpoolmanUnreachable("Connection was refused by other side: 111: Connection refused."))
        status = self.statuses.get(path, 200)
        answer = {"id": 1} if status < 300 else {"message": f"Nothing at {path}"}
        response = SpoolmanResponse(status, "OK" if status < 300 else "Not Found",
                                    {"Content-Type": "application/json"}, json.dumps(answer).encode())
        if self.hold:
            waiting: Deferred[SpoolmanResponse] = Deferred()
            waiting.addCallback(lambda _: response)
            self.held.append(waiting)
            return waiting
        return succeed(response)

    def release(self) -> None:
        held, self.held = self.held, []
        for waiting in held:
            waiting.callback(None)

    def uses(self) -> list[tuple[str, float]]:
        return [(path, body["use_length"]) for method, path, body in self.calls if method == "PUT"]


class SpoolmanTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.reactor.advance(1_000_000)
        self.klippy = FakeKlippy(self.reactor)
        self.klippy.objects["print_stats"]["filament_used"] = 0.0
        self.ctx, self.klippy_service = start_service(self.reactor)
        self.database = MemoryDatabase()
        self.ctx.components["database"] = self.database  # type: ignore[assignment]
        self.client = FakeConnection(1)
        self.ctx.connections.add(self.client)
        self.spoolman = ScriptedSpoolman()
        self.stored = self.database.namespace("moonraker")

    def start(self) -> SpoolmanService:
        self.service = SpoolmanService(self.ctx, parse_server("spoolman:7912"), SYNC_RATE,
                                       client=self.spoolman,  # type: ignore[arg-type]
                                       link=lambda reactor, urls, listener: Service())
        self.ctx.add_component("spoolman", self.service)
        self.service.startService()
        self.addCleanup(self.service.stopService)
        return self.service

    def connect_klippy(self) -> None:
        self.klippy.accept()

    def extrude(self, filament_used: float) -> None:
        self.klippy.push({"print_stats": {"filament_used": filament_used}})

    def call(self, method: str, **args: Any) -> Any:
        return self.successResultOf(self.ctx.registry.dispatch(Request(method, args)))

    def call_fails(self, method: str, **args: Any) -> ApiError:
        return self.failureResultOf(self.ctx.registry.dispatch(Request(method, args)), ApiError).value

    def notified(self, method: str) -> list[Any]:
        return [params[0] for params in self.client.notifications(method)]
