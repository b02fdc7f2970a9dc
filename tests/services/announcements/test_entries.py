"""Entries in the announcements namespace: keys, dismissals and their wake-up on a Clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import TestCase

from moontwist.database import Namespace
from moontwist.errors import ApiError
from moontwist.services.announcements.entries import Entries
from tests.database.helpers import open_store


def entry(entry_id: str, date: float, feed: str = "moonraker") -> dict[str, Any]:
    return {"entry_id": entry_id, "url": None, "title": entry_id, "description": None, "priority": "normal",
            "date": date, "dismissed": False, "date_dismissed": None, "dismiss_wake": None,
            "source": "moonlight", "feed": feed}


class EntriesTests(TestCase):
    def setUp(self) -> None:
        self.path = Path(self.mktemp()).resolve()
        self.store = open_store(self, self.path)
        self.clock = Clock()
        self.clock.advance(1_000_000)
        self.woken: list[str] = []
        self.wake: Deferred[str] = Deferred()
        self.entries = self.make()

    def make(self) -> Entries:
        def on_wake(entry_id: str) -> None:
            self.woken.append(entry_id)
            self.wake.callback(entry_id)

        entries = Entries(Namespace(self.store, "announcements"), self.clock, on_wake)
        self.addCleanup(entries.close)
        return entries

    async def test_keys_count_up_in_hex_and_continue_after_a_reload(self) -> None:
        for index in range(11):
            await self.entries.add(entry(f"m/{index}", float(index)))
        self.assertEqual(Namespace(self.store, "announcements").keys()[-1], "00000A")
        again = self.make()
        await again.load()
        await again.add(entry("m/new", 50.0))
        self.assertEqual(Namespace(self.store, "announcements").get("00000B")["entry_id"], "m/new")
        self.assertEqual([e["entry_id"] for e in again.listed()][:2], ["m/new", "m/10"])

    async def test_dismiss_with_wake_time_wakes_on_the_clock(self) -> None:
        await self.entries.add(entry("m/1", 1.0))
        self.assertTrue(await self.entries.dismiss("m/1", 3600))
        stored = self.entries.listed()[0]
        self.assertEqual((stored["dismissed"], stored["date_dismissed"], stored["dismiss_wake"]),
                         (True, 1_000_000.0, 1_003_600.0))
        self.assertEqual(self.entries.listed(include_dismissed=False), [])
        self.assertFalse(await self.entries.dismiss("m/1", None))
        self.clock.advance(3599)
        self.assertEqual(self.woken, [])
        self.clock.advance(1)
        self.assertEqual(await self.wake, "m/1")
        self.assertEqual(self.entries.listed()[0]["dismissed"], False)
        self.assertIsNone(self.entries.listed()[0]["dismiss_wake"])

    async def test_at_load_a_wake_time_past_or_near_is_lifted_and_a_later_one_scheduled(self) -> None:
        await self.entries.add(entry("m/soon", 1.0))
        await self.entries.add(entry("m/later", 2.0))
        await self.entries.dismiss("m/soon", 5)
        await self.entries.dismiss("m/later", 100)
        again = self.make()
        await again.load()
        states = {e["entry_id"]: e["dismissed"] for e in again.listed()}
        self.assertEqual(states, {"m/soon": False, "m/later": True})
        self.assertEqual(len(self.clock.getDelayedCalls()), 3)
        self.clock.advance(100)
        self.assertEqual(await self.wake, "m/later")

    async def test_unknown_entry_is_400(self) -> None:
        error = await self.assertFailure(Deferred.fromCoroutine(self.entries.dismiss("nope", None)), ApiError)
        self.assertEqual((error.status, error.message), (400, "No key matching entry id: nope"))

    async def test_prune_by_prefix_and_by_feed(self) -> None:
        for entry_id, feed in (("m/1", "moonraker"), ("m/2", "moonraker"), ("k/1", "klipper"), ("c/1", "Custom")):
            await self.entries.add(entry(entry_id, 1.0, feed))
        self.assertTrue(await self.entries.prune_by_prefix("m", ["m/2"]))
        self.assertFalse(await self.entries.prune_by_prefix("m", ["m/2"]))
        self.assertTrue(await self.entries.prune_by_feed("custom"))
        self.assertEqual(sorted(e["entry_id"] for e in self.entries.listed()), ["k/1", "m/2"])
        self.assertFalse(self.entries.has("m/1"))
