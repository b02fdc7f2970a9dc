"""Power devices on a Clock: requests, printing lock, Klippy shutdown and restart, job queue, services."""

from __future__ import annotations

from twisted.internet.defer import Deferred

from moontwist.api import Request
from moontwist.config import ConfigError

from tests.services.power.helpers import PowerTestCase

ONE = "[power printer]\ntype: memory\n"


class ApiTests(PowerTestCase):
    def test_devices_lists_each_device_as_moonraker_does(self) -> None:
        self.start(ONE + "locked_while_printing: True\n\n[power lights]\ntype: memory\n")
        self.assertEqual(self.call("machine.device_power.devices"), {"devices": [
            {"device": "printer", "status": "off", "locked_while_printing": True, "type": "memory"},
            {"device": "lights", "status": "off", "locked_while_printing": False, "type": "memory"},
        ]})

    def test_on_off_toggle_switch_and_announce(self) -> None:
        self.start(ONE)
        self.client.received.clear()
        self.assertEqual(self.call("machine.device_power.post_device", device="printer", action="on"), {"printer": "on"})
        self.assertEqual(self.call("machine.device_power.post_device", device="printer", action="TOGGLE"),
                         {"printer": "off"})
        self.assertEqual(self.call("machine.device_power.get_device", device="printer"), {"printer": "off"})
        self.assertEqual([info["status"] for info in self.notified()], ["on", "off"])
        self.assertEqual(self.device("printer").switches, ["on", "off"])

    def test_switching_to_the_current_state_does_nothing(self) -> None:
        self.start(ONE)
        self.client.received.clear()
        self.assertEqual(self.call("machine.device_power.post_device", device="printer", action="off"), {"printer": "off"})
        self.assertEqual((self.device("printer").switches, self.notified()), ([], []))

    def test_bad_requests_are_moonrakers_400s(self) -> None:
        self.start(ONE)
        cases = [
            ("machine.device_power.get_device", {"device": "nope"}, "No valid device named nope"),
            ("machine.device_power.post_device", {"device": "printer", "action": "blink"},
             "Invalid requested action 'blink'"),
            ("machine.device_power.post_device", {"device": "printer"}, "No data for argument: action"),
            ("machine.device_power.status", {}, "No arguments provided"),
            ("machine.device_power.on", {}, "No arguments provided"),
        ]
        for method, args, message in cases:
            error = self.call_fails(method, **args)
            self.assertEqual((error.status, error.message), (400, message))

    def test_batches_answer_for_each_name(self) -> None:
        self.start(ONE + "\n[power lights]\ntype: memory\n")
        self.assertEqual(self.call("machine.device_power.on", printer=None, lights=None, fan=None),
                         {"printer": "on", "lights": "on", "fan": "device_not_found"})
        self.assertEqual(self.call("machine.device_power.status", printer=None), {"printer": "on"})
        self.assertEqual(self.call("machine.device_power.off", lights=None), {"lights": "off"})

    def test_a_device_still_switching_does_not_delay_the_others_in_a_batch(self) -> None:
        self.start(ONE + "\n[power lights]\ntype: memory\n")
        self.device("printer").hold = Deferred()
        answer = self.ctx.registry.dispatch(Request("machine.device_power.on", {"printer": None, "lights": None}))
        self.assertNoResult(answer)
        self.assertTrue(self.device("lights").on)
        self.device("printer").hold.callback(None)
        self.assertEqual(self.successResultOf(answer), {"printer": "on", "lights": "on"})

    def test_a_status_change_found_by_a_refresh_is_announced(self) -> None:
        self.start(ONE)
        self.client.received.clear()
        self.device("printer").on = True
        self.assertEqual(self.call("machine.device_power.status", printer=None), {"printer": "on"})
        self.assertEqual([info["status"] for info in self.notified()], ["on"])


class OptionTests(PowerTestCase):
    def test_locked_while_printing_refuses_but_klippy_may_force(self) -> None:
        self.start(ONE + "locked_while_printing: True\n")
        self.klippy.accept()
        self.print_state("printing")
        error = self.call_fails("machine.device_power.post_device", device="printer", action="on")
        self.assertEqual(error.message, "Unable to change power for printer while printing")
        self.klippy.send({"method": "set_device_power", "params": {"device": "printer", "state": "on", "force": True}})
        self.assertEqual(self.device("printer").state, "on")
        self.print_state("paused")
        self.assertEqual(self.call("machine.device_power.post_device", device="printer", action="off"), {"printer": "off"})

    def test_set_device_power_from_klippy_accepts_moonrakers_states(self) -> None:
        self.start(ONE)
        self.klippy.accept()
        for state, expected in ((True, "on"), ("false", "off"), ("toggle", "on"), ("blink", "on"), ("OFF", "off")):
            self.klippy.send({"method": "set_device_power", "params": {"device": "printer", "state": state}})
            self.assertEqual(self.device("printer").state, expected, state)
        self.klippy.send({"method": "set_device_power", "params": {"device": "nope", "state": "on"}})

    def test_off_when_shutdown_after_the_delay_if_klippy_is_still_shut_down(self) -> None:
        self.start(ONE + "initial_state: on\noff_when_shutdown: True\noff_when_shutdown_delay: 10\n")
        self.assertEqual(self.device("printer").state, "on")
        self.klippy.accept()
        self.klippy.push({"webhooks": {"state": "shutdown", "state_message": "MCU shutdown"}})
        self.reactor.advance(9)
        self.assertEqual(self.device("printer").state, "on")
        self.reactor.advance(1)
        self.assertEqual(self.device("printer").state, "off")

    def test_off_when_shutdown_is_called_off_when_klippy_restarted_meanwhile(self) -> None:
        self.start(ONE + "initial_state: on\noff_when_shutdown: True\noff_when_shutdown_delay: 10\n")
        self.klippy.accept()
        self.klippy.push({"webhooks": {"state": "shutdown", "state_message": "MCU shutdown"}})
        self.klippy.lose()
        self.reactor.advance(10)
        self.assertEqual(self.device("printer").state, "on")

    def test_restart_klipper_when_powered_sends_firmware_restart_unless_ready(self) -> None:
        self.start(ONE + "restart_klipper_when_powered: True\nrestart_delay: 2\n")
        self.klippy.state = "error"
        self.klippy.objects["webhooks"]["state"] = "error"
        self.klippy.accept()
        self.call("machine.device_power.post_device", device="printer", action="on")
        self.reactor.advance(1.9)
        self.klippy.pump()
        self.assertEqual(self.klippy.requests("gcode/script"), [])
        self.reactor.advance(0.1)
        self.klippy.pump()
        self.assertEqual([r["params"]["script"] for r in self.klippy.requests("gcode/script")], ["FIRMWARE_RESTART"])

    def test_restart_klipper_when_powered_waits_for_klippy_and_skips_a_ready_one(self) -> None:
        self.start(ONE + "restart_klipper_when_powered: True\n")
        self.call("machine.device_power.post_device", device="printer", action="on")
        self.klippy.accept()
        self.reactor.advance(5)
        self.klippy.pump()
        self.assertEqual(self.klippy.requests("gcode/script"), [])

    def test_on_when_job_queued(self) -> None:
        self.start(ONE + "on_when_job_queued: True\n\n[power lights]\ntype: memory\n")
        self.ctx.events.emit("job_queue_changed", "jobs_added", [{"filename": "a.gcode"}])
        self.assertEqual((self.device("printer").state, self.device("lights").state), ("on", "off"))
        self.ctx.events.emit("job_queue_changed", "jobs_removed", [])
        self.assertEqual(self.device("printer").switches, ["on"])

    def test_bound_services_follow_the_device(self) -> None:
        self.start(ONE + "bound_services:\n  klipper.service\n  crowsnest\nbound_service: klipper\n")
        self.call("machine.device_power.post_device", device="printer", action="on")
        self.call("machine.device_power.post_device", device="printer", action="off")
        self.assertEqual(self.actions.calls, [("start", "klipper"), ("start", "crowsnest"),
                                              ("stop", "klipper"), ("stop", "crowsnest")])

    def test_initial_state_is_applied_when_the_device_is_first_reached(self) -> None:
        self.start(ONE + "initial_state: on\n")
        self.assertEqual(self.device("printer").switches, ["on"])
        self.assertEqual(self.notified()[-1]["status"], "on")

    def test_restrict_action_processing_off_runs_bound_services_on_a_found_change(self) -> None:
        self.start(ONE + "restrict_action_processing: False\nbound_services: crowsnest\n")
        self.device("printer").on = True
        self.call("machine.device_power.status", printer=None)
        self.assertEqual(self.actions.calls, [("start", "crowsnest")])

    def test_poll_interval_refreshes_and_announces_outside_changes(self) -> None:
        self.start(ONE + "poll_interval: 30\n")
        self.client.received.clear()
        self.device("printer").on = True
        self.reactor.advance(30)
        self.assertEqual([info["status"] for info in self.notified()], ["on"])

    def test_the_deprecated_upload_option_still_works(self) -> None:
        self.start(ONE + "on_when_upload_queued: True\n")
        self.assertTrue(self.device("printer").on_when_queued)


class ConfigTests(PowerTestCase):
    def test_an_mqtt_device_without_the_mqtt_component_is_left_out_with_a_warning(self) -> None:
        self.start(ONE + "\n[power led]\ntype: mqtt\ncommand_topic: led/set\ncommand_payload: {command}\n"
                   "state_topic: led/state\n")
        self.assertEqual(list(self.power.devices), ["printer"])
        self.assertIn("Failed to load power device [power led]\n[power led]: type 'mqtt' needs the [mqtt] "
                      "component; add an [mqtt] section", self.ctx.warnings)
        self.assertEqual([w for w in self.ctx.config.unread_warnings() if "led" in w], [])

    def test_an_unknown_type_is_a_config_error(self) -> None:
        error = self.assertRaises(ConfigError, self.start, "[power x]\ntype: toaster\n")
        self.assertEqual(str(error), "Unsupported Device Type: toaster")

    def test_a_device_with_a_bad_option_is_left_out_with_moonrakers_warning(self) -> None:
        self.start(ONE + "\n[power pin]\ntype: klipper_device\nobject_name: fan\n")
        self.assertEqual(list(self.power.devices), ["printer"])
        self.assertIn("Failed to load power device [power pin]\nKlipper object must be either 'output_pin' or "
                      "'gcode_macro' for option 'object_name' in section [power pin]", self.ctx.warnings)
