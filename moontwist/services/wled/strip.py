"""One strip's state as Moonraker keeps it, and the WLED JSON states that change it.

Requests to a strip run one at a time; a failed request sets ``error`` and
is a 400 ``WLED: Error ...``, as in Moonraker.
"""

from __future__ import annotations

from typing import Any, Protocol

from twisted.internet.defer import CancelledError, Deferred, DeferredLock
from twisted.logger import Logger

from moontwist.errors import ApiError
from moontwist.services.wled.options import StripOptions

log = Logger()
COLOR_SIZE = 4
ON, OFF = "on", "off"


class Sender(Protocol):
    def send(self, state: dict[str, Any]) -> "Deferred[dict[str, Any]]": ...


class Strip:
    def __init__(self, options: StripOptions, sender: Sender) -> None:
        self.options = options
        self.name = options.name
        self._sender = sender
        self._lock = DeferredLock()
        self.chain_count = options.chain_count
        self._chain = bytearray(self.chain_count * COLOR_SIZE)
        self.onoff = OFF
        self.preset = options.initial_preset
        self.brightness = -1
        self.intensity = -1
        self.speed = -1
        self.error_state: str | None = None
        self._send_full_chain = True

    def info(self) -> dict[str, Any]:
        return {
            "strip": self.name,
            "status": self.onoff,
            "chain_count": self.chain_count,
            "preset": self.preset,
            "brightness": self.brightness,
            "intensity": self.intensity,
            "speed": self.speed,
            "error": self.error_state,
        }

    async def send(self, state: dict[str, Any]) -> dict[str, Any]:
        self.error_state = None
        try:
            result: dict[str, Any] = await self._lock.run(self._sender.send, state)
        except CancelledError:
            raise
        except Exception as error:
            message = f"WLED: Error {error}"
            self.error_state = message
            log.warn("{message}", message=message)
            raise ApiError(message) from None
        return result

    async def initialize(self) -> None:
        await self.send({"v": True})
        await self._set_initial_state()

    async def _set_initial_state(self) -> None:
        options = self.options
        self._send_full_chain = True
        self.onoff = ON
        self.preset = options.initial_preset
        self.brightness = 255
        self.intensity = -1
        self.speed = -1
        colors = (options.initial_red, options.initial_green, options.initial_blue, options.initial_white)
        if options.initial_preset >= 0:
            self._update_colors(*colors, None)
            await self.on(options.initial_preset)
        else:
            await self.set_colors(*colors, None, True)

    def _update_colors(self, red: float, green: float, blue: float, white: float, index: int | None) -> None:
        pixel = [max(0, min(255, int(value * 255.0 + 0.5))) for value in (red, green, blue, white)]
        if index is None:
            self._chain[:] = bytes(pixel * self.chain_count)
        else:
            self._chain[(index - 1) * COLOR_SIZE:index * COLOR_SIZE] = bytes(pixel)

    def _pixel(self, index: int) -> list[int]:
        return list(self._chain[(index - 1) * COLOR_SIZE:index * COLOR_SIZE])

    async def on(self, preset: int) -> None:
        self.onoff = ON
        if preset < 0:
            await self._set_initial_state()
            return
        self._send_full_chain = True
        self.preset = preset
        self.brightness = self.intensity = self.speed = -1
        await self.send({"on": True, "ps": preset})

    async def off(self) -> None:
        self.onoff = OFF
        self._send_full_chain = True
        await self.send({"on": False})

    async def control(self, brightness: int, intensity: int, speed: int) -> None:
        """Brightness (1-255) always; intensity and speed (0-255) only while a preset runs."""
        if self.onoff == OFF:
            log.info("WLED control only permitted when strip {name} is on", name=self.name)
            return
        with_preset = self.preset != -1
        state: dict[str, Any] = {"tt": 0, "seg": {}} if with_preset else {"tt": 0}
        changed = False
        if 0 < brightness <= 255:
            changed = True
            self.brightness = brightness
            state["bri"] = brightness
            if with_preset:
                state["seg"]["bri"] = brightness
        if with_preset and 0 <= intensity <= 255:
            changed = True
            self.intensity = intensity
            state["seg"]["ix"] = intensity
        if with_preset and 0 <= speed <= 255:
            changed = True
            self.speed = speed
            state["seg"]["sx"] = speed
        if changed:
            await self.send(state)

    async def set_colors(self, red: float, green: float, blue: float, white: float,
                         index: int | None, transmit: bool) -> None:
        """Klippy's ``set_wled``: one LED (``index`` from 1) or all, sent now or on a later call."""
        self._update_colors(red, green, blue, white, index)
        if not transmit:
            self._send_full_chain = True
            return
        self.preset = -1
        if self.brightness == -1:
            self.brightness = 255
        segment: dict[str, Any] = {"bri": self.brightness, "i": []}
        state: dict[str, Any] = {"on": True, "tt": 0, "bri": self.brightness, "seg": segment}
        if index is None:
            self._send_full_chain = False
            segment["i"] = [0, self.chain_count, self._pixel(1)]
        elif self._send_full_chain:
            self._send_full_chain = False
            segment["i"] = [self._pixel(i + 1) for i in range(self.chain_count)]
        else:
            segment["i"] = [index - 1, self._pixel(index)]
        await self.send(state)
        if self.onoff == OFF:
            self.onoff = ON
            await self.send(state)
