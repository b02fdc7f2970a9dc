"""gpio devices on a simulated chip (see fake_gpiod.py), and that stand-in checked against gpiod."""

from __future__ import annotations

import dataclasses
import inspect
import sys

from twisted.trial.unittest import SynchronousTestCase

from moontwist.gpio import Pin, PinError, parse_pin
from tests.services.power import fake_gpiod
from tests.services.power.fake_gpiod import SimulatedChip
from tests.services.power.helpers import PowerTestCase


class GpioDeviceTests(PowerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.chip = SimulatedChip()
        fake_gpiod.install(self, {"/dev/gpiochip0": self.chip, "/dev/gpiochip1": SimulatedChip(num_lines=8)})

    def test_the_line_follows_the_device(self) -> None:
        self.start("[power relay]\ntype: gpio\npin: gpio26\n")
        self.assertEqual((self.device("relay").state, self.chip.levels, self.chip.held), ("off", {26: 0},
                                                                                          {26: "moonraker"}))
        self.assertEqual(self.call("machine.device_power.post_device", device="relay", action="on"), {"relay": "on"})
        self.assertEqual(self.chip.levels[26], 1)
        self.power.stopService()
        self.assertEqual(self.chip.held, {})

    def test_an_inverted_line_starting_on(self) -> None:
        self.start("[power relay]\ntype: gpio\npin: !gpiochip0/gpio5\ninitial_state: on\n")
        self.assertEqual((self.device("relay").state, self.chip.history), ("on", [(5, 0), (5, 0)]))
        self.call("machine.device_power.post_device", device="relay", action="off")
        self.assertEqual(self.chip.levels[5], 1)

    def test_the_timer_switches_off(self) -> None:
        self.start("[power light]\ntype: gpio\npin: gpio4\ntimer: 30\n")
        self.call("machine.device_power.post_device", device="light", action="on")
        self.reactor.advance(29)
        self.assertEqual(self.chip.levels[4], 1)
        self.reactor.advance(1)
        self.assertEqual((self.chip.levels[4], self.device("light").state), (0, "off"))

    def test_lines_that_cannot_be_had_leave_the_device_out(self) -> None:
        self.chip.held[7] = "klipper"
        self.start("[power a]\ntype: gpio\npin: gpio7\n\n[power b]\ntype: gpio\npin: gpiochip1/gpio9\n"
                   "\n[power c]\ntype: gpio\npin: gpiochip4/gpio1\n\n[power d]\ntype: gpio\npin: GPIO1\n")
        self.assertEqual(self.power.devices, {})
        warnings = [w.split("\n", 1)[1] for w in self.ctx.warnings if w.startswith("Failed to load power device")]
        self.assertEqual(warnings, [
            "Section [power a], Option pin: cannot use line 7 of /dev/gpiochip0: Device or resource busy",
            "Section [power b], Option pin: cannot use line 9 of /dev/gpiochip1: Invalid argument",
            "Section [power c], Option pin: cannot use line 1 of /dev/gpiochip4: No such file or directory",
            "Section [power d], Option pin: GPIO1: expected [!]gpiochipN/gpioM or gpioM",
        ])


class MissingPackageTests(PowerTestCase):
    def test_without_gpiod_the_device_is_left_out_with_a_clear_warning(self) -> None:
        saved = sys.modules.get("gpiod")
        sys.modules["gpiod"] = None  # type: ignore[assignment]
        self.addCleanup(lambda: sys.modules.__setitem__("gpiod", saved) if saved else sys.modules.pop("gpiod", None))
        self.start("[power relay]\ntype: gpio\npin: gpio26\n")
        self.assertEqual(self.power.devices, {})
        self.assertIn("Failed to load power device [power relay]\ngpio needs the gpiod package "
                      "(pip install 'moontwist[gpio]')", self.ctx.warnings)


class PinTests(SynchronousTestCase):
    def test_moonrakers_pin_forms(self) -> None:
        self.assertEqual(parse_pin("gpio26"), Pin("/dev/gpiochip0", 26, False, None))
        self.assertEqual(parse_pin("!gpiochip2/gpio3"), Pin("/dev/gpiochip2", 3, True, None))
        self.assertEqual(parse_pin("^!gpio3", allow_bias=True), Pin("/dev/gpiochip0", 3, True, "pull_up"))
        self.assertEqual(parse_pin("~gpiochip1/gpio3", allow_bias=True).bias, "pull_down")
        self.assertRaises(PinError, parse_pin, "^gpio3")


class StandInTests(SynchronousTestCase):
    """The stand-in offers what moontwist uses with the real package's names and parameters."""

    def test_names_and_parameters_match_the_installed_gpiod(self) -> None:
        import gpiod
        from gpiod.line import Bias, Direction, Edge, Value

        real = inspect.signature(gpiod.request_lines).parameters
        fake = inspect.signature(fake_gpiod.request_lines).parameters
        self.assertEqual(list(fake), list(real))
        fields = {f.name for f in dataclasses.fields(gpiod.LineSettings)}
        self.assertLessEqual({f.name for f in dataclasses.fields(fake_gpiod.LineSettings)}, fields)
        self.assertLessEqual({v.name for v in fake_gpiod.Value}, {v.name for v in Value})
        self.assertLessEqual({d.name for d in fake_gpiod.Direction}, {d.name for d in Direction})
        self.assertLessEqual({e.name for e in fake_gpiod.Edge}, {e.name for e in Edge})
        self.assertLessEqual({b.name for b in fake_gpiod.Bias}, {b.name for b in Bias})
        self.assertEqual({t.name for t in fake_gpiod.EdgeEvent.Type}, {t.name for t in gpiod.EdgeEvent.Type})
        self.assertLessEqual({f.name for f in dataclasses.fields(fake_gpiod.EdgeEvent)},
                             {f.name for f in dataclasses.fields(gpiod.EdgeEvent)})
        self.assertIsInstance(gpiod.LineRequest.fd, property)
        for method in ("set_value", "get_value", "read_edge_events", "release"):
            self.assertEqual(list(inspect.signature(getattr(gpiod.LineRequest, method)).parameters),
                             list(inspect.signature(getattr(fake_gpiod.LineRequest, method)).parameters))
