"""Temperature history of every sensor Klippy reports, sampled once a second."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.api import Request, endpoint

if TYPE_CHECKING:
    from moontwist.services.klippy.service import KlippyService

log = Logger()

DEFAULT_SIZE = 1200
SAMPLE_INTERVAL = 1.0
FIELDS = ("temperature", "target", "power", "speed")
OWNER = "temperature_store"


class TemperatureStore(Service):
    """On each Klippy ready: find the sensors, subscribe to them; then sample the cache.

    History survives Klippy restarts for sensors that still exist. Values are
    rounded to two decimals; a missing value is kept as null.
    """

    def __init__(self, klippy: "KlippyService", size: int = DEFAULT_SIZE) -> None:
        self._klippy = klippy
        self._size = size
        self._history: dict[str, dict[str, deque[Any]]] = {}
        self._monitors: set[str] = set()
        self._loop = LoopingCall(self.sample)
        self._loop.clock = klippy.ctx.reactor

    def startService(self) -> None:
        super().startService()
        self._klippy.ctx.events.on("klippy_ready", self.track_sensors)
        self._loop.start(SAMPLE_INTERVAL, now=False)

    def stopService(self) -> None:
        super().stopService()
        self._klippy.ctx.events.off("klippy_ready", self.track_sensors)
        if self._loop.running:
            self._loop.stop()

    def track_sensors(self) -> "Deferred[None]":
        """Ask Klippy for its sensors and subscribe to them (on each ``klippy_ready``)."""
        query = self._klippy.query({"heaters": None})
        query.addCallback(self._subscribe_sensors).addCallback(self._track)
        return query.addErrback(self._failed)

    def _subscribe_sensors(self, answer: dict[str, Any]) -> Any:
        heaters = answer["status"].get("heaters") or {}
        sensors = list(heaters.get("available_sensors") or [])
        monitors = list(heaters.get("available_monitors") or [])
        self._monitors = set(monitors)
        return self._klippy.subscribe(OWNER, {name: None for name in sensors + monitors})

    def _track(self, answer: dict[str, Any]) -> None:
        history: dict[str, dict[str, deque[Any]]] = {}
        for name, values in answer["status"].items():
            old = self._history.get(name, {})
            history[name] = {field: old.get(field, deque(maxlen=self._size)) for field in FIELDS if field in values}
        self._history = history

    def _failed(self, failure: Failure) -> None:
        log.warn("Could not set up the temperature store: {error}", error=failure.getErrorMessage())

    def sample(self) -> None:
        """Append each tracked field's latest value (while Klippy is past startup)."""
        if self._klippy.state in ("disconnected", "startup"):
            return
        status = self._klippy.status
        for name, fields in self._history.items():
            values = status.get(name, {})
            for field, series in fields.items():
                series.append(_rounded(values.get(field)))

    @endpoint("server.temperature_store", "GET /server/temperature_store")
    def temperature_store(self, request: Request) -> dict[str, Any]:
        include_monitors = request.get_bool("include_monitors", False)
        return {
            name: {f"{field}s": list(series) for field, series in fields.items()}
            for name, fields in self._history.items()
            if include_monitors or name not in self._monitors
        }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    return value
