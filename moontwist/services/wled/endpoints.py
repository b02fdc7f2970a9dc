"""``machine.wled.*``: the strips, one strip, and batches of strips."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.services.wled.service import WledService
    from moontwist.services.wled.strip import Strip


class WledEndpoints:
    def __init__(self, wled: "WledService") -> None:
        self.wled = wled

    @endpoint("machine.wled.strips", "GET /machine/wled/strips")
    def strips(self, request: Request) -> dict[str, Any]:
        return {"strips": {name: strip.info() for name, strip in self.wled.strips.items()}}

    def _strip(self, request: Request) -> tuple[str, "Strip"]:
        name = request.get_str("strip")
        strip = self.wled.strips.get(name)
        if strip is None:
            raise ApiError(f"No valid strip named {name}")
        return name, strip

    @endpoint("machine.wled.get_strip", "GET /machine/wled/strip")
    def get_strip(self, request: Request) -> dict[str, Any]:
        name, strip = self._strip(request)
        return {name: strip.info()}

    @endpoint("machine.wled.post_strip", "POST /machine/wled/strip")
    async def post_strip(self, request: Request) -> dict[str, Any]:
        name, strip = self._strip(request)
        numbers = [request.get_int(key, -1) for key in ("preset", "brightness", "intensity", "speed")]
        action = request.get_str("action").lower()
        if action not in ("on", "off", "toggle", "control"):
            raise ApiError(f"Invalid requested action '{action}'")
        return {name: await self.wled.process(strip, action, *numbers)}

    async def _batch(self, action: str, request: Request) -> dict[str, Any]:
        if not request.args:
            raise ApiError("No arguments provided")
        result: dict[str, Any] = {}
        for name in request.args:
            strip = self.wled.strips.get(name)
            result[name] = await self.wled.process(strip, action) if strip else {"error": "strip_not_found"}
        return result

    @endpoint("machine.wled.status", "GET /machine/wled/status")
    async def status(self, request: Request) -> dict[str, Any]:
        return await self._batch("status", request)

    @endpoint("machine.wled.on", "POST /machine/wled/on")
    async def on(self, request: Request) -> dict[str, Any]:
        return await self._batch("on", request)

    @endpoint("machine.wled.off", "POST /machine/wled/off")
    async def off(self, request: Request) -> dict[str, Any]:
        return await self._batch("off", request)

    @endpoint("machine.wled.toggle", "POST /machine/wled/toggle")
    async def toggle(self, request: Request) -> dict[str, Any]:
        return await self._batch("toggle", request)
