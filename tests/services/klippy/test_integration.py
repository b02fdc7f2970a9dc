"""The Klippy service against the real simulator on a temporary Unix socket."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from moontwist.api import Request, Transport
from moontwist.errors import ApiError
from moontwist.services.klippy import KlippyService
from moontwist.simulator import SimulatedPrinter, SimulatorService
from tests.services.klippy.fakes import FakeConnection, make_context

WAIT = 10.0


def next_event(ctx: Any, name: str, matching: Any = None) -> "Deferred[tuple[Any, ...]]":
    """Fires with the arguments of the next ``name`` event (whose first argument is ``matching``)."""
    fired: Deferred[tuple[Any, ...]] = Deferred()

    def listener(*args: Any) -> None:
        if matching is None or (args and args[0] == matching):
            ctx.events.off(name, listener)
            fired.callback(args)

    ctx.events.on(name, listener)
    return fired.addTimeout(WAIT, reactor)


class SimulatorTestCase(TestCase):
    def setUp(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="mt-klippy-"))
        self.addCleanup(shutil.rmtree, self.directory, True)
        (self.directory / "gcodes").mkdir()
        self.socket = str(self.directory / "klippy.sock")
        self.simulator: SimulatorService | None = None

    async def start_simulator(self, **options: Any) -> None:
        printer = SimulatedPrinter(reactor, str(self.directory / "gcodes"), speed=options.pop("speed", 20.0), **options)
        self.simulator = SimulatorService(printer, self.socket)
        await self.simulator.startService()

    async def stop_simulator(self) -> None:
        if self.simulator is not None:
            simulator, self.simulator = self.simulator, None
            await simulator.stopService()

    async def start(self, wait_for: str = "klippy_ready", **options: Any) -> None:
        await self.start_simulator(**options)
        self.addCleanup(self.stop_simulator)
        self.ctx = make_context(reactor)
        self.service = KlippyService(self.ctx, self.socket)
        self.ctx.add_component("klippy", self.service)
        self.states: list[str] = []
        self.ctx.events.on("klippy_state_changed", self.states.append)
        started = next_event(self.ctx, wait_for)
        self.service.startService()
        self.addCleanup(self.service.stopService)
        await started
        self.a, self.b = FakeConnection(1), FakeConnection(2, Transport.UNIX)
        self.ctx.connections.add(self.a)
        self.ctx.connections.add(self.b)

    async def call(self, method: str, args: dict[str, Any] | None = None, connection: Any = None) -> Any:
        request = Request(method, args or {}, Transport.WEBSOCKET, connection or self.a)
        return await self.ctx.registry.dispatch(request).addTimeout(WAIT, reactor)

    async def failure(self, method: str, args: dict[str, Any] | None = None) -> ApiError:
        try:
            await self.call(method, args)
        except ApiError as error:
            return error
        raise AssertionError(f"{method} did not fail")


class LifecycleTests(SimulatorTestCase):
    async def test_connects_identifies_and_is_ready(self) -> None:
        await self.start()
        self.assertEqual((self.service.state, self.service.connected), ("ready", True))
        self.assertEqual(self.service.missing_requirements, [])
        info = await self.call("printer.info")
        self.assertEqual((info["state"], info["state_message"]), ("ready", "Printer is ready"))
        self.assertIn("virtual_sdcard", (await self.call("printer.objects.list"))["objects"])

    async def test_startup_then_ready(self) -> None:
        await self.start(wait_for="klippy_state_changed", initial_state="startup", startup_delay=0.6)
        self.assertEqual(self.service.state, "startup")
        await next_event(self.ctx, "klippy_ready")
        self.assertEqual(self.states, ["startup", "ready"])

    async def test_error_state(self) -> None:
        await self.start(wait_for="klippy_state_changed", initial_state="error")
        await next_event(self.ctx, "klippy_state_changed", "error")
        self.assertEqual(self.service.state, "error")
        info = await self.call("printer.info")
        self.assertEqual(info["state"], "error")
        self.assertIn("Unable to connect", info["state_message"])

    async def test_m112_shuts_down(self) -> None:
        await self.start()
        shutdown = self.a.next_notification("notify_klippy_shutdown")
        await self.call("printer.gcode.script", {"script": "M112"})
        await shutdown.addTimeout(WAIT, reactor)
        self.assertEqual(self.service.state, "shutdown")
        error = await self.failure("printer.gcode.script", {"script": "G28"})
        self.assertEqual(error.status, 400)
        self.assertIn("Printer is shutdown", error.message)

    async def test_emergency_stop(self) -> None:
        await self.start()
        shutdown = next_event(self.ctx, "klippy_shutdown")
        self.assertEqual(await self.call("printer.emergency_stop"), "ok")
        await shutdown
        self.assertEqual(self.service.state, "shutdown")

    async def test_firmware_restart_comes_back_ready(self) -> None:
        await self.start()
        await self.call("printer.gcode.script", {"script": "M112"})
        disconnected = next_event(self.ctx, "klippy_disconnected")
        ready = next_event(self.ctx, "klippy_ready")
        self.assertEqual(await self.call("printer.firmware_restart"), "ok")
        await disconnected
        await ready
        self.assertEqual(self.service.state, "ready")
        self.assertEqual(self.a.notifications("notify_klippy_disconnected"), [None])


class FailureTests(SimulatorTestCase):
    async def test_killed_mid_request_fails_pending_requests_quickly(self) -> None:
        await self.start(speed=1.0)
        dwell = self.ctx.registry.dispatch(Request("printer.gcode.script", {"script": "G4 P60000"}))
        errors: list[ApiError] = []
        dwell.addErrback(lambda failure: errors.append(failure.value))
        disconnected = next_event(self.ctx, "klippy_disconnected")
        await self.stop_simulator()
        await disconnected
        # Failed by the time the disconnect is known, not by the 60 s dwell or a timeout.
        self.assertEqual([(e.status, e.message) for e in errors], [(503, "Klippy Disconnected")])
        error = await self.failure("printer.info")
        self.assertEqual((error.status, error.message), (503, "Klippy Host not connected"))
        self.assertEqual(self.service.state, "disconnected")

    async def test_reconnects_after_the_simulator_restarts_and_subscriptions_come_back(self) -> None:
        await self.start()
        await self.call("printer.objects.subscribe", {"objects": {"gcode_move": ["speed_factor"]}})
        disconnected = next_event(self.ctx, "klippy_disconnected")
        await self.stop_simulator()
        await disconnected
        ready = next_event(self.ctx, "klippy_ready")
        await self.start_simulator()
        await ready
        update = self.a.next_notification("notify_status_update")
        await self.call("printer.gcode.script", {"script": "M220 S150"})
        status, _ = await update.addTimeout(WAIT, reactor)
        self.assertEqual(status, {"gcode_move": {"speed_factor": 1.5}})


class SubscriptionTests(SimulatorTestCase):
    async def test_two_connections_each_get_only_theirs(self) -> None:
        await self.start()
        answer = await self.call("printer.objects.subscribe", {"objects": {"gcode_move": ["speed_factor"]}})
        self.assertEqual(answer["status"], {"gcode_move": {"speed_factor": 1.0}})
        await self.call("printer.objects.subscribe", {"objects": {"extruder": ["target"]}}, self.b)
        a_update = self.a.next_notification("notify_status_update")
        b_update = self.b.next_notification("notify_status_update")
        await self.call("printer.gcode.script", {"script": "M220 S120\nM104 S40"})
        await a_update.addTimeout(WAIT, reactor)
        await b_update.addTimeout(WAIT, reactor)
        for status, _ in self.a.notifications("notify_status_update"):
            self.assertEqual(list(status), ["gcode_move"])
            self.assertEqual(list(status["gcode_move"]), ["speed_factor"])
        for status, _ in self.b.notifications("notify_status_update"):
            self.assertEqual(status, {"extruder": {"target": 40.0}})

    async def test_gcode_output_reaches_clients_and_the_store(self) -> None:
        await self.start()
        response = self.a.next_notification("notify_gcode_response")
        await self.call("printer.gcode.script", {"script": "M118 hello"})
        self.assertEqual(await response.addTimeout(WAIT, reactor), ["echo: hello"])
        store = (await self.call("server.gcode_store", {"count": 2}))["gcode_store"]
        self.assertEqual([(e["message"], e["type"]) for e in store],
                         [("M118 hello", "command"), ("echo: hello", "response")])

    async def test_remote_method_called_from_a_macro(self) -> None:
        beeped: Deferred[dict[str, Any]] = Deferred()
        await self.start()
        self.service.register_remote_method("paneldue_beep", lambda **params: beeped.callback(params))
        await self.call("printer.gcode.script", {"script": "BEEP"})
        self.assertEqual(await beeped.addTimeout(WAIT, reactor), {"frequency": 300, "duration": 1.0})

    async def test_temperature_store_tracks_the_sensors(self) -> None:
        await self.start()
        await self.service.temperature_store.track_sensors()
        self.service.temperature_store.sample()
        store = await self.call("server.temperature_store")
        self.assertEqual(set(store), {"extruder", "heater_bed", "temperature_sensor raspberry_pi"})
        self.assertEqual(set(store["extruder"]), {"temperatures", "targets", "powers"})
