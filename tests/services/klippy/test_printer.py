"""The printer.* endpoints, called through the registry as a transport would."""

from __future__ import annotations

from typing import Any

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request, Transport
from moontwist.errors import ApiError
from tests.services.klippy.fakes import FakeConnection, FakeKlippy, start_service


class PrinterTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.klippy = FakeKlippy(self.reactor)
        self.ctx, self.service = start_service(self.reactor)
        self.klippy.accept()
        self.a, self.b = FakeConnection(101), FakeConnection(102, Transport.UNIX)
        self.ctx.connections.add(self.a)
        self.ctx.connections.add(self.b)

    def call(self, method: str, args: dict[str, Any] | None = None, transport: Transport = Transport.WEBSOCKET,
             connection: Any = None) -> Any:
        request = Request(method, args or {}, transport, connection if connection is not None else self.a)
        if transport is Transport.HTTP:
            request.connection = None
            request.http_verb = "GET"
        result = self.ctx.registry.dispatch(request)
        self.klippy.pump()
        return result

    def result(self, *args: Any, **kwargs: Any) -> Any:
        return self.successResultOf(self.call(*args, **kwargs))

    def error(self, *args: Any, **kwargs: Any) -> ApiError:
        return self.failureResultOf(self.call(*args, **kwargs), ApiError).value

    def updates(self, connection: FakeConnection) -> list[Any]:
        return connection.notifications("notify_status_update")


class ForwardingTests(PrinterTestCase):
    def test_info_is_klippys_info(self) -> None:
        self.assertEqual(self.result("printer.info")["hostname"], "testhost")
        self.assertEqual(self.klippy.requests("info")[-1]["params"], {})

    def test_objects_list_without_params(self) -> None:
        self.assertIn("toolhead", self.result("printer.objects.list")["objects"])

    def test_query_over_jsonrpc(self) -> None:
        answer = self.result("printer.objects.query", {"objects": {"toolhead": ["position"], "gcode_move": None}})
        self.assertEqual(answer, {"eventtime": 100.0, "status": {"toolhead": {"position": [0.0, 0.0, 0.0, 0.0]},
                                                                 "gcode_move": {}}})

    def test_query_without_objects_is_400_as_klippy_answers(self) -> None:
        error = self.error("printer.objects.query")
        self.assertEqual((error.status, error.message), (400, "Missing Argument [objects]"))

    def test_query_over_http_jsonrpc_without_objects_is_400(self) -> None:
        request = Request("printer.objects.query", {}, Transport.HTTP)
        error = self.failureResultOf(self.ctx.registry.dispatch(request), ApiError).value
        self.assertEqual((error.status, error.message), (400, "Missing Argument [objects]"))

    def test_query_with_empty_objects_asks_for_nothing(self) -> None:
        self.assertEqual(self.result("printer.objects.query", {"objects": {}}), {"eventtime": 100.0, "status": {}})
        self.assertEqual(self.result("printer.objects.query", {}, Transport.HTTP), {"eventtime": 100.0, "status": {}})

    def test_query_over_http_query_string(self) -> None:
        args = {"toolhead": "", "extruder": "target,temperature", "token": ""}
        answer = self.result("printer.objects.query", args, Transport.HTTP)
        self.assertEqual(self.klippy.requests("objects/query")[-1]["params"]["objects"],
                         {"toolhead": None, "extruder": ["target", "temperature"]})
        self.assertEqual(answer["status"]["extruder"], {"target": 0.0, "temperature": 21.04})

    def test_query_names_unknown_objects_without_error(self) -> None:
        answer = self.result("printer.objects.query", {"objects": {"q": ["u"], "status": ["update_available"]}})
        self.assertEqual(answer["status"], {"q": {"u": None}, "status": {"update_available": None}})

    def test_malformed_fields_are_refused(self) -> None:
        self.assertEqual(self.error("printer.objects.query", {"objects": {"toolhead": 5}}).status, 400)

    def test_gcode_script_returns_ok_and_is_stored(self) -> None:
        self.assertEqual(self.result("printer.gcode.script", {"script": "G28"}), "ok")
        self.assertEqual(self.klippy.requests("gcode/script")[-1]["params"], {"script": "G28"})
        store = self.result("server.gcode_store")["gcode_store"]
        self.assertEqual((store[-1]["message"], store[-1]["type"]), ("G28", "command"))

    def test_klippy_error_reaches_the_client_as_400(self) -> None:
        self.klippy.handlers["gcode/script"] = lambda params: (_ for _ in ()).throw(LookupError("Must home axis first: 0.000 0.000 0.000 [0.000]"))
        error = self.error("printer.gcode.script", {"script": "G1 X10"})
        self.assertEqual((error.status, error.message), (400, "Must home axis first: 0.000 0.000 0.000 [0.000]"))

    def test_print_start_escapes_the_filename(self) -> None:
        self.assertEqual(self.result("printer.print.start", {"filename": '/dir/my "part".gcode'}), "ok")
        self.assertEqual(self.klippy.requests("gcode/script")[-1]["params"]["script"],
                         'SDCARD_PRINT_FILE FILENAME="dir/my \\"part\\".gcode"')

    def test_print_start_names_the_requesting_user_for_history(self) -> None:
        requested: list[tuple[str, Any]] = []
        self.ctx.events.on("job_requested", lambda filename, user: requested.append((filename, user)))
        request = Request("printer.print.start", {"filename": "a.gcode"}, Transport.WEBSOCKET, self.a,
                          user={"username": "ann"})
        self.ctx.registry.dispatch(request)
        self.klippy.pump()
        self.result("printer.print.start", {"filename": "/b.gcode"})
        self.assertEqual(requested, [("a.gcode", "ann"), ("b.gcode", None)])

    def test_pause_resume_cancel_and_endstops_forward_to_klippy(self) -> None:
        self.klippy.handlers.update({name: lambda params: {} for name in
                                     ("pause_resume/pause", "pause_resume/resume", "pause_resume/cancel")})
        self.klippy.handlers["query_endstops/status"] = lambda params: {"x": "open", "z": "TRIGGERED"}
        for method in ("printer.print.pause", "printer.print.resume", "printer.print.cancel", "printer.emergency_stop"):
            self.assertEqual(self.result(method), "ok")
        self.assertEqual(self.result("printer.query_endstops.status"), {"x": "open", "z": "TRIGGERED"})

    def test_gcode_help(self) -> None:
        self.klippy.handlers["gcode/help"] = lambda params: {"G28": "Home"}
        self.assertEqual(self.result("printer.gcode.help"), {"G28": "Home"})

    def test_restart_counts_the_disconnect_as_done(self) -> None:
        self.klippy.silent.add("gcode/firmware_restart")
        pending = self.call("printer.firmware_restart")
        self.klippy.lose()
        self.assertEqual(self.successResultOf(pending), "ok")

    def test_restart_answered_is_ok(self) -> None:
        self.klippy.handlers["gcode/restart"] = lambda params: {}
        self.assertEqual(self.result("printer.restart"), "ok")

    def test_not_connected_is_503(self) -> None:
        self.klippy.lose()
        error = self.error("printer.info")
        self.assertEqual((error.status, error.message), (503, "Klippy Host not connected"))

    def test_routes_and_verbs(self) -> None:
        routes = {entry.method: (entry.http_verb, entry.http_path) for entry in self.ctx.registry.endpoints()}
        self.assertEqual(routes["printer.objects.query"], ("GET", "/printer/objects/query"))
        self.assertEqual(self.ctx.registry.by_route("POST", "/printer/objects/query"),
                         self.ctx.registry.by_method("printer.objects.query"))
        self.assertEqual(routes["printer.objects.subscribe"], ("POST", "/printer/objects/subscribe"))
        self.assertEqual(routes["printer.print.start"], ("POST", "/printer/print/start"))
        self.assertEqual(routes["server.temperature_store"], ("GET", "/server/temperature_store"))

    def test_subscribe_is_not_served_over_mqtt(self) -> None:
        self.assertEqual(self.error("printer.objects.subscribe", {"objects": {"toolhead": None}}, Transport.MQTT).status, 404)


class SubscribeTests(PrinterTestCase):
    def test_answer_has_only_the_requested_fields(self) -> None:
        answer = self.result("printer.objects.subscribe", {"objects": {"toolhead": ["position"]}})
        self.assertEqual(answer, {"eventtime": 100.0, "status": {"toolhead": {"position": [0.0, 0.0, 0.0, 0.0]}}})

    def test_klippy_is_sent_the_union(self) -> None:
        self.result("printer.objects.subscribe", {"objects": {"toolhead": ["position"]}})
        self.result("printer.objects.subscribe", {"objects": {"toolhead": ["homed_axes"], "extruder": None}},
                    connection=self.b)
        self.assertEqual(self.klippy.subscription["toolhead"], ["homed_axes", "position"])
        self.assertIsNone(self.klippy.subscription["extruder"])
        self.assertIsNone(self.klippy.subscription["webhooks"])

    def test_two_connections_each_get_only_theirs(self) -> None:
        self.result("printer.objects.subscribe", {"objects": {"toolhead": ["position"]}})
        self.result("printer.objects.subscribe", {"objects": {"extruder": ["temperature"]}}, connection=self.b)
        self.klippy.push({"toolhead": {"position": [1.0, 0.0, 0.0, 0.0]}, "extruder": {"temperature": 25.0}}, 101.0)
        self.assertEqual(self.updates(self.a), [[{"toolhead": {"position": [1.0, 0.0, 0.0, 0.0]}}, 101.0]])
        self.assertEqual(self.updates(self.b), [[{"extruder": {"temperature": 25.0}}, 101.0]])

    def test_covered_request_queries_instead_of_resubscribing(self) -> None:
        self.result("printer.objects.subscribe", {"objects": {"toolhead": None}})
        subscribes = len(self.klippy.requests("objects/subscribe"))
        answer = self.result("printer.objects.subscribe", {"objects": {"toolhead": ["position"]}}, connection=self.b)
        self.assertEqual(len(self.klippy.requests("objects/subscribe")), subscribes)
        self.assertEqual(self.klippy.requests("objects/query")[-1]["params"]["objects"], {"toolhead": ["position"]})
        self.assertEqual(answer["status"], {"toolhead": {"position": [0.0, 0.0, 0.0, 0.0]}})

    def test_over_http_with_connection_id(self) -> None:
        args = {"connection_id": "102", "toolhead": "position"}
        answer = self.result("printer.objects.subscribe", args, Transport.HTTP)
        self.assertEqual(answer["status"], {"toolhead": {"position": [0.0, 0.0, 0.0, 0.0]}})
        self.klippy.push({"toolhead": {"position": [2.0, 0.0, 0.0, 0.0]}})
        self.assertEqual(len(self.updates(self.b)), 1)
        self.assertEqual(self.updates(self.a), [])

    def test_over_http_unknown_connection_is_404(self) -> None:
        error = self.error("printer.objects.subscribe", {"connection_id": "7", "toolhead": ""}, Transport.HTTP)
        self.assertEqual((error.status, error.message), (404, "No connection associated with id: 7"))

    def test_over_http_without_connection_id_is_400(self) -> None:
        self.assertEqual(self.error("printer.objects.subscribe", {"toolhead": ""}, Transport.HTTP).status, 400)

    def test_empty_objects_cancels(self) -> None:
        self.result("printer.objects.subscribe", {"objects": {"toolhead": None}})
        self.assertEqual(self.result("printer.objects.subscribe", {"objects": {}})["status"], {})
        self.klippy.push({"toolhead": {"position": [3.0, 0.0, 0.0, 0.0]}})
        self.assertEqual(self.updates(self.a), [])

    def test_closed_connection_is_dropped(self) -> None:
        self.result("printer.objects.subscribe", {"objects": {"toolhead": None}})
        self.ctx.connections.remove(self.a)
        self.klippy.push({"toolhead": {"position": [3.0, 0.0, 0.0, 0.0]}})
        self.assertEqual(self.updates(self.a), [])
        self.assertEqual(self.service._mux.subscribers(), 0)

    def test_unchanged_values_are_not_sent_again(self) -> None:
        self.result("printer.objects.subscribe", {"objects": {"toolhead": ["position", "homed_axes"]}})
        self.klippy.push({"toolhead": {"position": [0.0, 0.0, 0.0, 0.0], "homed_axes": ""}})
        self.assertEqual(self.updates(self.a), [])

    def test_subscription_comes_back_after_klippy_restarts(self) -> None:
        self.result("printer.objects.subscribe", {"objects": {"toolhead": ["position"]}})
        self.klippy.lose()
        self.reactor.advance(0.25)
        restarted = FakeKlippy(self.reactor)
        restarted.objects["toolhead"]["position"] = [5.0, 5.0, 5.0, 0.0]
        restarted.accept()
        union = restarted.requests("objects/subscribe")[0]["params"]["objects"]
        self.assertEqual((union["webhooks"], union["toolhead"]), (None, ["position"]))
        self.assertEqual(self.updates(self.a), [[{"toolhead": {"position": [5.0, 5.0, 5.0, 0.0]}}, 100.0]])
        restarted.push({"toolhead": {"position": [6.0, 5.0, 5.0, 0.0]}}, 101.0)
        self.assertEqual(self.updates(self.a)[-1], [{"toolhead": {"position": [6.0, 5.0, 5.0, 0.0]}}, 101.0])

    def test_subscribing_while_disconnected_fails_but_is_kept(self) -> None:
        self.klippy.lose()
        error = self.error("printer.objects.subscribe", {"objects": {"fan": ["speed"]}})
        self.assertEqual(error.status, 503)
        self.reactor.advance(0.25)
        restarted = FakeKlippy(self.reactor)
        restarted.accept()
        self.assertEqual(restarted.requests("objects/subscribe")[0]["params"]["objects"]["fan"], ["speed"])

    def test_subscribe_timeout_is_500(self) -> None:
        self.klippy.silent.add("objects/subscribe")
        pending = self.call("printer.objects.subscribe", {"objects": {"fan": None}})
        self.reactor.advance(self.service.request_timeout)
        error = self.failureResultOf(pending, ApiError).value
        self.assertEqual((error.status, error.message), (500, "Klippy request timed out"))
