"""klipper_device: an output_pin switched with SET_PIN through a scripted Klippy, on a Clock."""

from __future__ import annotations

from typing import Any

from moontwist.api import Request
from tests.services.power.helpers import PowerTestCase

PIN = "[power relay]\ntype: klipper_device\nobject_name: output_pin relay\n"


class KlipperDeviceTests(PowerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.klippy.objects["output_pin relay"] = {"value": 0.0}
        self.klippy.handlers["gcode/script"] = self._script
        self.scripts: list[str] = []
        self.answer_pins = True

    def _script(self, params: dict[str, Any]) -> dict[str, Any]:
        script = params["script"]
        self.scripts.append(script)
        words = dict(word.split("=", 1) for word in script.split()[1:] if "=" in word)
        if self.answer_pins and script.startswith("SET_PIN") and words.get("PIN") == "relay":
            self.klippy.push({"output_pin relay": {"value": float(words["VALUE"])}})
        return {}

    def test_state_follows_the_pin_and_switching_runs_set_pin(self) -> None:
        self.start(PIN)
        self.assertEqual(self.device("relay").state, "init")
        self.klippy.accept()
        self.assertEqual(self.device("relay").state, "off")
        answer = self.switch("relay", "on")
        self.assertEqual((answer, self.scripts), ({"relay": "on"}, ["SET_PIN PIN=relay VALUE=1"]))
        info = self.call("machine.device_power.devices")["devices"][0]
        self.assertEqual((info["type"], info["status"], info["is_shutdown"]), ("klipper_device", "on", False))

    def test_a_change_made_in_klipper_is_announced(self) -> None:
        self.start(PIN)
        self.klippy.accept()
        self.client.received.clear()
        self.klippy.push({"output_pin relay": {"value": 1.0}})
        self.assertEqual([info["status"] for info in self.notified()], ["on"])

    def test_no_update_within_a_second_is_an_error(self) -> None:
        self.start(PIN)
        self.klippy.accept()
        self.answer_pins = False
        answer = self.ctx.registry.dispatch(Request("machine.device_power.post_device",
                                                    {"device": "relay", "action": "on"}))
        self.klippy.pump()
        self.assertNoResult(answer)
        self.reactor.advance(1)
        error = self.failureResultOf(answer).value
        self.assertEqual(error.message, "Power device relay: Timeout waiting for device state update")
        self.assertEqual(self.device("relay").state, "error")

    def test_while_klipper_is_shut_down_the_device_refuses(self) -> None:
        self.start(PIN)
        self.klippy.accept()
        self.klippy.push({"webhooks": {"state": "shutdown", "state_message": "MCU shutdown"}})
        self.assertEqual(self.device("relay").state, "error")
        error = self.call_fails("machine.device_power.post_device", device="relay", action="on")
        self.assertEqual(error.message, "Power Device relay: Cannot set power for device when Klipper is shutdown")
        self.klippy.lose()
        self.assertEqual((self.device("relay").state, self.device("relay").is_shutdown), ("init", False))

    def test_a_gcode_macro_is_called_with_value_and_the_timer_switches_off(self) -> None:
        self.klippy.objects["gcode_macro LIGHTS"] = {"value": 0}

        def macro(params: dict[str, Any]) -> dict[str, Any]:
            self.scripts.append(params["script"])
            self.klippy.push({"gcode_macro LIGHTS": {"value": int(params["script"].split("=")[1])}})
            return {}

        self.klippy.handlers["gcode/script"] = macro
        self.start("[power lights]\ntype: klipper_device\nobject_name: gcode_macro LIGHTS\ntimer: 60\n")
        self.klippy.accept()
        self.switch("lights", "on")
        self.reactor.advance(60)
        self.klippy.pump()
        self.assertEqual(self.scripts, ["LIGHTS VALUE=1", "LIGHTS VALUE=0"])
        self.assertEqual(self.device("lights").state, "off")

    def test_an_object_without_a_value_is_an_error(self) -> None:
        self.start("[power x]\ntype: klipper_device\nobject_name: output_pin missing\n")
        self.klippy.accept()
        self.assertEqual(self.device("x").state, "error")

    def test_options_klipper_devices_cannot_have_are_refused(self) -> None:
        self.start(PIN + "off_when_shutdown: True\n")
        self.assertEqual(self.power.devices, {})
        self.assertIn("Failed to load power device [power relay]\nOption 'off_when_shutdown' in section "
                      "[power relay] is unsupported for 'klipper_device'", self.ctx.warnings)

    def switch(self, device: str, action: str) -> Any:
        answer = self.ctx.registry.dispatch(Request("machine.device_power.post_device",
                                                    {"device": device, "action": action}))
        self.klippy.pump()
        return self.successResultOf(answer)
