"""``machine.device_power.*``: list, one device, and batches of devices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.services.power.service import PowerService


class PowerEndpoints:
    def __init__(self, power: "PowerService") -> None:
        self.power = power

    @endpoint("machine.device_power.devices", "GET /machine/device_power/devices")
    def devices(self, request: Request) -> dict[str, Any]:
        return {"devices": [device.device_info() for device in self.power.devices.values()]}

    @endpoint("machine.device_power.get_device", "GET /machine/device_power/device")
    async def get_device(self, request: Request) -> dict[str, str]:
        name = request.get_str("device")
        return {name: await self.power.device(name).process_request("status")}

    @endpoint("machine.device_power.post_device", "POST /machine/device_power/device")
    async def post_device(self, request: Request) -> dict[str, str]:
        name = request.get_str("device")
        device = self.power.device(name)
        action = request.get_str("action").lower()
        if action not in ("on", "off", "toggle"):
            raise ApiError(f"Invalid requested action '{action}'")
        return {name: await device.process_request(action)}

    @endpoint("machine.device_power.status", "GET /machine/device_power/status")
    async def status(self, request: Request) -> dict[str, str]:
        return await self.power.batch("status", list(request.args))

    @endpoint("machine.device_power.on", "POST /machine/device_power/on")
    async def on(self, request: Request) -> dict[str, str]:
        return await self.power.batch("on", list(request.args))

    @endpoint("machine.device_power.off", "POST /machine/device_power/off")
    async def off(self, request: Request) -> dict[str, str]:
        return await self.power.batch("off", list(request.args))
