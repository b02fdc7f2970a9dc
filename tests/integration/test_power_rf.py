"""rf devices on the daemon, keying a simulated GPIO chip (see tests/services/power/fake_gpiod.py)."""

from __future__ import annotations

from functools import partial

from twisted.trial.unittest import SynchronousTestCase, TestCase

from moontwist.api import Request
from moontwist.services.power.rf import PULSE_LENGTH, RETRIES, transmit, waveform
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import wait_for
from tests.services.power import fake_gpiod
from tests.services.power.fake_gpiod import SimulatedChip

ON_CODE = "1010"


class WaveformTests(SynchronousTestCase):
    def test_each_bit_is_a_pulse_pair_and_each_code_ends_with_a_sync(self) -> None:
        self.assertEqual(waveform("10")[:3], [(3, 1), (1, 3), (1, 31)])
        self.assertEqual(len(waveform("0" * 24)), 25 * RETRIES)


class RFDeviceTests(TestCase):
    async def test_switching_sends_the_code_on_the_line(self) -> None:
        chip = SimulatedChip()
        fake_gpiod.install(self, {"/dev/gpiochip0": chip})
        daemon = await start_daemon(self, BASE_CONFIG + f"\n[power socket]\ntype: rf\npin: gpio17\n"
                                    f"on_code: {ON_CODE}\noff_code: 0101\n")
        device = daemon.ctx.component("power").devices["socket"]
        await wait_for(lambda: device.state == "off", timeout=10)
        pauses: list[float] = []
        device.transmit = partial(transmit, sleep=pauses.append)
        chip.history.clear()
        answer = await daemon.ctx.registry.dispatch(Request("machine.device_power.post_device",
                                                            {"device": "socket", "action": "on"}))
        self.assertEqual(answer, {"socket": "on"})
        pulses = [round(pause / PULSE_LENGTH) for pause in pauses]
        expected = [count for pair in waveform(ON_CODE.zfill(24)) for count in pair]
        self.assertEqual(pulses, expected)
        self.assertEqual([level for _, level in chip.history], [1, 0] * (len(expected) // 2))
        self.assertEqual({line for line, _ in chip.history}, {17})
