"""The ``wled`` component: every ``[wled NAME]`` strip, ``machine.wled.*``, and Klippy's
``set_wled_state`` / ``set_wled`` remote methods (Klipper macros drive the strips).

Strips are reached at start-up; those that fail are tried every 2 s for two
minutes, then named in a warning, as Moonraker does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.internet.task import deferLater
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.errors import ApiError
from moontwist.services.wled.endpoints import WledEndpoints
from moontwist.services.wled.http_strip import HttpStrip
from moontwist.services.wled.options import WLED, WLED_HTTP, WLED_SERIAL
from moontwist.services.wled.serial_strip import SerialStrip
from moontwist.services.wled.strip import Strip

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

SECTION_PREFIX = "wled "
INIT_RETRY = 2.0
INIT_PERIOD = 120.0


class WledService(Service):
    def __init__(self, ctx: "ServerContext") -> None:
        self.ctx = ctx
        self.strips: dict[str, Strip] = {}
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            section = ctx.config.section(section_name)
            name = section_name[len(SECTION_PREFIX):].strip()
            try:
                options = WLED.read(section)
                kind = options["type"].lower()
                if kind == "http":
                    self.strips[name] = HttpStrip(name, {**options, **WLED_HTTP.read(section)}, ctx.reactor)
                elif kind == "serial":
                    self.strips[name] = SerialStrip(name, {**options, **WLED_SERIAL.read(section)}, ctx.reactor)
                else:
                    raise ConfigError(f"Unsupported Strip Type: {kind}")
            except ConfigError as error:
                ctx.warnings.append(f"Failed to initialise strip [{section_name}]\n{error}")
        self._starting: Deferred[None] | None = None
        ctx.registry.register(WledEndpoints(self))
        klippy = ctx.component("klippy")
        klippy.register_remote_method("set_wled_state", self.set_wled_state)
        klippy.register_remote_method("set_wled", self.set_wled)

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "WledService":
        return cls(ctx)

    def startService(self) -> None:
        super().startService()
        self._starting = Deferred.fromCoroutine(self._initialise())

    def stopService(self) -> None:
        super().stopService()
        if self._starting is not None:
            self._starting.cancel()
        for strip in self.strips.values():
            strip.stop()

    async def _initialise(self) -> None:
        pending = list(self.strips.values())
        deadline = self.ctx.reactor.seconds() + INIT_PERIOD
        try:
            while True:
                failed = []
                for strip in pending:
                    try:
                        await strip.initialise()
                    except ApiError:
                        failed.append(strip)
                    except CancelledError:
                        raise
                    except Exception as error:
                        # Whatever else goes wrong is the strip's error state, never the service's.
                        strip.error_state = f"WLED: Error {error}"
                        log.error("WLED strip {name} failed to start: {error}", name=strip.name, error=error)
                        failed.append(strip)
                if not failed:
                    return
                pending = failed
                if self.ctx.reactor.seconds() >= deadline:
                    break
                await deferLater(self.ctx.reactor, INIT_RETRY, lambda: None)
        except CancelledError:
            return
        self.ctx.warnings.append(f"The following wled strips failed init: {[strip.name for strip in pending]}")

    # Klippy's remote methods (Klipper macros).

    def set_wled_state(self, strip: str, state: Any = None, preset: int = -1, brightness: int = -1,
                       intensity: int = -1, speed: int = -1) -> "Deferred[None]":
        return self._background(self._set_wled_state(strip, state, preset, brightness, intensity, speed))

    async def _set_wled_state(self, strip: str, state: Any, preset: int, brightness: int, intensity: int,
                              speed: int) -> None:
        status = None
        if isinstance(state, bool):
            status = "on" if state else "off"
        elif isinstance(state, str):
            status = {"true": "on", "false": "off"}.get(state.lower(), state.lower())
        if status is None and preset == -1 and brightness == -1 and intensity == -1 and speed == -1:
            log.info("set_wled_state: no state, preset or control given")
            return
        target = self._strip_or_log(strip)
        if target is None:
            return
        if status == "off":
            await target.turn_off()
        if status == "on" or preset != -1:
            await target.turn_on(preset)
        if brightness != -1 or intensity != -1 or speed != -1:
            await target.control(brightness, intensity, speed)

    def set_wled(self, strip: str, red: float = 0.0, green: float = 0.0, blue: float = 0.0, white: float = 0.0,
                 index: int | None = None, transmit: int = 1) -> "Deferred[None]":
        target = self._strip_or_log(strip)
        if target is None:
            return succeed(None)
        if isinstance(index, int) and index < 0:
            index = None
        return self._background(target.set_leds(red, green, blue, white, index, transmit == 1))

    def _strip_or_log(self, name: str) -> Strip | None:
        strip = self.strips.get(name)
        if strip is None:
            log.info("Unknown WLED strip: {name}", name=name)
        return strip

    @staticmethod
    def _background(coroutine: Any) -> "Deferred[None]":
        return Deferred.fromCoroutine(coroutine).addErrback(
            lambda failure: log.warn("WLED: {error}", error=failure.getErrorMessage()))

    # The API's work.

    async def process(self, strip: Strip, action: str, preset: int = -1, brightness: int = -1,
                      intensity: int = -1, speed: int = -1) -> dict[str, Any]:
        if action == "status":
            return strip.info()
        if action == "toggle":
            action = "on" if strip.onoff == "off" else "off"
        if action == "off":
            await strip.turn_off()
        elif action in ("on", "control"):
            if action == "on":
                await strip.turn_on(preset)
            if brightness != -1 or intensity != -1 or speed != -1:
                await strip.control(brightness, intensity, speed)
        else:
            raise ApiError(f"Unsupported wled request: {action}")
        return strip.info()
