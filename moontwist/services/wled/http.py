"""WLED's JSON API over HTTP: each state is POSTed to ``/json`` (three attempts)."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet.defer import CancelledError, Deferred, succeed

ATTEMPTS = 3


class WledHttp:
    def __init__(self, reactor: Any, url: str, timeout: float) -> None:
        self._reactor = reactor
        self.url = url
        self._timeout = timeout
        self._pool: Any = None
        self._client: Any = None
        self._closed = False
        self._in_flight: Deferred[Any] | None = None

    def _http(self) -> Any:
        if self._client is None:
            # Imported at the first request, not at start-up (treq brings twisted.web.client).
            from treq.client import HTTPClient
            from twisted.web.client import Agent, HTTPConnectionPool

            self._pool = HTTPConnectionPool(self._reactor, persistent=True)
            self._client = HTTPClient(Agent(self._reactor, connectTimeout=self._timeout, pool=self._pool))
        return self._client

    def close(self) -> "Deferred[None]":
        """Stop: cancel the request in flight, send no more, close the kept-alive connection."""
        self._closed = True
        if self._in_flight is not None:
            self._in_flight.cancel()
        if self._pool is None:
            return succeed(None)
        return self._pool.closeCachedConnections()

    def send(self, state: dict[str, Any]) -> "Deferred[dict[str, Any]]":
        """POST ``state``; WLED's JSON reply when it asks for one (``"v": true``), else ``{}``."""
        return Deferred.fromCoroutine(self._send(state))

    async def _send(self, state: dict[str, Any]) -> dict[str, Any]:
        client = self._http()
        last_error: Exception = Exception("no attempt")
        for _ in range(ATTEMPTS):
            if self._closed:
                raise CancelledError()
            try:
                self._in_flight = client.post(self.url, json=state, timeout=self._timeout)
                response = await self._in_flight
                body = await response.content()
            except Exception as error:
                last_error = error
                continue
            finally:
                self._in_flight = None
            if response.code >= 400:
                last_error = Exception(f"HTTP {response.code} from {self.url}")
                continue
            if not state.get("v", False):
                return {}
            reply = json.loads(body)
            return reply if isinstance(reply, dict) else {}
        raise last_error
