"""Buttons on the daemon: a simulated GPIO chip (tests/services/power/fake_gpiod.py) drives the input."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.services.power import fake_gpiod
from tests.services.power.fake_gpiod import SimulatedChip

BUTTON = """
[button lights]
pin: ^!gpio20
debounce_period: 0.01
on_press:
  {% set count = user_data.get('presses', 0) + 1 %}
  {% do user_data.update({'presses': count}) %}
  {% do call_method('server.database.post_item', namespace='buttons', key='presses', value=count) %}
  {% do send_notification({'presses': count}) %}
  {% do send_notification('only once') %}
on_release:
  {% do send_notification('released') %}
"""


class ButtonTests(TestCase):
    timeout = 30

    async def test_presses_run_the_templates_and_notify(self) -> None:
        chip = SimulatedChip()
        fake_gpiod.install(self, {"/dev/gpiochip0": chip})
        daemon = await start_daemon(self, BASE_CONFIG + BUTTON)
        self.assertEqual(chip.held, {20: "moonraker"})
        client = await connect_websocket(self, daemon.ws_url)
        for _ in range(2):
            pressed = client.next_notification("notify_button_event")
            chip.drive(20, 0)
            event = (await pressed)["params"][0]
            released = client.next_notification("notify_button_event")
            chip.drive(20, 1)
            await released
        self.assertEqual((event["name"], event["type"], event["event"]["pressed"], event["aux"]),
                         ("lights", "gpio", True, {"presses": 2}))
        events = [m["params"][0] for m in client.notifications if m["method"] == "notify_button_event"]
        self.assertEqual([e["aux"] for e in events], [{"presses": 1}, "released", {"presses": 2}, "released"])
        self.assertGreater(events[1]["event"]["elapsed_time"], 0.0)
        stored = await client.call("server.database.get_item", {"namespace": "buttons", "key": "presses"})
        self.assertEqual(stored["result"]["value"], 2)
        await daemon.service.stopService()
        self.assertEqual(chip.held, {})

    async def test_a_button_without_templates_or_with_a_bad_pin_is_a_warning(self) -> None:
        fake_gpiod.install(self, {"/dev/gpiochip0": SimulatedChip()})
        daemon = await start_daemon(self, BASE_CONFIG + "\n[button a]\npin: gpio1\n\n[button b]\npin: gpiochip3/gpio1\n"
                                    "on_press: {% do send_notification() %}\n")
        self.assertIn("Failed to load button [button a]\n[button a]: No template option configured",
                      daemon.ctx.warnings)
        self.assertIn("Failed to load button [button b]\nSection [button b], Option pin: cannot use line 1 of "
                      "/dev/gpiochip3: No such file or directory", daemon.ctx.warnings)
