"""``machine.proc_stats`` and the 1 Hz ``notify_proc_stat_update``.

The notification doubles as the heartbeat that keeps Mainsail connected (it
hangs up after ~10 s of silence). Sampling reads /proc only; on a Raspberry Pi
``vcgencmd get_throttled`` runs as a child process every ten samples.
"""

from __future__ import annotations

import collections
import shutil
from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.services.machine import readings
from moontwist.services.machine.host import HostPaths
from moontwist.services.machine.sampler import ProcStatsSampler
from moontwist.services.machine.throttling import query_throttled

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

SAMPLE_INTERVAL = 1.0
SAMPLES_KEPT = 30
THROTTLE_EVERY = 10
BLOCKED_AFTER = 4.0


def find_vcgencmd(paths: HostPaths) -> str | None:
    """``vcgencmd`` when it and the VideoCore mailbox exist, else None."""
    if not paths.path("/dev/vcio").exists():
        return None
    return shutil.which("vcgencmd")


class ProcStatsService(Service):
    """Samples every second, keeps the last 30 samples, tells every client."""

    def __init__(self, ctx: "ServerContext", paths: HostPaths = HostPaths(),
                 vcgencmd: str | None = None) -> None:
        self.ctx = ctx
        self.paths = paths
        self.vcgencmd = vcgencmd if vcgencmd is not None else find_vcgencmd(paths)
        self.samples: collections.deque[dict[str, Any]] = collections.deque(maxlen=SAMPLES_KEPT)
        self.throttled: dict[str, Any] | None = None
        self.latest: dict[str, Any] = {}
        self._count = 0
        self._sampler: ProcStatsSampler | None = None
        self._last_tick = 0.0
        self._loop = LoopingCall(self._tick)
        self._loop.clock = ctx.reactor

    def startService(self) -> None:
        super().startService()
        now = self.ctx.reactor.seconds()
        self._sampler = ProcStatsSampler(self.paths, now)
        self._last_tick = now
        self._loop.start(SAMPLE_INTERVAL, now=False)

    def stopService(self) -> None:
        super().stopService()
        if self._loop.running:
            self._loop.stop()

    def _tick(self) -> None:
        assert self._sampler is not None
        now = self.ctx.reactor.seconds()
        if now - self._last_tick > BLOCKED_AFTER:
            log.warn("EVENT LOOP BLOCKED: {gap:.2f} s without a sample; last samples: {samples}",
                     gap=now - self._last_tick, samples=list(self.samples)[-5:])
        self._last_tick = now
        sample = self._sampler.sample(now)
        self.samples.append(sample["moonraker_stats"])
        sample["websocket_connections"] = self.ctx.connections.websocket_count()
        self.latest = sample
        self.ctx.notify("notify_proc_stat_update", [sample])
        if self.vcgencmd and self._count % THROTTLE_EVERY == 0:
            self._check_throttling(self.vcgencmd)
        self._count += 1

    def _check_throttling(self, vcgencmd: str) -> None:
        def compare(state: dict[str, Any]) -> None:
            # As Moonraker: compared with no throttling before the first reading.
            changed = state["bits"] != (self.throttled["bits"] if self.throttled is not None else 0)
            self.throttled = state
            if changed:
                self.ctx.notify("notify_cpu_throttled", [state])

        query_throttled(self.ctx.reactor, vcgencmd).addCallbacks(
            compare, lambda failure: log.warn("vcgencmd: {error}", error=failure.getErrorMessage()))

    @endpoint("machine.proc_stats", "GET /machine/proc_stats")
    def proc_stats(self, request: Request) -> dict[str, Any]:
        latest = self.latest
        return {
            "moonraker_stats": list(self.samples),
            "throttled_state": self.throttled,
            "cpu_temp": latest.get("cpu_temp"),
            "network": latest.get("network", {}),
            "system_cpu_usage": latest.get("system_cpu_usage", {}),
            "system_uptime": readings.uptime(self.paths),
            "system_memory": latest.get("system_memory", {}),
            "websocket_connections": self.ctx.connections.websocket_count(),
        }
