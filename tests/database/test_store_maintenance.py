"""Whole-store operations: a one-transaction snapshot, replacing everything, compaction."""

from __future__ import annotations

from pathlib import Path

from twisted.trial.unittest import TestCase

from moontwist.errors import ApiError
from tests.database.helpers import open_store


class SnapshotReplaceTests(TestCase):
    async def test_snapshot_holds_every_namespace(self) -> None:
        store = open_store(self)
        await store.import_namespaces({"a": {"x": 1, "y": {"z": [1]}}, "b": {"k": "v"}})
        self.assertEqual(store.snapshot(), {"a": {"x": 1, "y": {"z": [1]}}, "b": {"k": "v"}})

    async def test_replace_all_leaves_only_the_new_content(self) -> None:
        store = open_store(self)
        await store.import_namespaces({"old": {"gone": 1}, "kept": {"k": "old"}})
        refused = await store.replace_all({"kept": {"k": "new"}, "new": {"n": 2}, "bad": {"": 1}})
        self.assertEqual(len(refused), 1)
        self.assertEqual(store.snapshot(), {"kept": {"k": "new"}, "new": {"n": 2}})


class CompactionTests(TestCase):
    async def test_compaction_shrinks_the_file_and_keeps_every_record(self) -> None:
        store = open_store(self)
        await store.insert_many("bulk", {f"k{i}": "x" * 400 for i in range(3000)})
        await store.insert_many("kept", {"a": 1, "b": {"c": 2}})
        await store.clear("bulk")
        before, after = await store.compact()
        self.assertEqual(before, (store.path / "data.mdb").stat().st_size + (before - after))
        self.assertLess(after, before // 10)
        self.assertEqual(store.snapshot(), {"kept": {"a": 1, "b": {"c": 2}}})
        self.assertEqual([p.name for p in store.path.iterdir() if p.name.startswith(".compact")], [])
        await store.insert("kept", ["after"], True)
        self.assertEqual(store.records("kept")["after"], True)

    async def test_writes_made_during_compaction_wait_and_then_commit(self) -> None:
        store = open_store(self)
        await store.insert("ns", ["before"], 1)
        compacting = store.compact()
        during = store.insert("ns", ["during"], 2)
        self.assertEqual(store.records("ns"), {"before": 1})
        await compacting
        await during
        self.assertEqual(store.records("ns"), {"before": 1, "during": 2})

    async def test_a_second_compaction_at_once_is_refused(self) -> None:
        store = open_store(self)
        first = store.compact()
        error = await self.assertFailure(store.compact(), ApiError)
        self.assertEqual(error.status, 503)
        await first

    async def test_closing_during_compaction_waits_for_it(self) -> None:
        path = Path(self.mktemp()).resolve()
        store = open_store(self, path)
        await store.insert("ns", ["k"], 1)
        compacting = store.compact()
        closing = store.close()
        self.assertFalse(closing.called)
        before, after = await compacting
        self.assertGreater(before, 0)
        await closing
        again = open_store(self, path)
        self.assertEqual(again.records("ns"), {"k": 1})

    async def test_the_store_survives_a_reopen_after_compaction(self) -> None:
        path = Path(self.mktemp()).resolve()
        store = open_store(self, path)
        await store.insert("ns", ["k"], {"v": 1})
        await store.compact()
        await store.close()
        again = open_store(self, path)
        self.assertEqual(again.records("ns"), {"k": {"v": 1}})
