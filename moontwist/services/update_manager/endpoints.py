"""``machine.update.*``: the update manager's API (Moonraker 0.11's methods and arguments)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.services.update_manager.service import UpdateManagerService


class UpdateEndpoints:
    def __init__(self, service: "UpdateManagerService") -> None:
        self.service = service

    @endpoint("machine.update.status", "GET /machine/update/status")
    async def status(self, request: Request) -> dict[str, Any]:
        # ``refresh`` is honoured only when nothing runs, nothing prints and the
        # last refresh is a minute old; otherwise the stored state is returned.
        if request.get_bool("refresh", False) and self.service.status_refresh_allowed():
            return await self.service.refresh(None)
        return self.service.status()

    @endpoint("machine.update.refresh", "POST /machine/update/refresh")
    async def refresh(self, request: Request) -> dict[str, Any]:
        name = request.get_str("name", None)
        if name is not None and name not in self.service.updaters:
            raise ApiError(f"No updater registered for '{name}'")
        service = self.service
        if not service.initialized or service.current is not None or service.is_printing():
            raise ApiError("Server is busy, cannot perform refresh", 503)
        return await service.refresh(name)

    @endpoint("machine.update.full", "POST /machine/update/full")
    async def full(self, request: Request) -> str:
        return await self.service.full()

    @endpoint("machine.update.upgrade", "POST /machine/update/upgrade")
    async def upgrade(self, request: Request) -> str:
        name = request.get_str("name", None)
        if name is None:
            return await self.service.full()
        return await self.service.update(name)

    @endpoint("machine.update.moonraker", "POST /machine/update/moonraker")
    async def moonraker(self, request: Request) -> str:
        return await self.service.update("moonraker")

    @endpoint("machine.update.klipper", "POST /machine/update/klipper")
    async def klipper(self, request: Request) -> str:
        return await self.service.update("klipper")

    @endpoint("machine.update.system", "POST /machine/update/system")
    async def system(self, request: Request) -> str:
        return await self.service.update("system")

    @endpoint("machine.update.client", "POST /machine/update/client")
    async def client(self, request: Request) -> str:
        name = request.get_str("name", None)
        if name is None:
            return await self.service.full()
        return await self.service.update(name)

    @endpoint("machine.update.recover", "POST /machine/update/recover")
    async def recover(self, request: Request) -> str:
        return await self.service.recover(request.get_str("name"), request.get_bool("hard", False))

    @endpoint("machine.update.rollback", "POST /machine/update/rollback")
    async def rollback(self, request: Request) -> str:
        return await self.service.rollback(request.get_str("name"))
