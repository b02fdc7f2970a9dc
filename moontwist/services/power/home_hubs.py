"""Switches behind home automation hubs: HomeSeer, Loxone (v1), SmartThings, Philips Hue.

URLs, bodies and the answers read are Moonraker's; each call is bounded by
the device's ``timeout`` (see reachable.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from moontwist.services.power.http_devices import HttpDevice
from moontwist.services.power.reachable import field

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService


class HomeSeer(HttpDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.device: int = self.options["device"]
        self.basic_auth = True

    async def _request(self, request: str, label: str = "") -> Any:
        query: dict[str, Any] = {"user": self.user, "pass": self.password, "request": request, "ref": self.device}
        if label:
            query["label"] = label
        return await self.fetch("GET", f"{self.base_url}/JSON?{urlencode(query)}")

    async def read_state(self) -> str:
        return str(field(await self._request("getstatus"), "Devices", 0, "status")).lower()

    async def write_state(self, state: str) -> str:
        await self._request("controldevicebylabel", state.capitalize())
        return state


class Loxonev1(HttpDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.output_id: str = self.options["output_id"]
        self.basic_auth = True

    def _state(self, answer: Any) -> str:
        value = field(answer, "LL", "value")
        try:
            return "on" if int(value) == 1 else "off"
        except (TypeError, ValueError):
            return "off"

    async def read_state(self) -> str:
        return self._state(await self.fetch("GET", f"{self.base_url}/jdev/sps/io/{quote(self.output_id)}"))

    async def write_state(self, state: str) -> str:
        return self._state(await self.fetch("GET", f"{self.base_url}/jdev/sps/io/{quote(self.output_id)}/{state}"))


class SmartThings(HttpDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.device: str = self.options["device"]
        self.token: str = self.options["token"]

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def read_state(self) -> str:
        url = f"{self.base_url}/v1/devices/{quote(self.device)}/components/main/capabilities/switch/status"
        return str(field(await self.fetch("GET", url, headers=self._headers), "switch", "value")).lower()

    async def write_state(self, state: str) -> str:
        body = [{"component": "main", "capability": "switch", "command": state}]
        answer = await self.fetch("POST", f"{self.base_url}/v1/devices/{quote(self.device)}/commands", body=body,
                                  headers=self._headers)
        return state if str(field(answer, "results", 0, "status")).lower() == "accepted" else "error"


class Hue(HttpDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        # `user` is the bridge's API key.
        self.device_id: str = self.options["device_id"]
        self.device_type: str = self.options["device_type"]
        self.state_key, self.on_state = ("action", "all_on") if self.device_type == "group" else ("state", "on")

    @property
    def _device_url(self) -> str:
        return f"{self.base_url}/api/{quote(self.user)}/{self.device_type}s/{quote(self.device_id)}"

    async def read_state(self) -> str:
        return "on" if field(await self.fetch("GET", self._device_url), "state", self.on_state) else "off"

    async def write_state(self, state: str) -> str:
        answer = await self.fetch("PUT", f"{self._device_url}/{quote(self.state_key)}", body={"on": state == "on"})
        key = f"/{self.device_type}s/{self.device_id}/{self.state_key}/on"
        return "on" if field(answer, 0, "success", key) else "off"
