"""A strip reached through WLED's HTTP JSON API (``POST /json``), bounded by ``timeout``."""

from __future__ import annotations

import json
from typing import Any

from treq.client import HTTPClient
from twisted.internet.defer import Deferred
from twisted.web.client import Agent, HTTPConnectionPool

from moontwist.config import ConfigError
from moontwist.services.wled.strip import Strip, StripError

ATTEMPTS = 3


class HttpStrip(Strip):
    def __init__(self, name: str, options: dict[str, Any], reactor: Any) -> None:
        super().__init__(name, options)
        address = options["address"].strip()
        if ":" in address and not address.startswith("["):
            # Moonraker would build http://host:PORT:80/json and fail at each request.
            raise ConfigError(f"Section [wled {name}], Option address: {address}: "
                              "a port goes in the 'port' option (an IPv6 address in brackets)")
        self.url = f"{options['protocol']}://{options['address']}:{options['port']}/json"
        # Three attempts of this many seconds, as Moonraker.
        self.timeout: float = options["timeout"]
        self.reactor = reactor
        pool = HTTPConnectionPool(reactor, persistent=False)
        self._http = HTTPClient(Agent(reactor, pool=pool, connectTimeout=self.timeout))

    async def send(self, state: dict[str, Any]) -> dict[str, Any]:
        problem = ""
        for _ in range(ATTEMPTS):
            try:
                code, content = await self._post(state)
            except StripError as error:
                problem = str(error)
                continue
            if not 200 <= code < 300:
                problem = f"HTTP {code} from {self.url}"
                continue
            if not state.get("v"):
                return {}
            try:
                answer = json.loads(content)
            except ValueError:
                raise StripError(f"answer from {self.url} is not JSON") from None
            return answer if isinstance(answer, dict) else {}
        raise StripError(problem)

    async def _post(self, state: dict[str, Any]) -> tuple[int, bytes]:
        exchange: Deferred[Any] = self._http.request("POST", self.url, json=state).addCallback(
            lambda response: response.content().addCallback(lambda content: (response.code, content)))
        timer = self.reactor.callLater(self.timeout, exchange.cancel)
        try:
            result: tuple[int, bytes] = await exchange
            return result
        except Exception as error:
            if not timer.active():
                raise StripError(f"no answer from {self.url} within {self.timeout:g} s") from None
            raise StripError(f"{self.url}: {error}") from None
        finally:
            if timer.active():
                timer.cancel()
