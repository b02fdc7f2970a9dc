"""The announcement entries, kept in the protected ``announcements`` namespace.

As in Moonraker, records are keyed by a running hex number (``"00000A"``)
and found by entry id through a map built at start. Every change is awaited
(committed) before the caller announces it.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.database import Namespace
from moontwist.errors import ApiError

log = Logger()

# A dismissal due within this many seconds at start-up is lifted at once.
WAKE_MARGIN = 10.0


class Entries:
    def __init__(self, records: Namespace, reactor: Any, on_wake: Callable[[str], None]) -> None:
        self.records = records
        self.reactor = reactor
        self.on_wake = on_wake
        self.keys: dict[str, str] = {}
        self.next_key = 0
        self.wake_calls: dict[str, Any] = {}

    async def load(self) -> None:
        """Map the stored entries; lift or schedule the dismissals that wake."""
        now = self.reactor.seconds()
        for key, entry in self.records.items():
            self.keys[entry["entry_id"]] = key
            self.next_key = int(key, 16) + 1
            wake = entry.get("dismiss_wake") if entry.get("dismissed") else None
            if wake is None:
                continue
            if wake - now - WAKE_MARGIN < 0:
                await self.records.insert(key, _undismissed(entry))
            else:
                self._schedule_wake(key, wake - now)

    def close(self) -> None:
        for call in self.wake_calls.values():
            if call.active():
                call.cancel()
        self.wake_calls.clear()

    def listed(self, include_dismissed: bool = True) -> list[dict[str, Any]]:
        entries = sorted((entry for _, entry in self.records.items()), key=lambda e: e["date"], reverse=True)
        return entries if include_dismissed else [entry for entry in entries if not entry["dismissed"]]

    def has(self, entry_id: str) -> bool:
        return entry_id in self.keys

    async def add(self, entry: dict[str, Any]) -> None:
        key = f"{self.next_key:06X}"
        self.next_key += 1
        self.keys[entry["entry_id"]] = key
        await self.records.insert(key, entry)

    async def dismiss(self, entry_id: str, wake_time: int | None) -> bool:
        """Mark dismissed (waking after ``wake_time`` seconds); False when it already was."""
        key = self.keys.get(entry_id)
        if key is None:
            raise ApiError(f"No key matching entry id: {entry_id}")
        entry = self.records.get(key)
        if entry["dismissed"]:
            return False
        now = self.reactor.seconds()
        entry.update(dismissed=True, date_dismissed=now)
        if wake_time is not None:
            entry["dismiss_wake"] = now + wake_time
        await self.records.insert(key, entry)
        if wake_time is not None:
            self._schedule_wake(key, wake_time)
        return True

    async def prune(self, keep: Callable[[str], bool]) -> bool:
        """Remove the entries whose id ``keep`` refuses; True when any went."""
        gone = [entry_id for entry_id in self.keys if not keep(entry_id)]
        keys = [self.keys.pop(entry_id) for entry_id in gone]
        for key in keys:
            call = self.wake_calls.pop(key, None)
            if call is not None and call.active():
                call.cancel()
        if keys:
            await self.records.delete_many(keys)
        return bool(keys)

    def prune_by_prefix(self, prefix: str, valid_ids: Iterable[str]) -> "Deferred[bool]":
        valid = set(valid_ids)
        return Deferred.fromCoroutine(self.prune(lambda entry_id: not entry_id.startswith(prefix) or entry_id in valid))

    def prune_by_feed(self, feed: str) -> "Deferred[bool]":
        owners = {entry["entry_id"] for _, entry in self.records.items() if entry["feed"].lower() == feed}
        return Deferred.fromCoroutine(self.prune(lambda entry_id: entry_id not in owners))

    def _schedule_wake(self, key: str, delay: float) -> None:
        previous = self.wake_calls.pop(key, None)
        if previous is not None and previous.active():
            previous.cancel()
        self.wake_calls[key] = self.reactor.callLater(delay, self._wake, key)

    def _wake(self, key: str) -> None:
        self.wake_calls.pop(key, None)
        entry = self.records.get(key, None)
        if entry is None or not entry["dismissed"]:
            return
        woken = self.records.insert(key, _undismissed(entry))
        woken.addCallback(lambda _: self.on_wake(entry["entry_id"]))
        woken.addErrback(lambda failure: log.warn("Announcement {id} not woken: {error}", id=entry["entry_id"],
                                                  error=failure.getErrorMessage()))


def _undismissed(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "dismissed": False, "date_dismissed": None, "dismiss_wake": None}
