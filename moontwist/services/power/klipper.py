"""``klipper_device``: an ``output_pin`` (``SET_PIN``) or ``gcode_macro`` switched through Klippy.

The state is the object's ``value`` from the Klippy subscription. After a
switch the new value must arrive within a second; while Klipper is shut down
the device is in ``error`` and refuses to switch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.defer import CancelledError, Deferred
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.services.power.device import PowerDevice, unsupported_option
from moontwist.services.power.off_timer import OffTimer

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

log = Logger()

UPDATE_TIMEOUT = 1.0


class KlipperDevice(PowerDevice):
    can_poll = False

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        for option, value in (("off_when_shutdown", self.off_when_shutdown),
                              ("restart_klipper_when_powered", self.klipper_restart)):
            if value:
                raise unsupported_option(section, option, "klipper_device")
        self.timer = OffTimer(self, self.options["timer"])
        self.object_name: str = self.options["object_name"]
        parts = self.object_name.split()
        if parts[0] == "gcode_macro":
            self.command = parts[-1]
        elif parts[0] == "output_pin":
            self.command = f"SET_PIN PIN={parts[-1]}"
        else:
            raise ConfigError("Klipper object must be either 'output_pin' or 'gcode_macro' "
                              f"for option 'object_name' in section [{section.name}]")
        self.is_shutdown = False
        self._update: Deferred[str] | None = None

    def device_info(self) -> dict[str, Any]:
        return {**super().device_info(), "is_shutdown": self.is_shutdown}

    async def initialise(self) -> None:
        events = self.power.ctx.events
        events.on("klippy_ready", self._on_klippy_ready)
        events.on("klippy_disconnected", self._klippy_disconnected)
        events.on("status_update", self._status_update)
        if self.power.klippy.state == "ready":
            await self._klippy_ready()

    def stop(self) -> "Deferred[Any] | None":
        events = self.power.ctx.events
        events.off("klippy_ready", self._on_klippy_ready)
        events.off("klippy_disconnected", self._klippy_disconnected)
        events.off("status_update", self._status_update)
        self.power.klippy.subscribe(self, {}).addErrback(lambda failure: None)
        self.timer.cancel()
        return super().stop()

    def _on_klippy_ready(self) -> None:
        Deferred.fromCoroutine(self._klippy_ready())

    async def _klippy_ready(self) -> None:
        try:
            answer = await self.power.klippy.subscribe(self, {self.object_name: None})
        except ApiError as error:
            log.warn("Power device {name}: subscription failed: {error}", name=self.name, error=error.message)
            self.state = "error"
            return
        status = answer.get("status", {})
        if not self._valid(status):
            self.state = "error"
            return
        async with self.lock:
            self._take(status)
            await self.set_initial_state()
            self.notify_power_changed()

    def _klippy_disconnected(self) -> None:
        self.is_shutdown = False
        self._set_state("init")
        self.timer.cancel()

    def klippy_shutdown(self) -> None:
        self.is_shutdown = True
        self._set_state("error")
        self.timer.cancel()

    def _status_update(self, changes: dict[str, Any], eventtime: float) -> None:
        self._take(changes)

    def _valid(self, status: dict[str, Any]) -> bool:
        values = status.get(self.object_name)
        if not isinstance(values, dict) or "value" not in values:
            log.info("Power device {name}: Klipper object {object} has no 'value'", name=self.name,
                     object=self.object_name)
            return False
        return True

    def _take(self, status: dict[str, Any]) -> None:
        values = status.get(self.object_name)
        if not isinstance(values, dict) or values.get("value") is None:
            return
        state = "on" if values["value"] else "off"
        self._set_state(state)
        update, self._update = self._update, None
        if update is not None:
            update.callback(state)

    def _set_state(self, state: str) -> None:
        previous, self.state = self.state, state
        self._last_update = self.reactor.seconds()
        if previous not in (state, "init") and not self.lock.locked:
            Deferred.fromCoroutine(self.external_change())

    async def refresh_status(self) -> None:
        if self.is_shutdown or self.state in ("on", "off", "init"):
            return
        try:
            answer = await self.power.klippy.query({self.object_name: None})
        except ApiError:
            self.state = "error"
            return
        status = answer.get("status", {})
        if self._valid(status):
            self._take(status)
        else:
            self.state = "error"

    async def set_power(self, state: str) -> None:
        if self.is_shutdown:
            raise ApiError(f"Power Device {self.name}: Cannot set power for device when Klipper is shutdown")
        self.timer.cancel()
        update: Deferred[str] = Deferred()
        self._update = update
        try:
            await self.power.klippy.run_gcode(f"{self.command} VALUE={1 if state == 'on' else 0}")
        except ApiError as error:
            self._update = None
            self.state = "error"
            log.warn("Power device {name}: switching failed: {error}", name=self.name, error=error.message)
            raise ApiError(f"Error Toggling Device Power: {self.name}") from None
        # As Moonraker: the new value must arrive within a second of the G-code's answer.
        timeout = self.reactor.callLater(UPDATE_TIMEOUT, update.cancel)
        try:
            await update
        except CancelledError:
            self.state = "error"
            raise ApiError(f"Power device {self.name}: Timeout waiting for device state update") from None
        finally:
            self._update = None
            if timeout.active():
                timeout.cancel()
        self.timer.start()
