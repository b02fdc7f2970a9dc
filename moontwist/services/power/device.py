"""What every power device shares: its options, its state, and how a request runs.

A request runs as Moonraker's does: under the device's lock, refresh the state,
turn ``toggle`` into ``on`` or ``off``, do nothing when the device is already
there, refuse while printing when ``locked_while_printing``, then switch and
process the change (notification, bound services, Klipper restart). A device
type supplies ``refresh_status`` and ``set_power`` (both may wait) and, when
it must reach the device first, ``initialise``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, DeferredLock
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.services.power.options import read_options

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

log = Logger()

ACTIONS = ("on", "off", "toggle")
STARTED_STATES = ("ready", "error", "shutdown")


class PowerDevice:
    """One ``[power NAME]`` section."""

    can_poll = True

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        self.name = name
        self.power = power
        self.reactor = power.ctx.reactor
        # The device's options (``options.py``): the common ones and its type's.
        self.options = read_options(section)
        self.type: str = self.options["type"]
        self.state = "init"
        self.lock = DeferredLock()
        self._read_common_options(section)
        self.need_scheduled_restart = False
        self._shutdown_call: Any = None
        self._poller: LoopingCall | None = None
        self._last_update = 0.0

    def _read_common_options(self, section: "Section") -> None:
        options = self.options
        self.locked_while_printing = options["locked_while_printing"]
        self.off_when_shutdown = options["off_when_shutdown"]
        self.off_when_shutdown_delay = options["off_when_shutdown_delay"] if self.off_when_shutdown else 0.0
        self.klipper_restart = options["restart_klipper_when_powered"]
        self.restart_delay = options["restart_delay"] if self.klipper_restart else 1.0
        services: list[str] = list(options["bound_services"])
        if options["bound_service"] is not None:
            services.append(options["bound_service"])
        self.bound_services: list[str] = []
        for service in services:
            service = service.removesuffix(".service")
            if service not in self.bound_services:
                self.bound_services.append(service)
        self.on_when_queued = options["on_when_job_queued"]
        if section.has_option("on_when_upload_queued"):
            self.on_when_queued = options["on_when_upload_queued"]
        self.initial_state: bool | None = options["initial_state"]
        self.restrict_actions = options["restrict_action_processing"]
        self.poll_interval: float | None = options["poll_interval"] if self.can_poll else None

    # The device type's part.

    async def initialise(self) -> None:
        """Reach the device and learn its state (the default: nothing to reach)."""

    async def refresh_status(self) -> None:
        raise NotImplementedError

    async def set_power(self, state: str) -> None:
        raise NotImplementedError

    def stop(self) -> "Deferred[Any] | None":
        """Cancel whatever the device still has pending."""
        if self._poller is not None and self._poller.running:
            self._poller.stop()
        self._cancel_shutdown_call()
        return None

    def device_info(self) -> dict[str, Any]:
        return {"device": self.name, "status": self.state,
                "locked_while_printing": self.locked_while_printing, "type": self.type}

    # Requests.

    async def process_request(self, action: str, force: bool = False) -> str:
        """``status``, ``on``, ``off`` or ``toggle``; the state afterwards."""
        if self.state == "init" and self.lock.locked:
            # Still reaching the device: answer at once rather than wait on it.
            return self.state
        async with self.lock:
            try:
                return await self._locked_request(action, force)
            finally:
                self._last_update = self.reactor.seconds()

    async def _locked_request(self, action: str, force: bool) -> str:
        base_state = self.state
        await self.refresh_status()
        current = self.state
        if action == "toggle":
            action = "on" if current == "off" else "off"
        if action in ("on", "off"):
            if action == current:
                if base_state != current:
                    await self._state_found_changed()
                return current
            if not force and self.locked_while_printing and self.power.is_printing():
                raise ApiError(f"Unable to change power for {self.name} while printing")
            await self.set_power(action)
            current = self.state
            await self.process_power_changed()
        elif action != "status":
            raise ApiError(f"Unsupported power request: {action}")
        elif base_state != current:
            await self._state_found_changed()
        return current

    async def _state_found_changed(self) -> None:
        if self.restrict_actions:
            self.notify_power_changed()
        else:
            await self.process_power_changed()

    async def external_change(self) -> None:
        """The device reported a new state by itself (Klippy, MQTT)."""
        async with self.lock:
            await self._state_found_changed()
            self._last_update = self.reactor.seconds()

    def notify_power_changed(self) -> None:
        self.power.ctx.notify("notify_power_changed", [self.device_info()])

    async def process_power_changed(self) -> None:
        self.notify_power_changed()
        await self.process_bound_services()
        if self.state == "on" and self.klipper_restart:
            self.need_scheduled_restart = True
            state = self.power.klippy.state
            if state in STARTED_STATES:
                self.klippy_started(state)

    async def process_bound_services(self) -> None:
        if not self.bound_services or self.state not in ("on", "off"):
            return
        action = "start" if self.state == "on" else "stop"
        for service in self.bound_services:
            log.info("Power device {name}: {action} bound service {service}",
                     name=self.name, action=action, service=service)
            try:
                await self.power.service_action(action, service)
            except Exception as error:
                log.warn("Power device {name}: {action} of bound service {service} failed: {error}",
                         name=self.name, action=action, service=service, error=error)

    # Initial state and polling.

    async def set_initial_state(self) -> None:
        if self.initial_state is None or self.state not in ("on", "off"):
            return
        wanted = "on" if self.initial_state else "off"
        try:
            if wanted != self.state:
                log.info("Power device {name}: setting initial state {state}", name=self.name, state=wanted)
                await self.set_power(wanted)
            await self.process_bound_services()
        except Exception as error:
            log.warn("Power device {name}: could not set the initial state: {error}", name=self.name, error=error)

    def start_polling(self) -> None:
        if self.poll_interval is None or self._poller is not None:
            return
        self._poller = LoopingCall(self._poll)
        self._poller.clock = self.reactor
        self._poller.start(self.poll_interval, now=False)

    async def _poll(self) -> None:
        assert self.poll_interval is not None
        if self.lock.locked or self.reactor.seconds() - self._last_update < self.poll_interval:
            return
        try:
            await self.process_request("status")
        except ApiError:
            pass

    # Klippy events.

    def klippy_started(self, state: str) -> None:
        """Klippy finished starting up: restart its firmware if this device asked for it."""
        if not self.need_scheduled_restart:
            return
        self.need_scheduled_restart = False
        if state == "ready":
            log.info("Power device {name}: Klipper is ready, no FIRMWARE_RESTART", name=self.name)
            return
        log.info("Power device {name}: FIRMWARE_RESTART in {delay} s", name=self.name, delay=self.restart_delay)
        self.reactor.callLater(self.restart_delay, self.power.firmware_restart)

    def klippy_shutdown(self) -> None:
        if not self.off_when_shutdown:
            return
        self._cancel_shutdown_call()
        if self.off_when_shutdown_delay == 0.0:
            self._off_after_shutdown()
        else:
            self._shutdown_call = self.reactor.callLater(self.off_when_shutdown_delay, self._off_after_shutdown)

    def _cancel_shutdown_call(self) -> None:
        if self._shutdown_call is not None and self._shutdown_call.active():
            self._shutdown_call.cancel()
        self._shutdown_call = None

    def _off_after_shutdown(self) -> None:
        self._shutdown_call = None
        if self.power.klippy.state != "shutdown":
            return
        log.info("Powering off device {name}: Klipper shut down", name=self.name)
        self.power.set_device_power(self.name, "off")


def unsupported_option(section: "Section", option: str, kind: str) -> ConfigError:
    return ConfigError(f"Option '{option}' in section [{section.name}] is unsupported for '{kind}'")
