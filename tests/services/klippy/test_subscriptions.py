"""The subscription multiplexer: union, cache, per-connection fan-out."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.connections import ConnectionManager
from moontwist.services.klippy.subscriptions import SubscriptionMux, covers, group_key, merge, select
from tests.services.klippy.fakes import FakeConnection


class HelperTests(SynchronousTestCase):
    def test_merge_unions_fields_and_null_wins(self) -> None:
        merged = merge([{"toolhead": ["position"], "extruder": ["target"]},
                        {"toolhead": ["homed_axes", "position"], "extruder": None}])
        self.assertEqual(merged, {"toolhead": ["homed_axes", "position"], "extruder": None})

    def test_group_key_ignores_order_and_duplicates(self) -> None:
        self.assertEqual(group_key({"a": ["y", "x"], "b": None}), group_key({"b": None, "a": ["x", "y", "x"]}))
        self.assertNotEqual(group_key({"a": ["x"]}), group_key({"a": None}))

    def test_covers(self) -> None:
        wide = {"toolhead": None, "extruder": ["target", "temperature"]}
        self.assertTrue(covers(wide, {"toolhead": ["position"], "extruder": ["target"]}))
        self.assertFalse(covers(wide, {"extruder": None}))
        self.assertFalse(covers(wide, {"extruder": ["power"]}))
        self.assertFalse(covers(wide, {"fan": None}))

    def test_select_cuts_to_the_request_and_fills_absent_fields_with_null(self) -> None:
        status = {"toolhead": {"position": [1], "homed_axes": "xyz"}, "nothing": {}}
        self.assertEqual(select(status, {"toolhead": ["position", "bogus"], "nothing": None}),
                         {"toolhead": {"position": [1], "bogus": None}, "nothing": {}})


class MuxTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.mux = SubscriptionMux(ConnectionManager())
        self.a, self.b, self.c = FakeConnection(1), FakeConnection(2), FakeConnection(3)
        self.mux.apply_answer({"toolhead": {"position": [0, 0], "homed_axes": ""},
                               "extruder": {"temperature": 20.0, "target": 0.0}}, 1.0, complete=True)

    def updates(self, connection: FakeConnection) -> list[object]:
        return connection.notifications("notify_status_update")

    def test_union_of_connections_and_owners(self) -> None:
        self.mux.set_owner("history", {"print_stats": None})
        self.mux.set_connection(self.a, {"toolhead": ["position"]})
        self.mux.set_connection(self.b, {"toolhead": ["homed_axes"], "extruder": None})
        self.assertEqual(self.mux.union(), {"print_stats": None, "toolhead": ["homed_axes", "position"], "extruder": None})

    def test_each_connection_gets_only_its_fields(self) -> None:
        self.mux.set_connection(self.a, {"toolhead": ["position"]})
        self.mux.set_connection(self.b, {"extruder": ["temperature"], "toolhead": ["homed_axes"]})
        self.mux.apply_update({"toolhead": {"position": [1, 1]}, "extruder": {"temperature": 21.0}}, 2.0)
        self.assertEqual(self.updates(self.a), [[{"toolhead": {"position": [1, 1]}}, 2.0]])
        self.assertEqual(self.updates(self.b), [[{"extruder": {"temperature": 21.0}}, 2.0]])

    def test_nothing_sent_when_nothing_of_interest_changed(self) -> None:
        self.mux.set_connection(self.a, {"toolhead": ["position"]})
        self.mux.apply_update({"toolhead": {"homed_axes": "x"}}, 2.0)
        self.assertEqual(self.updates(self.a), [])

    def test_values_equal_to_the_cache_are_not_resent(self) -> None:
        self.mux.set_connection(self.a, {"toolhead": None})
        changes = self.mux.apply_update({"toolhead": {"position": [0, 0], "homed_axes": "xy"}}, 2.0)
        self.assertEqual(changes, {"toolhead": {"homed_axes": "xy"}})
        self.assertEqual(self.updates(self.a), [[{"toolhead": {"homed_axes": "xy"}}, 2.0]])

    def test_same_subscription_is_encoded_once_for_many_connections(self) -> None:
        clients = [FakeConnection(10 + n) for n in range(50)]
        for client in clients:
            self.mux.set_connection(client, {"extruder": ["temperature"], "toolhead": ["position"]})
        self.mux.apply_update({"extruder": {"temperature": 30.0}}, 2.0)
        self.assertEqual(sum(client.prepared for client in clients), 1)
        self.assertTrue(all(self.updates(client) == [[{"extruder": {"temperature": 30.0}}, 2.0]] for client in clients))

    def test_different_subscriptions_wanting_the_same_change_share_one_encoding(self) -> None:
        self.mux.set_connection(self.a, {"toolhead": None, "fan": None})
        self.mux.set_connection(self.b, {"toolhead": ["position", "homed_axes"], "extruder": None})
        self.mux.set_connection(self.c, {"toolhead": ["homed_axes"]})
        self.mux.apply_update({"toolhead": {"position": [7, 7]}}, 2.0)
        self.assertEqual(self.a.prepared + self.b.prepared + self.c.prepared, 1)
        self.assertEqual(self.updates(self.a), self.updates(self.b))
        self.assertEqual(self.updates(self.c), [])

    def test_resubscribe_replaces_and_empty_cancels(self) -> None:
        self.mux.set_connection(self.a, {"toolhead": ["position"]})
        self.mux.set_connection(self.a, {"extruder": ["target"]})
        self.mux.apply_update({"toolhead": {"position": [5, 5]}, "extruder": {"target": 200.0}}, 2.0)
        self.assertEqual(self.updates(self.a), [[{"extruder": {"target": 200.0}}, 2.0]])
        self.mux.set_connection(self.a, {})
        self.mux.apply_update({"extruder": {"target": 0.0}}, 3.0)
        self.assertEqual(len(self.updates(self.a)), 1)
        self.assertEqual(self.mux.subscribers(), 0)

    def test_dropped_connection_gets_nothing_more(self) -> None:
        self.mux.set_connection(self.a, {"toolhead": None})
        self.mux.set_connection(self.b, {"toolhead": None})
        self.mux.drop_connection(self.a)
        self.mux.apply_update({"toolhead": {"position": [9, 9]}}, 2.0)
        self.assertEqual(self.updates(self.a), [])
        self.assertEqual(len(self.updates(self.b)), 1)
        self.assertEqual(self.mux.subscribers(), 1)

    def test_answer_pushes_fields_that_changed_since_the_cache(self) -> None:
        self.mux.set_connection(self.a, {"toolhead": ["position"]})
        changes = self.mux.apply_answer({"toolhead": {"position": [3, 3], "homed_axes": "", "max_velocity": 300}}, 5.0)
        self.assertEqual(changes, {"toolhead": {"position": [3, 3]}})
        self.assertEqual(self.updates(self.a), [[{"toolhead": {"position": [3, 3]}}, 5.0]])
        self.assertEqual(self.mux.cache["toolhead"]["max_velocity"], 300)

    def test_complete_answer_replaces_cached_objects(self) -> None:
        self.mux.apply_answer({"toolhead": {"position": [0, 0]}}, 5.0, complete=True)
        self.assertEqual(self.mux.cache, {"toolhead": {"position": [0, 0]}})

    def test_needs_subscribe_only_beyond_what_klippy_has(self) -> None:
        self.assertFalse(self.mux.needs_subscribe({"fan": None}))
        self.mux.klippy_subscription = {"toolhead": None}
        self.assertFalse(self.mux.needs_subscribe({"toolhead": ["position"]}))
        self.assertTrue(self.mux.needs_subscribe({"fan": None}))
