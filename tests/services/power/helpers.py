"""Power unit fixtures: the real power service, a scripted Klippy, a config file, and a
switch kept in memory standing for the hardware of a device type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request, endpoint
from moontwist.config import load_config
from moontwist.errors import ApiError
from moontwist.services.jobs import JobStateService
from moontwist.services.power import PowerService
from moontwist.services.power.device import PowerDevice
from moontwist.services.power.types import DEVICE_TYPES
from tests.services.klippy.fakes import FakeConnection, FakeKlippy, start_service


class MemorySwitch(PowerDevice):
    """A device whose hardware is a flag; ``hold`` makes switching wait for ``release``."""

    def __init__(self, name: str, section: Any, power: Any) -> None:
        super().__init__(name, section, power)
        self.on = False
        self.switches: list[str] = []
        self.hold: Deferred[None] | None = None

    async def initialise(self) -> None:
        async with self.lock:
            self.state = "on" if self.on else "off"
            await self.set_initial_state()
            self.notify_power_changed()
        self.start_polling()

    async def refresh_status(self) -> None:
        self.state = "on" if self.on else "off"

    async def set_power(self, state: str) -> None:
        self.switches.append(state)
        if self.hold is not None:
            await self.hold
        self.on = state == "on"
        self.state = state


class ServiceActions:
    """``machine.services.start/stop`` as the machine component serves them, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @endpoint("machine.services.start")
    def start(self, request: Request) -> str:
        self.calls.append(("start", request.get_str("service")))
        return "ok"

    @endpoint("machine.services.stop")
    def stop(self, request: Request) -> str:
        self.calls.append(("stop", request.get_str("service")))
        return "ok"


class PowerTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.reactor.advance(1_000_000)
        self.klippy = FakeKlippy(self.reactor)
        self.ctx, self.klippy_service = start_service(self.reactor)
        self.client = FakeConnection(1)
        self.ctx.connections.add(self.client)
        self.job_state = JobStateService(self.ctx)
        self.ctx.add_component("job_state", self.job_state)
        self.job_state.startService()
        self.actions = ServiceActions()
        self.ctx.registry.register(self.actions)

    def start(self, config: str) -> PowerService:
        folder = Path(self.mktemp())
        folder.mkdir()
        (folder / "moonraker.conf").write_text("[server]\n" + config)
        self.ctx.config = load_config(folder / "moonraker.conf", folder)
        self.power = PowerService(self.ctx, {**DEVICE_TYPES, "memory": MemorySwitch})
        self.ctx.add_component("power", self.power)
        self.power.startService()
        self.addCleanup(self.power.stopService)
        return self.power

    def device(self, name: str) -> Any:
        return self.power.devices[name]

    def call(self, method: str, **args: Any) -> Any:
        return self.successResultOf(self.ctx.registry.dispatch(Request(method, args)))

    def call_fails(self, method: str, **args: Any) -> ApiError:
        return self.failureResultOf(self.ctx.registry.dispatch(Request(method, args)), ApiError).value

    def notified(self) -> list[Any]:
        return [params[0] for params in self.client.notifications("notify_power_changed")]

    def print_state(self, state: str) -> None:
        self.klippy.push({"print_stats": {"state": state}})
