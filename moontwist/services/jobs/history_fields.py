"""Auxiliary history fields: values other components track per job (a sensor's energy).

A field's tracker follows its strategy (basic, delta, accumulate, average,
maximum, minimum, collect) while a job runs (and, with ``exclude_paused``,
not while it is paused). The job record keeps the field's value in
``auxiliary_data``; fields that report a total or a maximum add to
``auxiliary_totals``. Moonraker's shapes throughout.
"""

from __future__ import annotations

from typing import Any, Callable

STRATEGIES = ("basic", "delta", "accumulate", "average", "maximum", "minimum", "collect")
COLLECT_MAX = 100
Number = (int, float)


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


class Tracker:
    """Follows one field's values; ``enabled()`` says whether a job is tracking now."""

    def __init__(self, strategy: str, enabled: Callable[[], bool], initial: Callable[[], Any] | None) -> None:
        self.strategy = strategy
        self._enabled = enabled
        self.initial = initial
        self.value: Any = {"collect": [], "basic": None}.get(strategy, 0)
        self._last: Any = None
        self._count = 0
        self._started = False

    def reset(self) -> None:
        start = self.initial() if self.initial is not None else None
        self._count = 0
        self._last = None
        self._started = False
        if self.strategy == "basic":
            if self.initial is not None:
                self.value = start
        elif self.strategy == "collect":
            self.value = list(start) if isinstance(start, list) else []
        elif self.strategy == "delta":
            self.value = 0
            self._last = start if _is_number(start) else None
        else:
            self.value = start if _is_number(start) else 0
            self._started = _is_number(start)

    def update(self, value: Any) -> None:
        strategy = self.strategy
        if strategy == "collect":
            if value not in self.value and self._enabled():
                self.value.append(value)
                del self.value[:-COLLECT_MAX]
            return
        if strategy == "basic":
            if self._enabled():
                self.value = value
            return
        if not _is_number(value):
            return
        if strategy == "delta":
            if self._enabled() and self._last is not None:
                self.value += value - self._last
            self._last = value
            return
        if not self._enabled():
            return
        if strategy == "accumulate":
            self.value += value
        elif strategy == "average":
            self._count += 1
            self.value = (self.value * (self._count - 1) + value) / self._count
        elif not self._started:
            self.value, self._started = value, True
        elif strategy == "maximum":
            self.value = max(self.value, value)
        else:
            self.value = min(self.value, value)

    def has_totals(self) -> bool:
        if self.strategy == "basic":
            return _is_number(self.value)
        return self.strategy != "collect"


class HistoryField:
    def __init__(self, name: str, provider: str, description: str, strategy: str, tracker: Tracker,
                 units: str | None = None, exclude_paused: bool = False, report_total: bool = False,
                 report_maximum: bool = False, precision: int | None = None) -> None:
        self.name = name
        self.provider = provider
        self.description = description
        self.strategy = strategy
        self.tracker = tracker
        self.units = units
        self.exclude_paused = exclude_paused
        self.report_total = report_total
        self.report_maximum = report_maximum
        self.precision = precision

    def configuration(self) -> dict[str, Any]:
        return {
            "field": self.name, "provider": self.provider, "description": self.description,
            "strategy": self.strategy, "units": self.units, "init_tracker": self.tracker.initial is not None,
            "exclude_paused": self.exclude_paused, "report_total": self.report_total,
            "report_maximum": self.report_maximum, "precision": self.precision,
        }

    def as_dict(self) -> dict[str, Any]:
        value = self.tracker.value
        if self.precision is not None and isinstance(value, float):
            value = round(value, self.precision)
        return {"provider": self.provider, "name": self.name, "value": value,
                "description": self.description, "units": self.units}

    def has_totals(self) -> bool:
        return self.tracker.has_totals() and (self.report_total or self.report_maximum)

    def totals(self, last: list[dict[str, Any]], reset: bool = False) -> dict[str, Any]:
        """This field's row of ``auxiliary_totals`` after a job (or zeroed by a reset)."""
        if reset:
            maximum: float | None = 0 if self.report_maximum else None
            total: float | None = 0 if self.report_total else None
        else:
            current = self.tracker.value
            maximum = current if self.report_maximum else None
            total = current if self.report_total else None
            for row in last:
                if row.get("provider") == self.provider and row.get("field") == self.name:
                    if maximum is not None:
                        maximum = max(current, row.get("maximum") or 0)
                    if total is not None:
                        total = current + (row.get("total") or 0)
                    break
            if self.precision is not None:
                maximum = None if maximum is None else round(maximum, self.precision)
                total = None if total is None else round(total, self.precision)
        return {"provider": self.provider, "field": self.name, "maximum": maximum, "total": total}
