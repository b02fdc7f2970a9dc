"""objects/query and objects/subscribe: the 250 ms tick and changed-fields-only pushes."""

from __future__ import annotations

from .support import ORIGIN, SimulatorTestCase


class QueryTimingTests(SimulatorTestCase):
    def test_query_is_answered_on_the_next_reactor_turn_when_idle(self) -> None:
        request_id = self.client.request("objects/query", objects={"webhooks": ["state"]})
        self.assertIsNone(self.client.reply(request_id))
        self.clock.advance(0)
        self.assertEqual(self.client.result(request_id),
                         {"eventtime": ORIGIN, "status": {"webhooks": {"state": "ready"}}})

    def test_query_waits_for_the_next_250ms_tick_while_a_subscription_runs(self) -> None:
        self.subscribe({"webhooks": None})
        self.clock.advance(0.1)
        request_id = self.client.request("objects/query", objects={"webhooks": ["state"]})
        self.clock.advance(0.1)
        self.assertIsNone(self.client.reply(request_id))
        self.clock.advance(0.05)
        self.assertEqual(self.client.result(request_id)["eventtime"], ORIGIN + 0.25)

    def test_timer_stops_when_nothing_is_subscribed(self) -> None:
        self.query({"webhooks": None})
        self.clock.advance(0.25)
        self.assertIsNone(self.printer.host.status.timer)

    def test_unknown_object_is_empty_and_unknown_field_is_null(self) -> None:
        status = self.query({"nothing_here": None, "toolhead": ["homed_axes", "no_such_field"]})
        self.assertEqual(status, {"nothing_here": {}, "toolhead": {"homed_axes": "", "no_such_field": None}})


class SubscriptionTests(SimulatorTestCase):
    def test_subscribe_answers_with_a_full_query(self) -> None:
        result = self.subscribe({"gcode_move": ["speed", "absolute_coordinates"], "pause_resume": None})
        self.assertEqual(result["status"], {"gcode_move": {"speed": 1500.0, "absolute_coordinates": True},
                                            "pause_resume": {"is_paused": False}})

    def test_pushes_carry_only_changed_fields_with_the_clients_template(self) -> None:
        self.subscribe({"gcode_move": ["speed", "absolute_coordinates", "absolute_extrude"]})
        self.client.messages()
        self.script_ok("G91")
        self.clock.advance(0.25)
        self.assertEqual(self.client.messages(), [{"method": "st", "params": {
            "eventtime": ORIGIN + 0.25, "status": {"gcode_move": {"absolute_coordinates": False}}}}])

    def test_nothing_is_pushed_while_nothing_changes(self) -> None:
        self.subscribe({"gcode_move": None, "print_stats": None, "webhooks": None, "pause_resume": None})
        self.client.messages()
        self.advance(3.0)
        self.assertEqual(self.client.pushes("st"), [])

    def test_objects_without_changes_are_left_out_of_a_push(self) -> None:
        self.subscribe({"display_status": ["message"], "pause_resume": None})
        self.script_ok("M117 hi")
        self.clock.advance(0.25)
        self.assertEqual(self.client.pushes("st")[0]["status"], {"display_status": {"message": "hi"}})

    def test_a_new_subscription_replaces_the_previous_one(self) -> None:
        self.subscribe({"display_status": ["message"]})
        self.subscribe({"gcode_move": ["absolute_coordinates"]})
        self.client.messages()
        self.script_ok("M117 ignored\nG91")
        self.clock.advance(0.25)
        self.assertEqual(self.client.pushes("st")[0]["status"], {"gcode_move": {"absolute_coordinates": False}})

    def test_null_field_list_is_frozen_to_the_fields_of_the_first_tick(self) -> None:
        self.subscribe({"gcode_macro BEEP": None})
        self.assertEqual(self.printer.host.status.subscriptions[self.client.protocol].objects,
                         {"gcode_macro BEEP": ["frequency", "duration"]})

    def test_each_connection_gets_its_own_fields(self) -> None:
        other = self.connect()
        self.subscribe({"gcode_move": ["absolute_coordinates"]})
        self.subscribe({"display_status": ["message"]}, other)
        self.client.messages()
        other.messages()
        self.script_ok("G91\nM117 x")
        self.clock.advance(0.25)
        self.assertEqual(self.client.pushes("st")[0]["status"], {"gcode_move": {"absolute_coordinates": False}})
        self.assertEqual(other.pushes("st")[0]["status"], {"display_status": {"message": "x"}})

    def test_identical_subscriptions_receive_identical_bytes(self) -> None:
        clients = [self.client] + [self.connect() for _ in range(3)]
        for client in clients:
            self.subscribe({"gcode_move": ["absolute_coordinates"]}, client)
            client.transport.clear()
        self.script_ok("G91")
        self.clock.advance(0.25)
        payloads = {client.transport.value() for client in clients[1:]}
        self.assertEqual(len(payloads), 1)

    def test_closed_connections_are_dropped_from_the_tick(self) -> None:
        self.subscribe({"webhooks": None})
        self.client.protocol.connectionLost()
        self.clock.advance(0.25)
        self.clock.advance(0.25)
        self.assertEqual(self.printer.host.status.subscriptions, {})
        self.assertIsNone(self.printer.host.status.timer)

    def test_nested_values_are_resent_whole_when_any_part_changes(self) -> None:
        self.home()
        self.subscribe({"toolhead": ["position"]})
        self.client.messages()
        self.script_ok("G1 X5 F6000")
        self.clock.advance(0.25)
        self.assertEqual(self.client.pushes("st")[0]["status"], {"toolhead": {"position": [5.0, 0.0, 0.0, 0.0]}})
