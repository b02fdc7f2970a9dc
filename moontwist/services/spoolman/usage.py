"""Filament used per spool and not yet reported, measured from ``print_stats.filament_used``.

Klippy's ``filament_used`` grows during a print and returns to 0 when the next
one starts. Each increase is charged to the spool active at that moment; a
decrease means a new count began, so the new value is all new use.
"""

from __future__ import annotations

from typing import Any


class FilamentUsage:
    """Millimetres of filament per spool id waiting to be reported to Spoolman."""

    def __init__(self, pending: dict[int, float] | None = None) -> None:
        self.pending: dict[int, float] = dict(pending or {})
        self._last_seen: float | None = None

    def start(self, filament_used: Any) -> None:
        """Klippy is (again) ready: what it reports now was counted before, or never will be."""
        self._last_seen = _as_length(filament_used) or 0.0

    def stop(self) -> None:
        """Klippy went away: nothing is measured until it is ready again."""
        self._last_seen = None

    def observe(self, filament_used: Any, spool_id: int | None) -> None:
        """A new ``filament_used`` value from Klippy, while ``spool_id`` is loaded."""
        value = _as_length(filament_used)
        if value is None or self._last_seen is None:
            return
        used = value - self._last_seen if value >= self._last_seen else value
        self._last_seen = value
        if spool_id is not None and used > 0:
            self.add(spool_id, used)

    def add(self, spool_id: int, length: float) -> None:
        self.pending[spool_id] = self.pending.get(spool_id, 0.0) + length

    def take(self) -> dict[int, float]:
        """Everything pending, now in the caller's hands (``add`` back what fails)."""
        taken, self.pending = self.pending, {}
        return taken

    def drop(self, spool_id: int) -> None:
        """The spool is gone from Spoolman: its use can no longer be reported."""
        self.pending.pop(spool_id, None)

    def as_record(self) -> dict[str, float]:
        """The database form (keys are strings there)."""
        return {str(spool_id): length for spool_id, length in self.pending.items()}

    @classmethod
    def from_record(cls, record: Any) -> "FilamentUsage":
        pending: dict[int, float] = {}
        if isinstance(record, dict):
            for key, length in record.items():
                value = _as_length(length)
                if str(key).lstrip("-").isdigit() and value is not None and value > 0:
                    pending[int(key)] = value
        return cls(pending)


def _as_length(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
