"""``server.logs.rollover``: start new moonraker and klippy log files on request."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.logfile import RollingLogFile

if TYPE_CHECKING:
    from moontwist.context import ServerContext
    from moontwist.services.machine.providers import NoProvider

APPLICATIONS = ("moonraker", "klipper")
KLIPPER_SERVICE = "klipper"


class LogRollover:
    """Rolls our own log file, and Klippy's by stopping its service around a rename."""

    def __init__(self, ctx: "ServerContext", log_file: RollingLogFile | None, provider: "NoProvider") -> None:
        self.ctx = ctx
        self.log_file = log_file
        self.provider = provider

    @endpoint("server.logs.rollover", "POST /server/logs/rollover")
    async def rollover(self, request: Request) -> dict[str, Any]:
        application = request.get_str("application", None)
        if application is not None and application not in APPLICATIONS:
            raise ApiError(f"Unknown application {application}")
        result: dict[str, Any] = {"rolled_over": [], "failed": {}}
        for name in [application] if application else APPLICATIONS:
            try:
                await (self._moonraker() if name == "moonraker" else self._klipper())
            except ApiError as error:
                result["failed"][name] = error.message
            else:
                result["rolled_over"].append(name)
        return result

    async def _moonraker(self) -> None:
        if self.log_file is None:
            raise ApiError("Moonraker is not logging to a file")
        self.log_file.rotate()

    async def _klipper(self) -> None:
        if KLIPPER_SERVICE not in self.provider.services:
            raise ApiError("Unable to detect Klipper Service, cannot perform manual rollover")
        klippy = self.ctx.components.get("klippy")
        if klippy is None:
            raise ApiError("Unable to detect path to Klipper log file")
        info = await klippy.request("info")
        if not info.get("log_file"):
            raise ApiError("Unable to detect path to Klipper log file")
        state = klippy.status.get("print_stats", {}).get("state")
        if state in ("printing", "paused"):
            raise ApiError("Cannot rollover log while printing")
        path = Path(info["log_file"]).expanduser()
        if not path.is_file():
            raise ApiError(f"No file at {path} exists, cannot perform rollover")
        await self.provider.action("stop", KLIPPER_SERVICE)
        try:
            path.rename(path.with_name(f"{path.name}.{time.strftime('%Y-%m-%d_%H-%M-%S')}"))
        finally:
            await self.provider.action("start", KLIPPER_SERVICE)
