from twisted.trial.unittest import SynchronousTestCase

from moontwist.database import records
from moontwist.errors import ApiError


class ParseApiKeyTests(SynchronousTestCase):
    def test_dotted_string_splits_into_path(self) -> None:
        self.assertEqual(records.parse_api_key("a.b.c"), ["a", "b", "c"])

    def test_list_keeps_dots_inside_components(self) -> None:
        self.assertEqual(records.parse_api_key(["benchy.gcode", "size"]), ["benchy.gcode", "size"])

    def test_number_is_one_component(self) -> None:
        self.assertEqual(records.parse_api_key(5), ["5"])

    def test_empty_components_are_invalid_key_format(self) -> None:
        for key in ("", "a..b", ".a", "a.", [], ["a", ""], ["a", 1], None, {"a": 1}):
            with self.subTest(key=key):
                error = self.assertRaises(ApiError, records.parse_api_key, key)
                self.assertEqual((error.status, error.message), (400, "Invalid Key Format"))


class NestedFieldTests(SynchronousTestCase):
    def test_record_path_keeps_a_string_whole(self) -> None:
        self.assertEqual(records.record_path("a.b"), ["a.b"])
        self.assertEqual(records.record_path(("a", "b")), ["a", "b"])

    def test_lookup_walks_dicts(self) -> None:
        self.assertEqual(records.lookup({"a": {"b": 1}}, ["a", "b"]), 1)
        self.assertRaises(KeyError, records.lookup, {"a": 1}, ["a", "b"])
        self.assertRaises(KeyError, records.lookup, {"a": {}}, ["a", "b"])

    def test_assign_creates_dicts_and_replaces_non_dicts(self) -> None:
        self.assertEqual(records.assign(5, ["a", "b"], 1), {"a": {"b": 1}})
        self.assertEqual(records.assign({"a": 2, "c": 3}, ["a", "b"], 1), {"a": {"b": 1}, "c": 3})

    def test_remove_pops_the_leaf(self) -> None:
        record = {"a": {"b": 1, "c": 2}}
        self.assertEqual(records.remove(record, ["a", "b"]), 1)
        self.assertEqual(record, {"a": {"c": 2}})
        self.assertRaises(KeyError, records.remove, record, ["a", "b"])
        self.assertRaises(KeyError, records.remove, record, ["a", "c", "d"])
