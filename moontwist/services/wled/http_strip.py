"""A strip reached through WLED's HTTP JSON API (``POST /json``), bounded by ``timeout``."""

from __future__ import annotations

import json
from typing import Any

from treq.client import HTTPClient
from twisted.internet.defer import Deferred
from twisted.web.client import Agent, HTTPConnectionPool

from moontwist.services.device_address import parse_address
from moontwist.services.wled.strip import Strip, StripError

ATTEMPTS = 3


class HttpStrip(Strip):
    def __init__(self, name: str, options: dict[str, Any], reactor: Any) -> None:
        super().__init__(name, options)
        # ``host:port`` in the address (ours, as for power devices) wins over ``port``.
        address = parse_address(f"wled {name}", options["address"])
        path = f"/{address.path}" if address.path else ""
        self.url = f"{options['protocol']}://{address.netloc(options['port'])}{path}/json"
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
        timer = None
        try:
            exchange: Deferred[Any] = self._http.request("POST", self.url, json=state).addCallback(
                lambda response: response.content().addCallback(lambda content: (response.code, content)))
            timer = self.reactor.callLater(self.timeout, exchange.cancel)
            result: tuple[int, bytes] = await exchange
            return result
        except Exception as error:
            if timer is not None and not timer.active():
                raise StripError(f"no answer from {self.url} within {self.timeout:g} s") from None
            raise StripError(f"{self.url}: {error}") from None
        finally:
            if timer is not None and timer.active():
                timer.cancel()
