"""What real clients do with the printer API, on the real daemon (clients.md).

Mainsail's connect and restart sequence, Home Assistant's poll, the bridge
socket's frames and closes, and the daemon against the simulator run
standalone (``python -m moontwist.simulator``) as a separate Klippy process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from moontwist.simulator import SimulatedPrinter, SimulatorService
from moontwist.simulator.examples import example_config
from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, short_temp_dir, start_daemon
from tests.integration.process import REPO, wait_for
from tests.integration.test_printer import connect_bridge, klippy_ready, latest, start_simulated


async def until(poll: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], attempts: int = 200) -> Any:
    """Poll (every 50 ms) until ``done(answer)``; the answer."""
    for _ in range(attempts):
        answer = await poll()
        if done(answer):
            return answer
        await deferLater(reactor, 0.05, lambda: None)
    raise TimeoutError("condition not reached")


async def start_with_external_klippy(test: TestCase,
                                     printer_cfg: str | None = None) -> tuple[RunningDaemon, SimulatorService]:
    """A simulator served apart from the daemon (with the example printer.cfg
    unless given one), and the daemon (no --simulate) pointed at it."""
    folder = short_temp_dir(test)
    (folder / "gcodes").mkdir()
    config_path = folder / "printer.cfg"
    if printer_cfg is not None:
        config_path.write_text(printer_cfg)
    socket_path = str(folder / "klippy.sock")
    simulator = SimulatorService(SimulatedPrinter(reactor, str(folder / "gcodes"), 20.0,
                                                  config_path=str(config_path)), socket_path)
    await simulator.startService()
    test.addCleanup(simulator.stopService)
    daemon = await start_daemon(test, BASE_CONFIG + f"klippy_uds_address: {socket_path}\n")
    await klippy_ready(daemon)
    return daemon, simulator


def status_updates(client: Any) -> list[Any]:
    return [message["params"] for message in client.notifications if message["method"] == "notify_status_update"]


class MainsailTests(TestCase):
    timeout = 60

    async def test_connect_sequence_then_console_restart_and_subscribe_again(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("server.connection.identify",
                          {"client_name": "mainsail", "version": "2.18.0", "type": "web", "url": "http://x"})
        store = await until(lambda: client.call("server.temperature_store", {"include_monitors": False}),
                            lambda reply: all(reply["result"].get(name, {}).get("temperatures")
                                              for name in ("extruder", "heater_bed")))
        self.assertEqual({name: sorted(fields) for name, fields in store["result"].items()},
                         {"extruder": ["powers", "targets", "temperatures"],
                          "heater_bed": ["powers", "targets", "temperatures"],
                          "temperature_sensor raspberry_pi": ["temperatures"]})
        self.assertIsInstance(store["result"]["extruder"]["temperatures"][-1], float)
        self.assertEqual((await client.call("printer.info"))["result"]["state"], "ready")
        # Mainsail sends printer.objects.list with no "params" member at all.
        objects = (await client.call("printer.objects.list"))["result"]["objects"]
        commands = await client.call("printer.objects.query", {"objects": {"gcode": ["commands"]}})
        self.assertIn("G28", commands["result"]["status"]["gcode"]["commands"])
        can_extrude = await client.call("printer.objects.query", {"objects": {"extruder": ["can_extrude"]}})
        self.assertEqual(can_extrude["result"]["status"], {"extruder": {"can_extrude": False}})
        everything = {name: None for name in objects}
        subscribed = await client.call("printer.objects.subscribe", {"objects": everything})
        self.assertEqual(set(subscribed["result"]["status"]), set(objects))
        self.assertIn("homed_axes", subscribed["result"]["status"]["toolhead"])
        endstops = await client.call("printer.query_endstops.status")
        self.assertEqual(set(endstops["result"]), {"stepper_x", "stepper_y", "stepper_z"})

        disconnected = client.next_notification("notify_klippy_disconnected")
        ready = client.next_notification("notify_klippy_ready")
        restart = await client.call("printer.gcode.script", {"script": "RESTART"})
        self.assertEqual(restart["result"], "ok")
        await disconnected
        await ready
        again = await client.call("printer.objects.subscribe", {"objects": everything})
        self.assertEqual(set(again["result"]["status"]), set(objects))
        await client.call("printer.gcode.script", {"script": "M104 S60"})
        await wait_for(lambda: latest(client, "extruder", "target") == 60.0)
        for params in status_updates(client):
            status, eventtime = params
            self.assertIsInstance(status, dict)
            self.assertIsInstance(eventtime, float)

    async def test_subscription_comes_back_after_a_restart_without_subscribing_again(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.objects.subscribe", {"objects": {"gcode_move": ["speed_factor"]}})
        ready = client.next_notification("notify_klippy_ready")
        self.assertEqual((await client.call("printer.restart"))["result"], "ok")
        await ready
        await client.call("printer.gcode.script", {"script": "M220 S150"})
        await wait_for(lambda: latest(client, "gcode_move", "speed_factor") == 1.5)


class SubscriptionTransportTests(TestCase):
    timeout = 60

    async def test_unix_socket_and_http_for_a_websocket_subscribe_per_connection_and_empty_cancels(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        web = await connect_websocket(self, daemon.ws_url)
        identified = await web.call("server.connection.identify",
                                    {"client_name": "test", "version": "1", "type": "web", "url": "x"})
        connection_id = identified["result"]["connection_id"]
        unix = await connect_unix(self, daemon.unix_path)
        await unix.call("printer.objects.subscribe", {"objects": {"heater_bed": ["target"]}})
        response = await http_client(self).post(
            daemon.http_url + f"/printer/objects/subscribe?connection_id={connection_id}&extruder=target")
        self.assertEqual((await response.json())["result"]["status"], {"extruder": {"target": 0.0}})

        await unix.call("printer.gcode.script", {"script": "M104 S50\nM140 S40"})
        await wait_for(lambda: latest(web, "extruder", "target") == 50.0
                       and latest(unix, "heater_bed", "target") == 40.0)
        self.assertEqual({name for status, _ in status_updates(web) for name in status}, {"extruder"})
        self.assertEqual({name for status, _ in status_updates(unix) for name in status}, {"heater_bed"})

        cancelled = await web.call("printer.objects.subscribe", {"objects": {}})
        self.assertEqual(cancelled["result"]["status"], {})
        await unix.call("printer.gcode.script", {"script": "M104 S70\nM140 S45"})
        await wait_for(lambda: latest(unix, "heater_bed", "target") == 45.0)
        # Both were sent from one update; a reply on the websocket now comes after anything sent before it.
        await web.call("server.info")
        self.assertEqual(latest(web, "extruder", "target"), 50.0)


class HomeAssistantTests(TestCase):
    timeout = 60

    async def test_poll_naming_objects_that_do_not_exist_is_never_an_error(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)  # no identify, as the integration does
        info = (await client.call("printer.info"))["result"]
        self.assertEqual(info["state"], "ready")
        self.assertIn("hostname", info)
        self.assertIn("print_stats", (await client.call("printer.objects.list"))["result"]["objects"])
        self.assertIn("RESTART", (await client.call("printer.gcode.help"))["result"])
        poll = await client.call("printer.objects.query", {"objects": {
            "q": ["u"], "status": ["update_available"], "print_stats": ["state"]}})
        self.assertEqual(poll["result"]["status"], {"q": {"u": None}, "status": {"update_available": None},
                                                    "print_stats": {"state": "standby"}})
        response = await http_client(self).get(daemon.http_url + "/printer/objects/query?q=u&print_stats=state")
        self.assertEqual(response.code, 200)
        self.assertEqual((await response.json())["result"]["status"]["q"], {"u": None})


class BridgePassthroughTests(TestCase):
    timeout = 60

    async def test_text_frames_pass_too(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        bridge = await connect_bridge(self, daemon)
        reply = bridge.next_message()
        bridge.sendMessage(b'{"id": "a", "method": "objects/list"}', isBinary=False)
        payload = await reply
        self.assertTrue(payload.startswith(b'{"id":"a","result":{"objects":['), payload[:60])

    async def test_each_bridge_is_a_klippy_connection_of_its_own(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        listening, other = await connect_bridge(self, daemon), await connect_bridge(self, daemon)
        subscribed = listening.next_message()
        listening.sendMessage(b'{"id": 1, "method": "gcode/subscribe_output", '
                              b'"params": {"response_template": {"method": "out"}}}')
        self.assertEqual(await subscribed, b'{"id":1,"result":{}}')
        output, answered = listening.next_message(), other.next_message()
        other.sendMessage(b'{"id": 2, "method": "gcode/script", "params": {"script": "M118 hi"}}')
        self.assertEqual(await answered, b'{"id":2,"result":{}}')
        self.assertEqual(await output, b'{"method":"out","params":{"response":"echo: hi"}}')
        # Anything Klippy sent the other connection before this answer has arrived by now.
        answered = other.next_message()
        other.sendMessage(b'{"id": 3, "method": "info"}')
        await answered
        self.assertEqual([message for message in other.messages if b'"method"' in message], [])

    async def test_bridge_closes_when_klippy_shuts_down(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        bridge = await connect_bridge(self, daemon)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.gcode.script", {"script": "M112"})
        self.assertEqual(await bridge.closed, 1000)

    async def test_bridge_closes_when_moontwist_stops_while_klippy_stays(self) -> None:
        daemon, simulator = await start_with_external_klippy(self)
        bridge = await connect_bridge(self, daemon)
        await daemon.service.stopService()
        self.assertEqual(await bridge.closed, 1000)
        self.assertEqual(simulator.printer.state, "ready")


class RequirementTests(TestCase):
    timeout = 60

    async def test_missing_objects_are_in_server_info_and_klippy_is_still_ready(self) -> None:
        # Without [pause_resume], and without the example's macros that rename its commands.
        example = example_config("/tmp")
        printer_cfg = example[:example.index("[gcode_macro PAUSE]")] + example[example.index("[gcode_macro START_PRINT]"):]
        printer_cfg = printer_cfg.replace("[pause_resume]\n", "").replace("[display_status]\n", "")
        daemon, _ = await start_with_external_klippy(self, printer_cfg)
        response = await http_client(self).get(daemon.http_url + "/server/info")
        info = (await response.json())["result"]
        self.assertEqual(info["klippy_state"], "ready")
        self.assertEqual(sorted(info["missing_klippy_requirements"]), ["display_status", "pause_resume"])


class SimulatorProcess(ProcessProtocol):
    """``python -m moontwist.simulator`` as its own process; ``listening`` fires once it serves."""

    def __init__(self) -> None:
        self.output = b""
        self.listening: Deferred[None] = Deferred()
        self.ended: Deferred[Any] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.output += data
        if not self.listening.called and b"Klippy simulator listening on" in self.output:
            self.listening.callback(None)

    errReceived = outReceived

    def processEnded(self, reason: Any) -> None:
        if not self.listening.called:
            self.listening.errback(RuntimeError(self.output.decode(errors="replace")))
        self.ended.callback(reason.value)

    async def stop(self, signal: str = "TERM") -> None:
        if not self.ended.called:
            self.transport.signalProcess(signal)
            await self.ended


def spawn_simulator(test: TestCase, socket_path: Path, gcodes: Path) -> SimulatorProcess:
    process = SimulatorProcess()
    argv = [sys.executable, "-m", "moontwist.simulator", "--socket", str(socket_path),
            "--gcodes", str(gcodes), "--speed", "10"]
    reactor.spawnProcess(process, argv[0], argv, env={**os.environ, "PYTHONPATH": str(REPO)}, path=str(gcodes.parent))
    test.addCleanup(process.stop)
    return process


class StandaloneSimulatorTests(TestCase):
    timeout = 90

    async def test_daemon_waits_for_klippy_survives_a_kill_mid_request_and_resubscribes(self) -> None:
        folder = short_temp_dir(self)
        socket_path, gcodes = folder / "klippy.sock", folder / "gcodes"
        daemon = await start_daemon(self, BASE_CONFIG + f"klippy_uds_address: {socket_path}\n")
        client = await connect_websocket(self, daemon.ws_url)
        info = (await client.call("server.info"))["result"]
        self.assertEqual((info["klippy_connected"], info["klippy_state"]), (False, "disconnected"))
        away = await client.call("printer.info")
        self.assertEqual(away["error"], {"code": 503, "message": "Klippy Host not connected"})

        ready = client.next_notification("notify_klippy_ready")
        simulator = spawn_simulator(self, socket_path, gcodes)
        await simulator.listening
        await ready
        await client.call("printer.objects.subscribe", {"objects": {"gcode_move": ["speed_factor"]}})

        # A 600 s dwell (60 s at --speed 10) is pending in Klippy when Klippy is killed.
        dwell = client.call("printer.gcode.script", {"script": "G4 P600000"})
        await until(lambda: client.call("server.gcode_store", {"count": 1}),
                    lambda reply: reply["result"]["gcode_store"][-1]["message"] == "G4 P600000")
        disconnected = client.next_notification("notify_klippy_disconnected")
        await simulator.stop("KILL")
        self.assertEqual((await dwell)["error"], {"code": 503, "message": "Klippy Disconnected"})
        await disconnected
        self.assertEqual((await client.call("printer.info"))["error"]["code"], 503)

        ready = client.next_notification("notify_klippy_ready")
        await spawn_simulator(self, socket_path, gcodes).listening
        await ready
        await client.call("printer.gcode.script", {"script": "M220 S150"})
        await wait_for(lambda: latest(client, "gcode_move", "speed_factor") == 1.5)
