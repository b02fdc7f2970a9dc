"""The ``power`` component: every ``[power NAME]`` device, ``machine.device_power.*``.

Loaded when a ``[power ...]`` section exists. An unknown type is a
configuration error, as in Moonraker; a device with a bad option is left out
with a warning. Batch requests switch their devices side
by side, so a device that does not answer delays no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, Deferred, DeferredList
from twisted.logger import Logger

from moontwist.api import Request
from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.services.power.device import ACTIONS, STARTED_STATES, PowerDevice
from moontwist.services.power.endpoints import PowerEndpoints
from moontwist.services.power.options import TYPE
from moontwist.services.power.types import DEVICE_TYPES

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

SECTION_PREFIX = "power "


class PowerService(Service):
    """Owns the power devices and their reactions to Klippy and the job queue."""

    def __init__(self, ctx: "ServerContext", device_types: dict[str, Callable[..., PowerDevice]] = DEVICE_TYPES) -> None:
        self.ctx = ctx
        self.devices: dict[str, PowerDevice] = {}
        self._starting: list[Deferred[Any]] = []
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            section = ctx.config.section(section_name)
            name = section_name[len(SECTION_PREFIX):].strip()
            kind = TYPE.read(section)
            make = device_types.get(kind)
            if make is None:
                raise ConfigError(f"Unsupported Device Type: {kind}")
            try:
                self.devices[name] = make(name, section, self)
            except ConfigError as error:
                ctx.warnings.append(f"Failed to load power device [{section_name}]\n{error}")
        ctx.registry.register(PowerEndpoints(self))
        ctx.component("klippy").register_remote_method("set_device_power", self.set_device_power)

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "PowerService":
        return cls(ctx)

    @property
    def klippy(self) -> Any:
        return self.ctx.component("klippy")

    def startService(self) -> None:
        super().startService()
        events = self.ctx.events
        events.on("klippy_shutdown", self._klippy_shutdown)
        events.on("klippy_state_changed", self._klippy_state_changed)
        events.on("job_queue_changed", self._job_queue_changed)
        self._check_bound_services()
        for device in self.devices.values():
            starting = Deferred.fromCoroutine(self._start_device(device))
            self._starting.append(starting)

    def stopService(self) -> "Deferred[Any]":
        super().stopService()
        events = self.ctx.events
        events.off("klippy_shutdown", self._klippy_shutdown)
        events.off("klippy_state_changed", self._klippy_state_changed)
        events.off("job_queue_changed", self._job_queue_changed)
        for starting in self._starting:
            starting.cancel()
        stopped = [device.stop() for device in self.devices.values()]
        return DeferredList([d for d in stopped if d is not None])

    async def _start_device(self, device: PowerDevice) -> None:
        try:
            await device.initialise()
        except CancelledError:
            return
        except Exception as error:
            self.ctx.warnings.append(f"Power device '{device.name}' failed to initialize: {error}")

    def _check_bound_services(self) -> None:
        machine = self.ctx.components.get("machine")
        if machine is None:
            return
        for device in self.devices.values():
            for service in list(device.bound_services):
                if service == machine.unit:
                    self.ctx.warnings.append(
                        f"Power Device {device.name}: Cannot bind to Moonraker service {service}.")
                    device.bound_services.remove(service)

    # What devices and Klippy call.

    def is_printing(self) -> bool:
        """As Moonraker: Klippy ready and ``print_stats.state`` is ``printing``."""
        job_state = self.ctx.components.get("job_state")
        return bool(self.klippy.state == "ready" and job_state is not None and job_state.state == "printing")

    def set_device_power(self, device: str, state: Any, force: bool = False) -> None:
        """Klippy's ``set_device_power`` remote method (and timers): switch without waiting."""
        if isinstance(state, bool):
            action = "on" if state else "off"
        elif isinstance(state, str):
            action = {"true": "on", "false": "off"}.get(state.lower(), state.lower())
        else:
            action = ""
        if action not in ACTIONS:
            log.info("set_device_power: invalid state {state!r}", state=state)
            return
        target = self.devices.get(device)
        if target is None:
            log.info("set_device_power: no device {device}", device=device)
            return
        Deferred.fromCoroutine(target.process_request(action, force=bool(force))).addErrback(
            lambda failure: log.warn("Power device {name}: {error}", name=device, error=failure.getErrorMessage()))

    async def service_action(self, action: str, service: str) -> None:
        await self.ctx.registry.dispatch(Request(f"machine.services.{action}", {"service": service}))

    def firmware_restart(self) -> "Deferred[Any]":
        return self.klippy.run_gcode("FIRMWARE_RESTART").addErrback(
            lambda failure: log.info("FIRMWARE_RESTART: {error}", error=failure.getErrorMessage()))

    def _klippy_shutdown(self) -> None:
        for device in self.devices.values():
            device.klippy_shutdown()

    def _klippy_state_changed(self, state: str) -> None:
        if state in STARTED_STATES:
            for device in self.devices.values():
                device.klippy_started(state)

    def _job_queue_changed(self, action: str, queued: list[dict[str, Any]] | None) -> None:
        if action != "jobs_added":
            return
        filename = (queued or [{}])[0].get("filename", "unknown")
        for device in self.devices.values():
            if device.on_when_queued:
                log.info("Power device {name}: job {file} queued, powering on", name=device.name, file=filename)
                Deferred.fromCoroutine(device.process_request("on")).addErrback(
                    lambda failure, name=device.name: log.warn("Power device {name}: {error}", name=name,
                                                               error=failure.getErrorMessage()))

    # The API's work.

    def device(self, name: str) -> PowerDevice:
        device = self.devices.get(name)
        if device is None:
            raise ApiError(f"No valid device named {name}")
        return device

    async def batch(self, action: str, names: list[str]) -> dict[str, str]:
        if not names:
            raise ApiError("No arguments provided")

        async def one(name: str) -> str:
            device = self.devices.get(name)
            if device is None:
                return "device_not_found"
            return await device.process_request(action)

        outcomes = await DeferredList([Deferred.fromCoroutine(one(name)) for name in names], consumeErrors=True)
        for succeeded, outcome in outcomes:
            if not succeeded:
                outcome.raiseException()
        return {name: outcome for name, (_, outcome) in zip(names, outcomes)}
