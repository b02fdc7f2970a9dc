"""Temperature history of every sensor Klippy reports, sampled once a second."""

from __future__ import annotations

from array import array
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
MISSING = float("nan")


class Series:
    """The last ``size`` samples of one field, as doubles in one buffer.

    A sample costs 8 bytes instead of a float object (24) and its slot in a
    deque (8), and sampling makes no object that outlives the call: a store
    filling for 20 minutes as separate small objects lands them in whatever
    memory pages were in use when they were taken, and keeps pages a burst of
    connections used resident after it ended (see services/collector.py).
    A missing value (or one that is not a number) is kept as NaN and read
    back as None.
    """

    __slots__ = ("_values", "_size", "_next")

    def __init__(self, size: int) -> None:
        self._values = array("d")
        self._size = size
        self._next = 0

    def append(self, value: Any) -> None:
        number = round(value, 2) if isinstance(value, (int, float)) and not isinstance(value, bool) else MISSING
        if len(self._values) < self._size:
            self._values.append(number)
        elif self._size:
            self._values[self._next] = number
            self._next = (self._next + 1) % self._size

    def values(self) -> list[float | None]:
        """Oldest first."""
        ordered = self._values[self._next:] + self._values[:self._next]
        return [None if number != number else number for number in ordered]


class TemperatureStore(Service):
    """On each Klippy ready: find the sensors, subscribe to them; then sample the cache.

    History survives Klippy restarts for sensors that still exist. Values are
    rounded to two decimals and kept as floats; a missing value is kept as null.
    """

    def __init__(self, klippy: "KlippyService", size: int = DEFAULT_SIZE) -> None:
        self._klippy = klippy
        self._size = size
        self._history: dict[str, dict[str, Series]] = {}
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
        history: dict[str, dict[str, Series]] = {}
        for name, values in answer["status"].items():
            old = self._history.get(name, {})
            history[name] = {field: old[field] if field in old else Series(self._size) for field in FIELDS if field in values}
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
                series.append(values.get(field))

    @endpoint("server.temperature_store", "GET /server/temperature_store")
    def temperature_store(self, request: Request) -> dict[str, Any]:
        include_monitors = request.get_bool("include_monitors", False)
        return {
            name: {f"{field}s": series.values() for field, series in fields.items()}
            for name, fields in self._history.items()
            if include_monitors or name not in self._monitors
        }
