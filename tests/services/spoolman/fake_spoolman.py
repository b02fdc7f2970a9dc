"""A small Spoolman on loopback: the REST calls moontwist makes, and its websocket.

Speaks Spoolman's API as its FastAPI server does: spools at ``/api/v1/spool``
(list with ``X-Total-Count``, get, patch, delete), ``PUT /api/v1/spool/{id}/use``
with ``use_length`` or ``use_weight``, errors as ``{"message": ...}``, and
``added``/``updated``/``deleted`` events on the websocket at ``/api/v1/spool``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from moontwist.protocols.wstimers import ReactorTimer, cancel_leftover_timers


class _EventSocket(WebSocketServerProtocol):
    def onOpen(self) -> None:
        self.factory.spoolman.sockets.add(self)

    def onClose(self, wasClean: bool, code: int, reason: str) -> None:
        self.factory.spoolman.sockets.discard(self)

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        self.factory.spoolman.sockets.discard(self)
        cancel_leftover_timers(self)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class _Api(Resource):
    isLeaf = True

    def __init__(self, spoolman: "FakeSpoolman", websocket: WebSocketResource) -> None:
        super().__init__()
        self.spoolman = spoolman
        self.websocket = websocket

    def render(self, request: Request) -> Any:
        path = request.path.decode()
        method = request.method.decode()
        self.spoolman.calls.append((method, request.uri.decode()))
        if path == "/api/v1/spool" and request.getHeader("upgrade"):
            if self.spoolman.refuse_websocket:
                return self._reply(request, 403, {"message": "Forbidden"})
            return self.websocket.render(request)
        body = request.content.read()
        try:
            status, answer, headers = self.spoolman.handle(method, path, body)
        except ValueError:
            status, answer, headers = 422, {"detail": [{"msg": "Input should be a valid JSON"}]}, {}
        return self._reply(request, status, answer, headers)

    def _reply(self, request: Request, status: int, answer: Any, headers: dict[str, str] | None = None) -> bytes:
        request.setResponseCode(status)
        request.setHeader("content-type", "application/json")
        for name, value in (headers or {}).items():
            request.setHeader(name, value)
        return json.dumps(answer).encode()


class FakeSpoolman:
    """Spoolman's spools in memory, served on 127.0.0.1 (``start``/``stop`` keep the port)."""

    def __init__(self) -> None:
        self.spools: dict[int, dict[str, Any]] = {}
        self.uses: list[tuple[int, float]] = []
        self.calls: list[tuple[str, str]] = []
        self.sockets: set[_EventSocket] = set()
        self.fail_uses = False
        self.refuse_websocket = False
        self.port_number = 0
        self._listening: Any = None
        factory = WebSocketServerFactory(reactor=reactor)
        factory._batched_timer = ReactorTimer(reactor)
        factory.protocol = _EventSocket
        factory.spoolman = self
        self._site = Site(_Api(self, WebSocketResource(factory)))
        self._site.noisy = False

    def add_spool(self, spool_id: int, length: float = 330_000.0) -> dict[str, Any]:
        spool = {
            "id": spool_id,
            "registered": _now(),
            "filament": {"id": 1, "name": "PLA", "material": "PLA", "density": 1.24, "diameter": 1.75},
            "initial_weight": 1000.0,
            "remaining_weight": 1000.0,
            "used_weight": 0.0,
            "remaining_length": length,
            "used_length": 0.0,
            "archived": False,
            "extra": {},
        }
        self.spools[spool_id] = spool
        return spool

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port_number}"

    def start(self) -> None:
        self._listening = reactor.listenTCP(self.port_number, self._site, interface="127.0.0.1")
        self.port_number = self._listening.getHost().port

    async def stop(self) -> None:
        """Stop listening and drop every websocket (Spoolman went away)."""
        for socket in list(self.sockets):
            socket.transport.abortConnection()
        if self._listening is not None:
            listening, self._listening = self._listening, None
            await listening.stopListening()
        await deferLater(reactor, 0.01, lambda: None)

    def delete_spool(self, spool_id: int) -> None:
        spool = self.spools.pop(spool_id)
        self.broadcast("deleted", spool)

    def broadcast(self, kind: str, spool: dict[str, Any]) -> None:
        message = json.dumps({"type": kind, "resource": "spool", "date": _now(), "payload": spool}).encode()
        for socket in list(self.sockets):
            socket.sendMessage(message)

    def used(self, spool_id: int) -> float:
        return sum(length for used_id, length in self.uses if used_id == spool_id)

    # The REST API.

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            return 404, {"detail": "Not Found"}, {}
        rest = parts[2:]
        if rest == ["info"] and method == "GET":
            return 200, {"version": "0.22.1", "debug_mode": False, "automatic_backups": True}, {}
        if rest == ["spool"] and method == "GET":
            spools = list(self.spools.values())
            return 200, spools, {"X-Total-Count": str(len(spools))}
        if len(rest) >= 2 and rest[0] == "spool":
            if not rest[1].isdigit():
                return 422, {"detail": [{"msg": "Input should be a valid integer"}]}, {}
            spool_id = int(rest[1])
            spool = self.spools.get(spool_id)
            if spool is None:
                return 404, {"message": f"No spool with ID {spool_id} found."}, {}
            if rest[2:] == [] and method == "GET":
                return 200, spool, {}
            if rest[2:] == [] and method == "PATCH":
                spool.update(json.loads(body))
                self.broadcast("updated", spool)
                return 200, spool, {}
            if rest[2:] == [] and method == "DELETE":
                self.delete_spool(spool_id)
                return 200, {"message": "Success!"}, {}
            if rest[2:] == ["use"] and method == "PUT":
                return self._use(spool, json.loads(body))
        return 405, {"detail": "Method Not Allowed"}, {}

    def _use(self, spool: dict[str, Any], use: Any) -> tuple[int, Any, dict[str, str]]:
        if self.fail_uses:
            return 500, {"message": "database is locked"}, {}
        length, weight = use.get("use_length"), use.get("use_weight")
        if (length is None) == (weight is None):
            return 400, {"message": "Exactly one of use_weight and use_length must be specified."}, {}
        if length is not None:
            self.uses.append((spool["id"], float(length)))
            spool["used_length"] += float(length)
            spool["remaining_length"] -= float(length)
        self.broadcast("updated", spool)
        return 200, spool, {}
