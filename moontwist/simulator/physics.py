"""The physical side of the printer: heated bodies that outlive Klippy restarts.

A restart of the host software resets targets, not the temperature of the
metal, so the bodies live here rather than in a Klippy host.
"""

from __future__ import annotations

import math

AMBIENT = 25.0
STEP = 0.1  # seconds of simulated time per integration step


class ThermalBody:
    """A heater block: full power heats at ``heat_rate`` K/s, losses grow with temperature.

    The controller feeds forward the loss at the target and corrects the rest
    proportionally, so the temperature settles on the target without offset.
    """

    def __init__(self, heat_rate: float, loss_rate: float, gain: float, max_power: float = 1.0):
        self.heat_rate = heat_rate
        self.loss_rate = loss_rate
        self.gain = gain
        self.max_power = max_power
        self.temperature = AMBIENT
        self.target = 0.0
        self.power = 0.0
        self.slope = 0.0
        self.disabled = False

    def step(self, dt: float) -> None:
        power = 0.0
        if self.target and not self.disabled:
            feed_forward = self.loss_rate * (self.target - AMBIENT) / self.heat_rate
            power = feed_forward + self.gain * (self.target - self.temperature)
            power = min(self.max_power, max(0.0, power))
        self.power = power
        change = (power * self.heat_rate - self.loss_rate * (self.temperature - AMBIENT)) * dt
        self.temperature += change
        self.slope = change / dt

    def advance(self, elapsed: float) -> None:
        """Move ``elapsed`` simulated seconds forward."""
        if not self.target or self.disabled:
            # Unpowered: exact exponential cooling, however long the gap.
            offset = (self.temperature - AMBIENT) * math.exp(-self.loss_rate * elapsed)
            self.slope = -self.loss_rate * offset
            self.temperature, self.power = AMBIENT + offset, 0.0
            return
        if abs(self.temperature - self.target) < 1e-6 and abs(self.slope) < 1e-6:
            return
        steps = int(elapsed / STEP)
        for _ in range(steps):
            self.step(STEP)
        remainder = elapsed - steps * STEP
        if remainder > 1e-9:
            self.step(remainder)


class World:
    """All bodies, integrated lazily up to the time someone looks at them."""

    def __init__(self, speed: float, now: float):
        self.speed = speed
        self.bodies: dict[str, ThermalBody] = {
            "extruder": ThermalBody(heat_rate=4.0, loss_rate=0.01, gain=0.1),
            "heater_bed": ThermalBody(heat_rate=0.8, loss_rate=0.008, gain=0.1),
        }
        self._simulated = now * speed
        self._last = now

    def body(self, name: str) -> ThermalBody:
        """The heated body of heater ``name`` (a bed-like one for any ``*bed*``)."""
        body = self.bodies.get(name)
        if body is None:
            if "bed" in name:
                body = ThermalBody(heat_rate=0.8, loss_rate=0.008, gain=0.1)
            else:
                body = ThermalBody(heat_rate=4.0, loss_rate=0.01, gain=0.1)
            self.bodies[name] = body
        return body

    def advance(self, now: float) -> None:
        """Integrate every body up to ``now`` (reactor seconds, scaled by speed)."""
        elapsed = (now - self._last) * self.speed
        if elapsed <= 0.0:
            return
        self._last = now
        for body in self.bodies.values():
            body.advance(elapsed)
        self._simulated += elapsed

    def host_temperature(self) -> float:
        """A Raspberry Pi SoC drifting slowly around 45 °C."""
        return 45.0 + 1.5 * math.sin(self._simulated / 90.0)

    def all_off(self) -> None:
        for body in self.bodies.values():
            body.target = 0.0
            body.disabled = False
