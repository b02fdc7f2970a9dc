"""``machine.wled.*``: the strips, batch status/on/off/toggle, one strip's get and post."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.services.wled.service import WledService

ACTIONS = ("on", "off", "toggle", "control")


class WledEndpoints:
    def __init__(self, service: "WledService") -> None:
        self._service = service

    @endpoint("machine.wled.strips", "GET /machine/wled/strips")
    def strips(self, request: Request) -> dict[str, Any]:
        return {"strips": {name: strip.info() for name, strip in self._service.strips.items()}}

    @endpoint("machine.wled.status", "GET /machine/wled/status")
    async def status(self, request: Request) -> dict[str, Any]:
        return await self._batch(request, "status")

    @endpoint("machine.wled.on", "POST /machine/wled/on")
    async def on(self, request: Request) -> dict[str, Any]:
        return await self._batch(request, "on")

    @endpoint("machine.wled.off", "POST /machine/wled/off")
    async def off(self, request: Request) -> dict[str, Any]:
        return await self._batch(request, "off")

    @endpoint("machine.wled.toggle", "POST /machine/wled/toggle")
    async def toggle(self, request: Request) -> dict[str, Any]:
        return await self._batch(request, "toggle")

    async def _batch(self, request: Request, action: str) -> dict[str, Any]:
        """Each argument names a strip; an unknown one gets ``{"error": "strip_not_found"}``."""
        if not request.args:
            raise ApiError("No arguments provided")
        result: dict[str, Any] = {}
        for name in request.args:
            strip = self._service.strips.get(name)
            if strip is None:
                result[name] = {"error": "strip_not_found"}
            else:
                result[name] = await self._service.apply(strip, action)
        return result

    @endpoint("machine.wled.get_strip", "GET /machine/wled/strip")
    def get_strip(self, request: Request) -> dict[str, Any]:
        name = request.get_str("strip")
        return {name: self._service.get(name).info()}

    @endpoint("machine.wled.post_strip", "POST /machine/wled/strip")
    async def post_strip(self, request: Request) -> dict[str, Any]:
        name = request.get_str("strip")
        preset = request.get_int("preset", -1)
        brightness = request.get_int("brightness", -1)
        intensity = request.get_int("intensity", -1)
        speed = request.get_int("speed", -1)
        strip = self._service.get(name)
        action = request.get_str("action").lower()
        if action not in ACTIONS:
            raise ApiError(f"Invalid requested action '{action}'")
        return {name: await self._service.apply(strip, action, preset, brightness, intensity, speed)}
