"""Buttons on a fake GPIO chip line (no gpio-sim here: no configfs, no kernel modules).

``FakeLine`` is the ``EdgeLine`` interface over a list of pending edges; the
reactor's part, noticing the line's descriptor is readable, is simulated by
calling ``doRead`` as the reactor would. Time is a MemoryReactorClock.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request, endpoint
from moontwist.services.button import ButtonService
from moontwist.services.button.pins import InputPin, parse_input_pin
from tests.services.helpers_context import context_for

CONFIG = """
[button estop]
pin: ^!gpiochip1/gpio26
minimum_event_time: 0.2
on_press:
  {% do call_method("printer.gcode.script", script="M112") %}
  {% do user_data.update({"presses": user_data.get("presses", 0) + 1}) %}
  { send_notification(user_data.presses) }
on_release:
  { send_notification("released") }{ send_notification("twice is once") }
"""


class FakeLine:
    def __init__(self, pin: InputPin) -> None:
        self.pin = pin
        self.edges: list[int] = []
        self.closed = False

    def fileno(self) -> int:
        return 99

    def value(self) -> int:
        return 0

    def read_edges(self) -> list[int]:
        edges, self.edges = self.edges, []
        return edges

    def close(self) -> None:
        self.closed = True


class Printer:
    def __init__(self) -> None:
        self.scripts: list[str] = []

    @endpoint("printer.gcode.script", "POST /printer/gcode/script")
    def script(self, request: Request) -> str:
        self.scripts.append(request.get_str("script"))
        return "ok"


class ButtonTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.ctx = context_for(self, CONFIG)
        self.ctx.reactor = self.clock = MemoryReactorClock()
        self.printer = Printer()
        self.ctx.registry.register(self.printer)
        self.lines: list[FakeLine] = []

        def open_line(pin: InputPin) -> FakeLine:
            self.lines.append(FakeLine(pin))
            return self.lines[-1]

        self.service = ButtonService(self.ctx, open_line)
        self.service.startService()
        self.button = self.service.buttons["estop"]

    def edges(self, *edges: int) -> None:
        self.lines[0].edges.extend(edges)
        self.button.doRead()

    def events(self) -> list[Any]:
        return [params[0] for method, params in self.ctx.sent if method == "notify_button_event"]

    def test_pin_options_reach_the_line(self) -> None:
        self.assertEqual(self.lines[0].pin, parse_input_pin("^!gpiochip1/gpio26"))
        self.assertEqual((self.lines[0].pin.bias, self.lines[0].pin.inverted), ("pull_up", True))
        self.assertIn(self.button, self.clock.readers)

    def test_press_after_debounce_runs_on_press_with_call_method_and_user_data(self) -> None:
        self.clock.advance(1.0)
        self.edges(1)
        self.assertEqual(self.printer.scripts, [])
        self.clock.advance(0.05)
        self.assertEqual(self.printer.scripts, ["M112"])
        [event] = self.events()
        self.assertEqual(event, {"name": "estop", "type": "gpio", "aux": 1, "event": {
            "elapsed_time": 1.05, "received_time": 1.05, "render_time": 1.05, "pressed": True}})
        self.clock.advance(1.0)
        self.edges(0)
        self.clock.advance(0.05)
        self.assertEqual(self.events()[1]["aux"], "released")
        self.assertEqual(len(self.events()), 2, "send_notification sends once per template run")
        self.assertEqual(self.events()[1]["event"]["pressed"], False)

    def test_bounces_within_the_period_count_once_and_short_events_are_ignored(self) -> None:
        self.clock.advance(1.0)
        self.edges(1, 0, 1)
        self.clock.advance(0.05)
        self.assertEqual(self.printer.scripts, ["M112"])
        self.edges(0)
        self.clock.advance(0.05)
        self.assertEqual(len(self.events()), 1, "released 0.05 s after the press: under minimum_event_time")

    def test_an_edge_that_returns_to_the_old_value_is_no_event(self) -> None:
        self.clock.advance(1.0)
        self.edges(1, 0)
        self.clock.advance(0.05)
        self.assertEqual(self.events(), [])

    def test_too_many_bounces_disable_the_button_with_a_warning(self) -> None:
        self.edges(1)
        self.edges(*([0, 1] * 25))
        self.assertEqual(self.ctx.warnings[-1],
                         "Button estop: Too Many Consecutive Errors, GPIO Event Disabled on gpiochip1:gpio26")
        self.assertNotIn(self.button, self.clock.readers)

    def test_stop_releases_the_line(self) -> None:
        self.service.stopService()
        self.assertTrue(self.lines[0].closed)
        self.assertNotIn(self.button, self.clock.readers)


class ButtonConfigTests(SynchronousTestCase):
    def test_each_bad_section_is_a_warning(self) -> None:
        ctx = context_for(self, """
[button a]
pin: gpioX

[button b]
pin: gpio3

[button c]
pin: gpiochip7/gpio3
on_press: {% do call_method("x") %}

[button d]
pin: gpio4
on_press: {% if %}
""")
        service = ButtonService(ctx)
        self.assertEqual(service.buttons, {})
        self.assertEqual(ctx.warnings[:3], [
            "Failed to load button [button a]\nInvalid pin format gpioX. Refer to the configuration "
            "documentation for details on the pin format.",
            "Failed to load button [button b]\n[button b]: No template option configured",
            "Failed to load button [button c]\nChip path /dev/gpiochip7 does not exist",
        ])
        self.assertIn("[button d]: Option 'on_press' encountered the following error while parsing: "
                      "Error compiling Jinja2 template", ctx.warnings[3])

    def test_the_same_line_twice_is_refused(self) -> None:
        ctx = context_for(self, "[button a]\npin: gpio3\non_press: x\n\n[button b]\npin: gpiochip0/gpio3\non_press: y\n")
        service = ButtonService(ctx, FakeLine)
        self.assertEqual(list(service.buttons), ["a"])
        self.assertEqual(ctx.warnings, ["Failed to load button [button b]\nGPIO gpiochip0:gpio3 already reserved"])
