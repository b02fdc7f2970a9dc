"""Devices on the network: reached at start-up (again every 5 s until they answer), each call bounded.

Every call to such a device has one deadline (``timeout``, our option, 5 s): a
device that does not answer is ``error`` after it and holds up nothing else.
``initial_state`` is applied the first time the device answers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.logger import Logger

from moontwist.errors import ApiError
from moontwist.services.power.device import PowerDevice

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

log = Logger()

RETRY_INTERVAL = 5.0


class DeviceUnreachable(Exception):
    """The device gave no usable answer."""


def field(answer: Any, *path: Any) -> Any:
    """``answer[path...]``, or DeviceUnreachable when the answer has another shape."""
    try:
        for key in path:
            answer = answer[key]
    except (KeyError, IndexError, TypeError):
        raise DeviceUnreachable(f"unexpected answer: {json.dumps(answer)[:200]}") from None
    return answer


class ReachableDevice(PowerDevice):
    # Moonraker's message when switching fails ({name}, {state}).
    switch_error = "Error Setting Device Status: {name} to {state}"

    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.timeout: float = self.options["timeout"]
        self._retry: Deferred[Any] | None = None

    async def read_state(self) -> str:
        """Ask the device: ``on`` or ``off``; DeviceUnreachable otherwise."""
        raise NotImplementedError

    async def write_state(self, state: str) -> str:
        """Switch the device; its state afterwards; DeviceUnreachable when it fails."""
        raise NotImplementedError

    async def initialise(self) -> None:
        while not await self._first_contact():
            self._retry = deferLater(self.reactor, RETRY_INTERVAL, lambda: None)
            try:
                await self._retry
            finally:
                self._retry = None

    async def _first_contact(self) -> bool:
        """Learn the state; then the initial state, the announcement, polling."""
        async with self.lock:
            try:
                self.state = await self.read_state()
            except DeviceUnreachable as error:
                if self.state != "error":
                    log.info("Power device {name} not reached: {error}", name=self.name, error=error)
                    self.state = "error"
                    self.notify_power_changed()
                return False
            await self.set_initial_state()
            self.notify_power_changed()
            self._last_update = self.reactor.seconds()
        self.start_polling()
        return True

    def stop(self) -> "Deferred[Any] | None":
        if self._retry is not None:
            self._retry.cancel()
        return super().stop()

    async def refresh_status(self) -> None:
        try:
            self.state = await self.read_state()
        except DeviceUnreachable as error:
            self.state = "error"
            log.debug("Power device {name}: status refresh failed: {error}", name=self.name, error=error)

    async def set_power(self, state: str) -> None:
        try:
            self.state = await self.write_state(state)
        except DeviceUnreachable as error:
            self.state = "error"
            message = self.switch_error.format(name=self.name, state=state)
            log.warn("{message}: {error}", message=message, error=error)
            raise ApiError(message) from None

    async def bounded(self, waiting: "Deferred[Any]") -> Any:
        """The result of ``waiting``, cancelled after ``timeout``; any failure is DeviceUnreachable."""
        timer = self.reactor.callLater(self.timeout, waiting.cancel)
        try:
            return await waiting
        except DeviceUnreachable:
            raise
        except Exception as error:
            if not timer.active():
                raise DeviceUnreachable(f"no answer within {self.timeout:g} s") from None
            raise DeviceUnreachable(str(error) or type(error).__name__) from None
        finally:
            if timer.active():
                timer.cancel()
