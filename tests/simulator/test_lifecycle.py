"""Klippy states over time: startup, ready, error, shutdown, restarts."""

from __future__ import annotations

from twisted.internet.defer import Deferred

from moontwist.simulator.host import MESSAGE_MCU_CONNECT_ERROR, MESSAGE_SHUTDOWN, MESSAGE_STARTUP
from moontwist.simulator.printer import RESTART_DOWNTIME

from .support import FakeClient, SimulatorTestCase


class ShutdownAndFirmwareRestartTests(SimulatorTestCase):
    def test_m112_shuts_down_until_a_firmware_restart_brings_it_back_ready(self) -> None:
        subscriber = self.connect()
        self.subscribe({"webhooks": None}, subscriber)
        subscriber.pushes("st")
        self.script_ok("M112")
        self.assertEqual(self.client.output(), ["// Klipper state: Shutdown"])
        self.clock.advance(0.25)
        self.assertEqual(subscriber.pushes("st")[0]["status"]["webhooks"], {
            "state": "shutdown", "state_message": "Shutdown due to M112 command" + MESSAGE_SHUTDOWN})
        request_id = self.run_script("FIRMWARE_RESTART")
        self.assertEqual(self.client.result(request_id), {})
        self.assertFalse(self.client.closed)
        self.clock.advance(0.04)
        self.assertEqual(self.client.output(), ["// Klipper state: Disconnect"])
        self.assertTrue(self.client.closed)
        self.assertTrue(subscriber.closed)
        self.assertEqual(self.printer.state, "disconnected")
        self.clock.advance(RESTART_DOWNTIME)
        self.assertEqual(self.printer.state, "ready")
        fresh = self.connect()
        self.assertEqual(fresh.result(fresh.request("info"))["state"], "ready")

    def test_a_shutdown_stops_the_heaters(self) -> None:
        self.script_ok("M104 S200")
        self.advance(5.0)
        self.script_ok("M112")
        self.assertEqual(self.query({"extruder": ["power"]})["extruder"]["power"], 0.0)

    def test_a_shutdown_pauses_a_running_print(self) -> None:
        self.write_gcode("p.gcode", "G4 P1000\n" * 20)
        self.script_ok("SDCARD_PRINT_FILE FILENAME=p.gcode")
        self.advance(2.0)
        self.client.result(self.client.request("emergency_stop"))
        self.advance(2.0)
        self.assertEqual(self.query({"print_stats": ["state"]})["print_stats"]["state"], "paused")


class RestartTests(SimulatorTestCase):
    def test_restart_answers_then_says_disconnect_then_closes_every_client(self) -> None:
        other = self.connect(subscribe_output=False)
        request_id = self.client.request("gcode/restart")
        self.advance(0.5)
        self.assertEqual(self.client.messages(), [
            {"id": request_id, "result": {}},
            {"method": "out", "params": {"response": "// Klipper state: Disconnect"}},
        ])
        self.assertTrue(self.client.closed)
        self.assertTrue(other.closed)

    def test_new_connections_are_refused_while_the_host_restarts(self) -> None:
        self.run_script("RESTART")
        self.advance(0.75)
        self.assertEqual(self.printer.state, "disconnected")
        self.assertIsNone(self.printer.factory().buildProtocol(None))
        self.advance(RESTART_DOWNTIME)
        self.assertIsNotNone(self.printer.factory().buildProtocol(None))

    def test_restart_resets_host_state_but_not_the_hot_metal(self) -> None:
        self.script_ok("M104 S200\nG91")
        self.advance(20.0)
        hot = self.query({"extruder": ["temperature"]})["extruder"]["temperature"]
        self.run_script("RESTART")
        self.advance(0.5 + RESTART_DOWNTIME)
        client = self.connect()
        status = self.query({"extruder": ["temperature", "target"], "gcode_move": ["absolute_coordinates"]}, client)
        self.assertEqual(status["extruder"]["target"], 0.0)
        self.assertGreater(status["extruder"]["temperature"], hot - 5.0)
        self.assertIs(status["gcode_move"]["absolute_coordinates"], True)

    def test_subscriptions_and_remote_methods_do_not_survive_a_restart(self) -> None:
        self.client.result(self.client.request("register_remote_method", remote_method="paneldue_beep",
                                               response_template={"method": "paneldue_beep"}))
        self.subscribe({"webhooks": None})
        self.run_script("RESTART")
        self.advance(0.5 + RESTART_DOWNTIME)
        host = self.printer.host
        self.assertEqual(host.webhooks.remote_methods, {})
        self.assertEqual(host.status.subscriptions, {})

    def test_stop_closes_clients_and_cancels_every_timer(self) -> None:
        self.run_script("M109 S200")
        self.printer.stop()
        self.assertTrue(self.client.closed)
        self.assertEqual(self.clock.getDelayedCalls(), [])


class StartupStateTests(SimulatorTestCase):
    initial_state = "startup"

    def test_startup_serves_only_early_endpoints_and_objects(self) -> None:
        info = self.client.result(self.client.request("info"))
        self.assertEqual((info["state"], info["state_message"]), ("startup", MESSAGE_STARTUP))
        self.assertEqual(self.client.result(self.client.request("objects/list")), {"objects": ["gcode", "webhooks"]})
        self.assertEqual(self.client.error(self.client.request("pause_resume/pause")),
                         "webhooks: No registered callback for path 'pause_resume/pause'")

    def test_gcode_before_ready_fails_with_the_state_message_except_the_early_commands(self) -> None:
        self.assertEqual(self.client.error(self.run_script("G28")), MESSAGE_STARTUP)
        self.assertEqual(self.client.error(self.run_script("STATUS")),
                         MESSAGE_STARTUP.rstrip() + "\nKlipper state: Not ready")
        self.client.messages()
        self.script_ok("M105\nM115")
        self.assertEqual(self.client.output(), ["// FIRMWARE_NAME:Klipper FIRMWARE_VERSION:v0.13.0-sim"])

    def test_startup_turns_ready_after_the_startup_delay(self) -> None:
        self.clock.advance(self.printer.startup_delay)
        self.assertEqual(self.client.output(), ["// Klipper state: Ready"])
        self.assertEqual(self.client.result(self.client.request("info"))["state"], "ready")
        self.assertIn("pause_resume/pause", self.client.result(self.client.request("list_endpoints"))["endpoints"])


class ErrorStateTests(SimulatorTestCase):
    initial_state = "error"

    def test_error_state_reports_the_mcu_connect_error(self) -> None:
        info = self.client.result(self.client.request("info"))
        self.assertEqual((info["state"], info["state_message"]), ("error", MESSAGE_MCU_CONNECT_ERROR))
        self.assertEqual(self.client.error(self.run_script("M104 S200")), MESSAGE_MCU_CONNECT_ERROR)

    def test_a_firmware_restart_request_recovers_from_the_error_state(self) -> None:
        self.assertEqual(self.client.result(self.client.request("gcode/firmware_restart")), {})
        self.advance(0.25 + RESTART_DOWNTIME)
        client = FakeClient(self.printer)
        self.assertEqual(client.result(client.request("info"))["state"], "ready")


class StopDuringRestartTests(SimulatorTestCase):
    def test_stopping_while_the_socket_closes_for_a_restart_does_not_come_back(self) -> None:
        closing: Deferred[None] = Deferred()

        class ClosingPort:
            def stopListening(self) -> Deferred[None]:
                return closing

        self.printer.port = ClosingPort()  # type: ignore[assignment]
        self.run_script("FIRMWARE_RESTART")
        self.advance(1.0)
        self.assertEqual(self.printer.state, "disconnected")
        self.printer.stop()
        closing.callback(None)
        self.advance(RESTART_DOWNTIME + 1.0)
        self.assertIsNone(self.printer.host)
        self.assertEqual(self.clock.getDelayedCalls(), [])
