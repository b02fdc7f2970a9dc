"""Spoolman's REST API over treq: every call with a timeout, every answer read whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import treq
from treq.client import HTTPClient
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool

REQUEST_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0


class SpoolmanUnreachable(Exception):
    """No HTTP answer at all: refused, timed out, connection lost."""


@dataclass(frozen=True)
class SpoolmanResponse:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The decoded body; ValueError when it is not JSON."""
        return json.loads(self.body)

    def message(self) -> str:
        """Spoolman's own ``message`` when it sent one, else ``HTTP <status>: <reason>``."""
        try:
            decoded = self.json()
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
            return decoded["message"]
        return f"HTTP {self.status}: {self.reason}"


class SpoolmanClient:
    """Calls below ``api_url`` (``http://host:port/api``); paths start with ``/v1/``."""

    def __init__(self, reactor: Any, api_url: str, timeout: float = REQUEST_TIMEOUT) -> None:
        self.reactor = reactor
        self.api_url = api_url
        self.timeout = timeout
        # One connection per call: Spoolman is called every few seconds at most,
        # and nothing stays open (or pending) when the service stops.
        pool = HTTPConnectionPool(reactor, persistent=False)
        self._http = HTTPClient(Agent(reactor, pool=pool, connectTimeout=CONNECT_TIMEOUT))

    def url(self, path: str) -> str:
        return f"{self.api_url}{path}"

    def request(self, method: str, path: str, body: Any = None) -> "Deferred[SpoolmanResponse]":
        """Fires with any HTTP answer (errors included); fails with SpoolmanUnreachable."""
        kwargs: dict[str, Any] = {}
        if isinstance(body, (dict, list)):
            kwargs["json"] = body
        elif isinstance(body, str):
            kwargs["data"] = body.encode("utf-8")
        elif body is not None:
            kwargs["data"] = json.dumps(body).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json"}
        answer: Deferred[Any] = self._http.request(method, self.url(path), **kwargs)
        timed_out: list[bool] = []

        def give_up() -> None:
            timed_out.append(True)
            answer.cancel()

        timer = self.reactor.callLater(self.timeout, give_up)

        def unreachable(failure: Failure) -> None:
            if timed_out:
                raise SpoolmanUnreachable(f"No answer from Spoolman within {self.timeout:g} s")
            raise SpoolmanUnreachable(failure.getErrorMessage() or failure.type.__name__)

        def stop_timer(result: Any) -> Any:
            if timer.active():
                timer.cancel()
            return result

        return answer.addCallback(self._read).addBoth(stop_timer).addErrback(unreachable)

    def _read(self, response: Any) -> "Deferred[SpoolmanResponse]":
        headers = {name.decode("latin-1"): ",".join(value.decode("latin-1") for value in values)
                   for name, values in response.headers.getAllRawHeaders()}
        reason = response.phrase.decode("latin-1") if response.phrase else ""
        return treq.content(response).addCallback(
            lambda body: SpoolmanResponse(response.code, reason, headers, body))
