"""``machine.*``: system info, services, power, sudo; and ``server.logs.rollover``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList
from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.logfile import RollingLogFile
from moontwist.services.machine.host import HostPaths, read_text
from moontwist.services.machine.logs import LogRollover
from moontwist.services.machine.peripherals import PeripheralEndpoints
from moontwist.services.machine.options import MACHINE
from moontwist.services.machine.providers import ServiceState, make_provider
from moontwist.services.machine.sudo import Sudo
from moontwist.services.machine.system_info import live_info, own_unit, static_info

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

ALWAYS_ALLOWED = ("klipper", "moonraker")
DEFAULT_ALLOWED = ("klipper_mcu", "webcamd", "MoonCord", "KlipperScreen", "moonraker-telegram-bot",
                   "moonraker-obico", "sonar", "crowsnest", "octoeverywhere", "ratos-configurator")
ALLOWED_SERVICES_FILE = "moonraker.asvc"
SELF_RESTART_DELAY = 0.1


class MachineService(Service):
    """The host machine: facts, allowed services and their state, power, sudo."""

    def __init__(self, ctx: "ServerContext", log_file: RollingLogFile | None = None,
                 paths: HostPaths = HostPaths()) -> None:
        self.ctx = ctx
        self.paths = paths
        options = MACHINE.read(ctx.config.section("machine"))
        self.sudo = Sudo(ctx.reactor, ctx.notify, options["sudo_password"])
        self.allowed = allowed_services(ctx.options.data_path / ALLOWED_SERVICES_FILE)
        self.provider_name = options["provider"]
        self.provider = make_provider(options["provider"], ctx.reactor, self.sudo, self.allowed,
                                      options["shutdown_action"], options["supervisord_config_path"])
        self.unit = own_unit(paths) or "moonraker"
        self.static = static_info(paths)
        # Work running child processes (refreshes, our own restart): stopping waits for it.
        self._running: set[Deferred[None]] = set()
        ctx.registry.register(LogRollover(ctx, log_file, self.provider))
        ctx.registry.register(PeripheralEndpoints(ctx.reactor, paths, ctx.options.data_path))

    def startService(self) -> None:
        super().startService()
        self.ctx.events.on("klippy_ready", self.refresh_services)
        self.ctx.events.on("klippy_disconnected", self.refresh_services)
        self.refresh_services()

    def stopService(self) -> "Deferred[Any]":
        """Stop listening; wait for work still running (no child process is left behind)."""
        super().stopService()
        self.ctx.events.off("klippy_ready", self.refresh_services)
        self.ctx.events.off("klippy_disconnected", self.refresh_services)
        return DeferredList(list(self._running))

    def refresh_services(self) -> "Deferred[None]":
        """Re-read the services' state; tell clients about the ones that changed."""
        return self._track(Deferred.fromCoroutine(self._refresh()).addErrback(
            lambda failure: log.warn("Service state refresh failed: {error}", error=failure.getErrorMessage())))

    def _track(self, running: "Deferred[None]") -> "Deferred[None]":
        self._running.add(running)

        def done(result: None) -> None:
            self._running.discard(running)
            return result

        return running.addBoth(done)

    async def _refresh(self) -> None:
        changed: dict[str, ServiceState] = await self.provider.refresh()
        if changed:
            self.ctx.notify("notify_service_state_changed", [changed])

    @endpoint("machine.system_info", "GET /machine/system_info")
    def system_info(self, request: Request) -> dict[str, Any]:
        services = self.provider.services
        info = {
            **self.static,
            **live_info(self.paths),
            "available_services": list(services),
            "service_state": {name: dict(state) for name, state in services.items()},
            "provider": self.provider_name,
            "instance_ids": {"moonraker": self.unit, "klipper": _klipper_unit(services)},
        }
        return {"system_info": info}

    @endpoint("machine.shutdown", "POST /machine/shutdown")
    async def shutdown(self, request: Request) -> str:
        await self.provider.power("shutdown")
        return "ok"

    @endpoint("machine.reboot", "POST /machine/reboot")
    async def reboot(self, request: Request) -> str:
        await self.provider.power("reboot")
        return "ok"

    @endpoint("machine.services.restart", "POST /machine/services/restart")
    async def restart_service(self, request: Request) -> str:
        return await self._service_action("restart", request.get_str("service"))

    @endpoint("machine.services.stop", "POST /machine/services/stop")
    async def stop_service(self, request: Request) -> str:
        return await self._service_action("stop", request.get_str("service"))

    @endpoint("machine.services.start", "POST /machine/services/start")
    async def start_service(self, request: Request) -> str:
        return await self._service_action("start", request.get_str("service"))

    async def _service_action(self, action: str, name: str) -> str:
        if name == self.unit and name in self.provider.services:
            if action != "restart":
                raise ApiError(f"Service action '{action}' not available for moonraker")
            # Answer first: the restart ends this process.
            self.ctx.reactor.callLater(SELF_RESTART_DELAY, self._self_restart, name)
            return "ok"
        if name not in self.provider.services:
            if name in self.allowed:
                raise ApiError(f"Service '{name}' not installed")
            raise ApiError(f"Service '{name}' not allowed")
        try:
            await self.provider.action(action, name)
        finally:
            await self.refresh_services()
        return "ok"

    def _self_restart(self, name: str) -> None:
        self._track(Deferred.fromCoroutine(self.provider.action("restart", name)).addErrback(
            lambda failure: log.warn("Restart of {name} failed: {error}", name=name, error=failure.getErrorMessage())))

    @endpoint("machine.sudo.info", "GET /machine/sudo/info")
    async def sudo_info(self, request: Request) -> dict[str, Any]:
        access = await self.sudo.check_access() if request.get_bool("check_access", False) else None
        return {"sudo_access": access, **self.sudo.info()}

    @endpoint("machine.sudo.password", "POST /machine/sudo/password")
    async def sudo_password(self, request: Request) -> dict[str, Any]:
        return await self.sudo.set_password(request.get_str("password"))


def allowed_services(path: Any) -> list[str]:
    """Klipper and Moonraker, plus ``moonraker.asvc`` of the data folder (else the usual set)."""
    text = read_text(path)
    extra = DEFAULT_ALLOWED if text is None else tuple(line.strip() for line in text.splitlines())
    names = [*ALWAYS_ALLOWED]
    for name in extra:
        if name and not name.startswith("#") and name not in names:
            names.append(name)
    return names


def _klipper_unit(services: dict[str, ServiceState]) -> str:
    klipper = [name for name in services if name == "klipper" or name.startswith(("klipper-", "klipper_"))
               and name != "klipper_mcu"]
    return klipper[0] if klipper else "klipper"
