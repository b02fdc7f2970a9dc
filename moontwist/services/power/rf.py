"""``rf``: a 433 MHz remote socket, keyed through a transmitter on a GPIO line.

The codes are Moonraker's: ``on_code``/``off_code`` binary strings zero-padded
to 24 bits, each bit a high/low pulse pair in units of 350 us (one ``3:1``,
zero ``1:3``), a ``1:31`` sync after each code, the code sent 10 times. The
pulses are timed with ``time.sleep`` on a worker thread (~0.5 s per switch),
never on the reactor.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

from twisted.internet.threads import deferToThreadPool

from moontwist.gpio import GpioOutput
from moontwist.services.power.gpio import GpioDevice

if TYPE_CHECKING:
    from moontwist.config import Section
    from moontwist.services.power.service import PowerService

ZERO_BIT = (1, 3)
ONE_BIT = (3, 1)
SYNC_BIT = (1, 31)
PULSE_LENGTH = 0.00035
RETRIES = 10


def waveform(code: str) -> list[tuple[int, int]]:
    """The (high, low) pulse counts sent for ``code``, all retries included."""
    once = [ONE_BIT if bit == "1" else ZERO_BIT for bit in code if bit in "01"] + [SYNC_BIT]
    return once * RETRIES


def transmit(output: GpioOutput, code: str, sleep: Callable[[float], Any] = time.sleep) -> None:
    """Blocking: key the transmitter for ``code``."""
    for high, low in waveform(code):
        output.write(True)
        sleep(high * PULSE_LENGTH)
        output.write(False)
        sleep(low * PULSE_LENGTH)


class RFDevice(GpioDevice):
    def __init__(self, name: str, section: "Section", power: "PowerService") -> None:
        super().__init__(name, section, power)
        self.on_code: str = self.options["on_code"].zfill(24)
        self.off_code: str = self.options["off_code"].zfill(24)
        self.transmit = transmit

    def _line_starts_on(self) -> bool:
        return False

    async def key(self, state: str) -> None:
        code = self.on_code if state == "on" else self.off_code
        await deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self.transmit, self.output, code)
