"""Every ``[wled NAME]`` strip, Klippy's ``set_wled_state`` and ``set_wled`` remote methods.

Strips are initialised after start-up (their state read, the initial preset
or colours sent), retried every 2 s for up to 2 minutes as Moonraker does; a
strip still failing then is named in a warning.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, Deferred, gatherResults
from twisted.internet.task import deferLater

from moontwist.config import ConfigError
from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.services.wled.endpoints import WledEndpoints
from moontwist.services.wled.http import WledHttp
from moontwist.services.wled.options import SECTION_PREFIX, read_options
from moontwist.services.wled.serial import WledSerial
from moontwist.services.wled.strip import OFF, ON, Strip

INIT_RETRY_DELAY = 2.0
INIT_GIVE_UP_AFTER = 120.0


class WledService(Service):
    name = "wled"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.strips: dict[str, Strip] = {}
        self._senders: list[WledHttp | WledSerial] = []
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            try:
                options = read_options(ctx.config.section(section_name))
            except ConfigError as error:
                ctx.warnings.append(f"Failed to initialise strip [{section_name}]\n{error}")
                continue
            sender: WledHttp | WledSerial
            if options.type == "serial":
                try:
                    sender = WledSerial(ctx.reactor, options.serial, options.baud)
                except ValueError as error:
                    ctx.warnings.append(f"Failed to initialise strip [{section_name}]\n{error}")
                    continue
            else:
                sender = WledHttp(ctx.reactor, options.url, options.timeout)
            self._senders.append(sender)
            self.strips[options.name] = Strip(options, sender)
        ctx.registry.register(WledEndpoints(self))
        klippy = ctx.components.get("klippy")
        if klippy is not None:
            klippy.register_remote_method(
                "set_wled_state", lambda **params: Deferred.fromCoroutine(self.set_wled_state(**params)))
            klippy.register_remote_method("set_wled", lambda **params: Deferred.fromCoroutine(self.set_wled(**params)))
        self.initialised: Deferred[None] | None = None

    def startService(self) -> None:
        super().startService()
        self.initialised = Deferred.fromCoroutine(self._initialise())

    def stopService(self) -> "Deferred[Any]":
        super().stopService()
        initialised = self.initialised
        if initialised is not None and not initialised.called:
            initialised.addErrback(lambda failure: failure.trap(CancelledError))
        # Senders first: a request in flight is cancelled and no retry follows.
        closed = gatherResults([sender.close() for sender in self._senders])
        if initialised is not None and not initialised.called:
            initialised.cancel()
        return closed

    async def _initialise(self) -> None:
        pending = list(self.strips.values())
        clock = self.ctx.reactor
        deadline = clock.seconds() + INIT_GIVE_UP_AFTER
        while pending:
            failed = []
            for strip in pending:
                try:
                    await strip.initialize()
                except ApiError:
                    failed.append(strip)
            pending = failed
            if not pending or clock.seconds() >= deadline:
                break
            await deferLater(clock, INIT_RETRY_DELAY, lambda: None)
        if pending:
            self.ctx.warnings.append(f"The following wled strips failed init: {[strip.name for strip in pending]}")

    def get(self, name: str) -> Strip:
        strip = self.strips.get(name)
        if strip is None:
            raise ApiError(f"No valid strip named {name}")
        return strip

    async def apply(self, strip: Strip, action: str, preset: int = -1, brightness: int = -1,
                    intensity: int = -1, speed: int = -1) -> dict[str, Any]:
        """status, on, off, toggle or control; the strip's state afterwards."""
        if action == "status":
            return strip.info()
        if action == "toggle":
            action = ON if strip.onoff == OFF else OFF
        if action == OFF:
            await strip.off()
        elif action in (ON, "control"):
            if action == ON:
                await strip.on(preset)
            if brightness != -1 or intensity != -1 or speed != -1:
                await strip.control(brightness, intensity, speed)
        else:
            raise ApiError(f"Unsupported wled request: {action}")
        return strip.info()

    async def set_wled_state(self, strip: str, state: Any = None, preset: int = -1, brightness: int = -1,
                             intensity: int = -1, speed: int = -1) -> None:
        """Klippy's ``action_call_remote_method("set_wled_state", strip=..., state=..., ...)``."""
        status = None
        if isinstance(state, bool):
            status = ON if state else OFF
        elif isinstance(state, str):
            status = state.lower()
            if status in ("true", "false"):
                status = ON if status == "true" else OFF
        if status is None and preset == -1 and brightness == -1 and intensity == -1 and speed == -1:
            return
        target = self.strips.get(strip)
        if target is None:
            return
        if status == OFF:
            await target.off()
        if status == ON or preset != -1:
            await target.on(preset)
        if brightness != -1 or intensity != -1 or speed != -1:
            await target.control(brightness, intensity, speed)

    async def set_wled(self, strip: str, red: float = 0.0, green: float = 0.0, blue: float = 0.0,
                       white: float = 0.0, index: int | None = None, transmit: int = 1) -> None:
        """Klippy's ``set_wled`` (the WLED macro of Moonraker's docs): colours of one LED or all."""
        target = self.strips.get(strip)
        if target is None:
            return
        if isinstance(index, int) and index < 0:
            index = None
        await target.set_colors(red, green, blue, white, index, transmit == 1)
