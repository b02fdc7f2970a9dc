"""``tplink_smartplug``: Kasa plugs and power strips over their TCP protocol (port 9999).

``output_id`` picks an outlet of a strip (its child id comes from the plug's
sysinfo); ``timer`` switches off through a countdown rule, as Moonraker does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint, connectProtocol

from moontwist.protocols.tplink import TPLinkClient
from moontwist.services.device_address import parse_address
from moontwist.services.power.reachable import DeviceUnreachable, ReachableDevice, field

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService


class TPLinkSmartPlug(ReachableDevice):
    switch_error = "Error Toggling Device Power: {name}"

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.timer: str = self.options["timer"]
        # host[:port][/outlet]: the /outlet form is deprecated, the :port is our extension.
        host_part, _, outlet = self.options["address"].partition("/")
        self.address = parse_address(section.name, host_part)
        self.output_id: int | None
        if outlet:
            power.ctx.warnings.append(f"Power Device {name}: Including the output id in the"
                                      " address is deprecated, use the 'output_id' option")
            self.output_id = int(outlet) if outlet.isdigit() else None
        else:
            self.output_id = self.options["output_id"]
        # The address's port wins.
        self.port: int = self.options["port"]
        if self.address.port is not None:
            self.port = self.address.port

    async def _send(self, message: dict[str, Any]) -> Any:
        endpoint = HostnameEndpoint(self.reactor, self.address.host, self.port, timeout=self.timeout)
        exchange: Deferred[Any] = connectProtocol(endpoint, TPLinkClient(message)).addCallback(
            lambda client: client.answer)
        return await self.bounded(exchange)

    async def _command(self, command: str) -> Any:
        if command == "info":
            return await self._send({"system": {"get_sysinfo": {}}})
        if command == "clear_rules":
            return await self._send({"count_down": {"delete_all_rules": None}})
        if command == "count_off":
            return await self._send({"count_down": {"add_rule": {
                "enable": 1, "delay": int(self.timer), "act": 0, "name": "turn off"}}})
        message: dict[str, Any] = {"system": {"set_relay_state": {"state": int(command == "on")}}}
        if self.output_id is not None:
            info = await self._command("info")
            child = field(info, "system", "get_sysinfo", "children", self.output_id, "id")
            message["context"] = {"child_ids": [f"{child}"]}
        return await self._send(message)

    async def read_state(self) -> str:
        info = await self._command("info")
        if self.output_id is not None:
            value = field(info, "system", "get_sysinfo", "children", self.output_id, "state")
        else:
            value = field(info, "system", "get_sysinfo", "relay_state")
        return "on" if value else "off"

    async def write_state(self, state: str) -> str:
        if self.timer != "" and state == "off":
            await self._command("clear_rules")
            answer = await self._command("count_off")
            error_code = field(answer, "count_down", "add_rule", "err_code")
        else:
            answer = await self._command(state)
            error_code = field(answer, "system", "set_relay_state", "err_code")
        if error_code:
            raise DeviceUnreachable(f"the plug answered err_code {error_code}")
        return state
