import stat
from pathlib import Path

from twisted.internet import reactor
from twisted.internet.defer import gatherResults
from twisted.trial.unittest import TestCase

from moontwist.database import DatabaseLocked, Namespace, Store, store_path
from moontwist.errors import ApiError
from tests.database.helpers import open_store


class StoreReadWriteTests(TestCase):
    def setUp(self) -> None:
        self.store = open_store(self)

    async def test_insert_then_read_inline(self) -> None:
        await self.store.insert("fluidd", ["uiSettings"], {"theme": "dark"})
        self.assertEqual(self.store.get("fluidd", ["uiSettings", "theme"]), "dark")
        self.assertEqual(self.store.records("fluidd"), {"uiSettings": {"theme": "dark"}})

    async def test_nested_insert_creates_parent_dicts(self) -> None:
        await self.store.insert("client", ["settings", "console", "autocomplete"], True)
        await self.store.insert("client", ["settings", "theme"], "black")
        self.assertEqual(
            self.store.get("client", ["settings"]),
            {"console": {"autocomplete": True}, "theme": "black"},
        )

    async def test_nested_inserts_in_one_batch_all_apply(self) -> None:
        await gatherResults(
            [self.store.insert("client", ["record", f"field{i}"], i) for i in range(20)]
        )
        self.assertEqual(self.store.get("client", ["record"]), {f"field{i}": i for i in range(20)})
        self.assertEqual(self.store.transactions, 1)

    async def test_nested_insert_replaces_a_non_dict_record(self) -> None:
        await self.store.insert("client", ["count"], 5)
        await self.store.insert("client", ["count", "value"], 6)
        self.assertEqual(self.store.get("client", ["count"]), {"value": 6})

    def test_missing_key_is_404_with_moonraker_text(self) -> None:
        error = self.assertRaises(ApiError, self.store.get, "client", ["a", "b"])
        self.assertEqual(
            (error.status, error.message), (404, "Key 'a.b' in namespace 'client' not found")
        )

    async def test_missing_nested_field_is_404(self) -> None:
        await self.store.insert("client", ["a"], {"b": 1})
        error = self.assertRaises(ApiError, self.store.get, "client", ["a", "c"])
        self.assertEqual(error.status, 404)

    async def test_empty_key_component_is_400(self) -> None:
        error = self.assertRaises(ApiError, self.store.get, "client", ["a", ""])
        self.assertEqual((error.status, error.message), (400, "Invalid Key Format"))
        error = await self.assertFailure(self.store.insert("client", [""], 1), ApiError)
        self.assertEqual(error.message, "Invalid Key Format")

    async def test_invalid_namespace_is_400(self) -> None:
        for name in ("", "a\x00b"):
            error = await self.assertFailure(self.store.insert(name, ["k"], 1), ApiError)
            self.assertEqual(error.status, 400)

    async def test_value_that_is_not_json_is_refused_before_queueing(self) -> None:
        error = await self.assertFailure(self.store.insert("c", ["k"], float("nan")), ApiError)
        self.assertEqual(error.status, 400)
        self.assertEqual(self.store.transactions, 0)

    async def test_too_long_key_is_400(self) -> None:
        error = await self.assertFailure(self.store.insert("c", ["k" * 600], 1), ApiError)
        self.assertEqual(error.status, 400)

    async def test_inserted_value_is_a_snapshot(self) -> None:
        value = {"list": [1]}
        written = self.store.insert("c", ["k"], value)
        value["list"].append(2)
        await written
        self.assertEqual(self.store.get("c", ["k"]), {"list": [1]})

    async def test_delete_returns_the_value_and_the_last_delete_removes_the_namespace(self) -> None:
        await gatherResults([self.store.insert("a", ["k"], 1), self.store.insert("b", ["k"], 2)])
        self.assertEqual(self.store.namespaces(), ["a", "b"])
        self.assertEqual(await self.store.delete("a", ["k"]), 1)
        self.assertEqual(self.store.namespaces(), ["b"])
        self.assertEqual(self.store.records("a"), {})

    async def test_nested_delete_keeps_the_record(self) -> None:
        await self.store.insert("a", ["r"], {"x": 1, "y": 2})
        self.assertEqual(await self.store.delete("a", ["r", "x"]), 1)
        self.assertEqual(self.store.get("a", ["r"]), {"y": 2})

    async def test_deleting_a_missing_key_is_404(self) -> None:
        await self.store.insert("a", ["r"], {"x": 1})
        for path in (["s"], ["r", "y"], ["r", "x", "z"]):
            error = await self.assertFailure(self.store.delete("a", path), ApiError)
            self.assertEqual(error.status, 404)
        self.assertEqual(self.store.get("a", ["r"]), {"x": 1})

    async def test_namespaces_are_listed_once_each_in_order(self) -> None:
        names = ["b", "a", "ab", "a b", "z\x01", "é"]
        await gatherResults([self.store.insert(n, [f"k{i}"], i) for n in names for i in range(3)])
        self.assertEqual(self.store.namespaces(), sorted(names))
        self.assertEqual(self.store.keys("a"), ["k0", "k1", "k2"])

    async def test_many_and_clear(self) -> None:
        await self.store.insert_many("a", {"x": 1, "y": 2, "z": 3})
        await self.store.insert("b", ["x"], 9)
        self.assertEqual(await self.store.delete_many("a", ["x", "missing"]), {"x": 1})
        self.assertEqual(self.store.records("a"), {"y": 2, "z": 3})
        await self.store.clear("a")
        self.assertEqual(self.store.namespaces(), ["b"])

    async def test_import_namespaces_reports_refused_records(self) -> None:
        source = {"a": {"x": 1, "": 2}, "b": {"y": float("inf")}}
        refused = await self.store.import_namespaces(source)
        self.assertEqual(len(refused), 2)
        self.assertEqual(self.store.records("a"), {"x": 1})


class StoreLifecycleTests(TestCase):
    async def test_full_map_grows_instead_of_failing(self) -> None:
        store = open_store(self, map_size=64 * 1024)
        await gatherResults([store.insert("big", [f"k{i}"], "x" * 2000) for i in range(300)])
        await store.insert("big", ["huge"], "y" * 2_000_000)
        self.assertGreater(store.map_size, 2_000_000)
        self.assertEqual(len(store.keys("big")), 301)

    async def test_close_commits_queued_writes(self) -> None:
        path = Path(self.mktemp()).resolve()
        store = open_store(self, path)
        writes = [store.insert("a", [f"k{i}"], i) for i in range(10)]
        await store.close()
        await gatherResults(writes)
        reopened = open_store(self, path)
        self.assertEqual(len(reopened.keys("a")), 10)

    async def test_closed_store_is_unavailable(self) -> None:
        store = open_store(self)
        await store.close()
        self.assertEqual(self.assertRaises(ApiError, store.namespaces).status, 503)
        error = await self.assertFailure(store.insert("a", ["k"], 1), ApiError)
        self.assertEqual(error.status, 503)

    def test_a_second_owner_is_refused(self) -> None:
        store = open_store(self)
        other = Store(store.path, reactor)
        self.assertRaises(DatabaseLocked, other.open)

    async def test_store_is_readable_by_its_owner_alone(self) -> None:
        path = Path(self.mktemp()).resolve()
        store = open_store(self, path)
        await store.insert("authorized_users", ["alice"], {"jwt_secret": "seed"})
        modes = {child.name: stat.S_IMODE(child.stat().st_mode) for child in path.iterdir()}
        self.assertEqual((stat.S_IMODE(path.stat().st_mode), modes),
                         (0o700, {"data.mdb": 0o600, "lock.mdb": 0o600, "moontwist.lock": 0o600}))

    async def test_store_created_world_readable_is_tightened_when_opened(self) -> None:
        path = Path(self.mktemp()).resolve()
        await open_store(self, path).close()
        path.chmod(0o755)
        (path / "data.mdb").chmod(0o644)
        open_store(self, path)
        self.assertEqual((stat.S_IMODE(path.stat().st_mode), stat.S_IMODE((path / "data.mdb").stat().st_mode)),
                         (0o700, 0o600))

    def test_store_lives_beside_moonrakers_files(self) -> None:
        self.assertEqual(store_path("/data"), Path("/data/database/moontwist"))


class NamespaceTests(TestCase):
    def setUp(self) -> None:
        self.namespace = Namespace(open_store(self), "gcode_metadata")

    async def test_string_keys_are_whole_record_keys(self) -> None:
        await self.namespace.insert("dir/benchy.gcode", {"size": 10})
        self.assertEqual(self.namespace.get("dir/benchy.gcode"), {"size": 10})
        self.assertEqual(self.namespace.get(["dir/benchy.gcode", "size"]), 10)
        self.assertEqual(self.namespace.keys(), ["dir/benchy.gcode"])
        self.assertEqual(self.namespace.items(), [("dir/benchy.gcode", {"size": 10})])

    async def test_get_default_and_404(self) -> None:
        self.assertIsNone(self.namespace.get("missing", None))
        self.assertEqual(self.assertRaises(ApiError, self.namespace.get, "missing").status, 404)

    async def test_delete_and_batches(self) -> None:
        await self.namespace.insert_many({"a.gcode": 1, "b.gcode": 2})
        self.assertEqual(await self.namespace.delete("a.gcode"), 1)
        self.assertEqual(await self.namespace.delete_many(["b.gcode"]), {"b.gcode": 2})
        await self.namespace.insert("c.gcode", 3)
        await self.namespace.clear()
        self.assertEqual(self.namespace.items(), [])
