"""One WLED strip: what Moonraker keeps of its state, and the JSON it sends for each action.

The strip's own answers are not read back (as in Moonraker): ``brightness``,
``intensity`` and ``speed`` are what was last sent, ``-1`` when unknown.
A transport supplies ``send``: the HTTP JSON API or a serial line.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger

from moontwist.errors import ApiError

log = Logger()

COLOR_SIZE = 4


class StripError(Exception):
    """The strip could not be reached or refused the command."""


class Strip:
    def __init__(self, name: str, options: dict[str, Any]) -> None:
        """``options``: the strip's read ``WLED`` options and those of its type."""
        self.name = name
        self.initial_preset: int = options["initial_preset"]
        self.initial_red: float = options["initial_red"]
        self.initial_green: float = options["initial_green"]
        self.initial_blue: float = options["initial_blue"]
        self.initial_white: float = options["initial_white"]
        self.chain_count: int = options["chain_count"]
        self.chain_data = bytearray(self.chain_count * COLOR_SIZE)
        self.onoff = "off"
        self.preset = self.initial_preset
        self.brightness = -1
        self.intensity = -1
        self.speed = -1
        self.error_state: str | None = None
        self.send_full_chain_data = True

    async def send(self, state: dict[str, Any]) -> dict[str, Any]:
        """Deliver ``state`` (a WLED JSON API state); the strip's answer when ``v`` asks for it."""
        raise NotImplementedError

    def stop(self) -> None:
        """Close whatever the strip holds open."""

    def info(self) -> dict[str, Any]:
        return {"strip": self.name, "status": self.onoff, "chain_count": self.chain_count, "preset": self.preset,
                "brightness": self.brightness, "intensity": self.intensity, "speed": self.speed,
                "error": self.error_state}

    async def command(self, state: dict[str, Any]) -> dict[str, Any]:
        self.error_state = None
        try:
            return await self.send(state)
        except StripError as error:
            self.error_state = f"WLED: Error {error}"
            log.warn("{message}", message=self.error_state)
            raise ApiError(self.error_state) from None

    async def initialise(self) -> None:
        await self.command({"v": True})
        await self.set_initial_state()

    async def set_initial_state(self) -> None:
        self.send_full_chain_data = True
        self.onoff = "on"
        self.preset = self.initial_preset
        self.brightness = 255
        self.intensity = -1
        self.speed = -1
        colors = (self.initial_red, self.initial_green, self.initial_blue, self.initial_white)
        if self.initial_preset >= 0:
            self._update_colors(*colors, None)
            await self.turn_on(self.initial_preset)
        else:
            await self.set_leds(*colors, None, True)

    def _update_colors(self, red: float, green: float, blue: float, white: float, index: int | None) -> None:
        led = [int(value * 255.0 + 0.5) for value in (red, green, blue, white)]
        if index is None:
            self.chain_data[:] = bytes(led * self.chain_count)
        else:
            self.chain_data[(index - 1) * COLOR_SIZE:index * COLOR_SIZE] = bytes(led)

    def _pixel(self, index: int) -> list[int]:
        return list(self.chain_data[(index - 1) * COLOR_SIZE:index * COLOR_SIZE])

    async def turn_on(self, preset: int) -> None:
        self.onoff = "on"
        if preset < 0:
            await self.set_initial_state()
            return
        self.send_full_chain_data = True
        self.preset = preset
        self.brightness = self.intensity = self.speed = -1
        await self.command({"on": True, "ps": preset})

    async def turn_off(self) -> None:
        self.onoff = "off"
        self.send_full_chain_data = True
        await self.command({"on": False})

    async def control(self, brightness: int, intensity: int, speed: int) -> None:
        """Brightness (1-255), and with a preset intensity and speed (0-255); only while on."""
        if self.onoff == "off":
            log.info("WLED {name}: control only while the strip is on", name=self.name)
            return
        state: dict[str, Any] = {"tt": 0, "seg": {}} if self.preset != -1 else {"tt": 0}
        send = False
        if 0 < brightness <= 255:
            send = True
            self.brightness = state["bri"] = brightness
            if self.preset != -1:
                state["seg"]["bri"] = brightness
        if self.preset != -1 and -1 < intensity <= 255:
            send = True
            self.intensity = state["seg"]["ix"] = intensity
        if self.preset != -1 and -1 < speed <= 255:
            send = True
            self.speed = state["seg"]["sx"] = speed
        if send:
            await self.command(state)

    async def set_leds(self, red: float, green: float, blue: float, white: float, index: int | None,
                       transmit: bool) -> None:
        """SET_LED for WLED: one LED (``index`` from 1) or all; sent now or with a later call."""
        self._update_colors(red, green, blue, white, index)
        if not transmit:
            self.send_full_chain_data = True
            return
        self.preset = -1
        if self.brightness == -1:
            self.brightness = 255
        segment: dict[str, Any] = {"bri": self.brightness, "i": []}
        if index is None:
            self.send_full_chain_data = False
            segment["i"] = [0, self.chain_count, self._pixel(1)]
        elif self.send_full_chain_data:
            self.send_full_chain_data = False
            segment["i"] = [self._pixel(position + 1) for position in range(self.chain_count)]
        else:
            segment["i"] = [index - 1, self._pixel(index)]
        state = {"on": True, "tt": 0, "bri": self.brightness, "seg": segment}
        await self.command(state)
        if self.onoff == "off":
            # WLED needs the state twice to come on from off at the right brightness.
            self.onoff = "on"
            await self.command(state)
