"""Devices with an HTTP API: Tasmota, Shelly, Home Assistant, through treq.

URLs, bodies and the answers read are Moonraker's; each call is bounded by
the device's ``timeout`` (see reachable.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from treq.client import HTTPClient
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.web.client import Agent, HTTPConnectionPool

from moontwist.services.device_address import parse_address
from moontwist.services.power.reachable import DeviceUnreachable, ReachableDevice, field

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService


@dataclass(frozen=True)
class HttpAnswer:
    url: str
    code: int
    headers: dict[str, str]
    content: bytes


class HttpCaller:
    """A device's HTTP calls: one connection each, bounded by the device's ``timeout``."""

    def __init__(self, device: ReachableDevice) -> None:
        self.device = device
        pool = HTTPConnectionPool(device.reactor, persistent=False)
        self._http = HTTPClient(Agent(device.reactor, pool=pool, connectTimeout=device.timeout))

    async def call(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
                   auth: tuple[str, str] | None = None) -> HttpAnswer:
        """Any HTTP answer; DeviceUnreachable when there is none in time."""
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if isinstance(body, (dict, list)):
            kwargs["json"] = body
        elif isinstance(body, str):
            kwargs["data"] = body.encode("utf-8")
        if auth is not None:
            kwargs["auth"] = auth
        exchange: Deferred[Any] = self._http.request(method, url, **kwargs).addCallback(
            lambda response: response.content().addCallback(lambda content: (response, content)))
        response, content = await self.device.bounded(exchange)
        found = {name.decode("latin-1"): ",".join(value.decode("latin-1") for value in values)
                 for name, values in response.headers.getAllRawHeaders()}
        return HttpAnswer(url, response.code, found, content)


class HttpDevice(ReachableDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        options = self.options
        self.user: str = options["user"]
        self.password: str = options["password"]
        self.address = parse_address(section.name, options["address"])
        # The address's port wins; -1: the protocol's.
        self.port: int = options["port"]
        self.protocol: str = options["protocol"]
        if self.address.port is not None:
            self.port = self.address.port
        elif self.port == -1:
            self.port = 443 if self.protocol.lower() == "https" else 80
        self.basic_auth = False
        self.http = HttpCaller(self)

    @property
    def base_url(self) -> str:
        """``protocol://host:port[/path]``."""
        path = f"/{self.address.path}" if self.address.path else ""
        return f"{self.protocol}://{self.address.netloc(self.port)}{path}"

    # HTTP.

    async def fetch(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
                    want_json: bool = True) -> Any:
        """The decoded JSON answer (or None), within ``timeout``; DeviceUnreachable otherwise."""
        auth = (self.user, self.password) if self.basic_auth and self.user and self.password else None
        answer = await self.http.call(method, url, body, headers, auth)
        if not 200 <= answer.code < 300:
            raise DeviceUnreachable(f"HTTP {answer.code}")
        if not want_json:
            return None
        try:
            return json.loads(answer.content)
        except ValueError:
            raise DeviceUnreachable("answer is not JSON") from None


class Tasmota(HttpDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.output_id: int = self.options["output_id"]
        # Seconds of delay before switching off (Tasmota's Backlog Delay).
        self.timer: str = self.options["timer"]

    async def _command(self, command: str) -> Any:
        if command == "info":
            text = f"Power{self.output_id}"
        else:
            text = f"Power{self.output_id} {command}"
            if self.timer != "" and command == "off":
                text = f"Backlog Delay {self.timer}0; {text}"
        query = urlencode({"user": self.user, "password": self.password, "cmnd": text})
        return await self.fetch("GET", f"{self.base_url}/cm?{query}")

    def _state(self, answer: Any) -> str:
        if isinstance(answer, dict) and f"POWER{self.output_id}" not in answer and self.output_id == 1:
            return str(field(answer, "POWER")).lower()
        return str(field(answer, f"POWER{self.output_id}")).lower()

    async def read_state(self) -> str:
        return self._state(await self._command("info"))

    async def write_state(self, state: str) -> str:
        answer = await self._command(state)
        if self.timer != "" and state == "off":
            return state
        return self._state(answer)


class Shelly(HttpDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.output_id: int = self.options["output_id"]
        # Seconds: "off" switches on with this auto-off timer, as Moonraker does.
        self.timer: str = self.options["timer"]
        self.basic_auth = True

    async def _command(self, command: str) -> Any:
        query: dict[str, str] = {}
        if command in ("on", "off"):
            query["turn"] = command
            if command == "off" and self.timer != "":
                query = {"turn": "on", "timer": self.timer}
        return await self.fetch("GET", f"{self.base_url}/relay/{self.output_id}?{urlencode(query)}")

    def _state(self, answer: Any) -> str:
        on = field(answer, "ison")
        remaining = field(answer, "timer_remaining") if self.timer != "" else 0
        return "on" if on and remaining == 0 else "off"

    async def read_state(self) -> str:
        return self._state(await self._command("info"))

    async def write_state(self, state: str) -> str:
        return self._state(await self._command(state))


class HomeAssistant(HttpDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.device: str = self.options["device"]
        self.token: str = self.options["token"]
        self.domain: str = self.options["domain"]
        self.status_delay: float = self.options["status_delay"]

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def read_state(self) -> str:
        answer = await self.fetch("GET", f"{self.base_url}/api/states/{quote(self.device)}", headers=self._headers)
        return str(field(answer, "state"))

    async def write_state(self, state: str) -> str:
        await self.fetch("POST", f"{self.base_url}/api/services/{quote(self.domain)}/turn_{state}",
                         body={"entity_id": self.device}, headers=self._headers, want_json=False)
        await deferLater(self.reactor, self.status_delay, lambda: None)
        return await self.read_state()
