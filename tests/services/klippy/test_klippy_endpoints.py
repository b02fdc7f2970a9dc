"""Klippy's own endpoints as ``printer.<path>``, and remote methods registered by agents."""

from __future__ import annotations

from typing import Any

from moontwist.api import Request, Transport
from moontwist.errors import ApiError
from tests.services.klippy.test_printer import PrinterTestCase

FORWARDED = ["printer.gcode.restart", "printer.gcode.firmware_restart", "printer.pause_resume.pause",
             "printer.pause_resume.resume", "printer.pause_resume.cancel", "printer.bed_mesh.dump_mesh"]


class KlippyEndpointTests(PrinterTestCase):
    def test_endpoints_without_a_handler_of_ours_are_forwarded(self) -> None:
        self.assertEqual(sorted(self.service.klippy_endpoints.methods), sorted(FORWARDED))
        self.klippy.handlers["bed_mesh/dump_mesh"] = lambda params: {"asked": params}
        self.assertEqual(self.result("printer.bed_mesh.dump_mesh", {"meshes": ["default"]}),
                         {"asked": {"meshes": ["default"]}})

    def test_each_is_served_on_get_and_post_without_credentials(self) -> None:
        self.klippy.handlers["bed_mesh/dump_mesh"] = lambda params: params
        registry = self.ctx.registry
        entry = registry.by_route("GET", "/printer/bed_mesh/dump_mesh")
        self.assertIs(entry, registry.by_route("POST", "/printer/bed_mesh/dump_mesh"))
        assert entry is not None
        self.assertEqual(entry.method, "printer.bed_mesh.dump_mesh")
        self.assertEqual(self.result("printer.bed_mesh.dump_mesh", {"token": "x", "access_token": "y", "a": "1"},
                                     Transport.HTTP), {"a": "1"})

    def test_reserved_and_our_own_endpoints_are_not_forwarded(self) -> None:
        methods = {entry.method for entry in self.ctx.registry.endpoints()}
        self.assertFalse({"printer.list_endpoints", "printer.register_remote_method",
                          "printer.gcode.subscribe_output"} & methods)
        self.assertNotIn("printer.objects.list", self.service.klippy_endpoints.methods)
        self.assertNotIn("printer.info", self.service.klippy_endpoints.methods)

    def test_klippys_error_reaches_the_client_as_400(self) -> None:
        error = self.error("printer.pause_resume.pause")
        self.assertEqual((error.status, error.jsonrpc_code), (400, 400))

    def test_while_klippy_is_away_they_answer_503_as_moonraker(self) -> None:
        self.klippy.lose()
        error = self.error("printer.bed_mesh.dump_mesh")
        self.assertEqual((error.jsonrpc_code, error.message), (503, "Klippy Host not connected"))

    def test_replaced_by_what_klippy_lists_after_a_reconnect(self) -> None:
        self.klippy.lose()
        self.klippy.endpoints.remove("bed_mesh/dump_mesh")
        self.klippy.endpoints.append("exclude_object/list")
        self.reactor.advance(1)
        self.klippy.accept()
        self.assertIn("printer.exclude_object.list", self.service.klippy_endpoints.methods)
        self.assertNotIn("printer.bed_mesh.dump_mesh", self.service.klippy_endpoints.methods)
        self.assertEqual(self.error("printer.bed_mesh.dump_mesh").jsonrpc_code, -32601)
        self.assertIsNone(self.ctx.registry.by_route("GET", "/printer/bed_mesh/dump_mesh"))
        self.assertIsNotNone(self.ctx.registry.by_route("POST", "/printer/exclude_object/list"))


class AgentMethodTests(PrinterTestCase):
    def register(self, connection: Any, name: str = "obico_remote_event") -> Any:
        return self.ctx.registry.dispatch(
            Request("connection.register_remote_method", {"method_name": name}, connection.transport, connection))

    def test_an_agent_receives_the_calls_klippy_makes(self) -> None:
        self.a.client_info = {"type": "agent", "client_name": "obico"}
        self.assertEqual(self.successResultOf(self.register(self.a)), "ok")
        self.klippy.pump()
        self.assertIn("obico_remote_event", self.klippy.remote_methods)
        self.klippy.send({"method": "obico_remote_event", "params": {"message": "hi"}})
        self.assertEqual(self.a.notifications("obico_remote_event"), [{"message": "hi"}])

    def test_only_agents_may_register_and_only_once(self) -> None:
        self.a.client_info = {"type": "web", "client_name": "mainsail"}
        error = self.failureResultOf(self.register(self.a), ApiError).value
        self.assertEqual((error.status, error.message), (400, "Only connections of the 'agent' type can register methods"))
        self.b.client_info = {"type": "agent", "client_name": "obico"}
        self.successResultOf(self.register(self.b))
        again = self.failureResultOf(self.register(self.b), ApiError).value
        self.assertEqual(again.message, "Remote method (obico_remote_event) already registered")

    def test_the_method_goes_with_its_connection(self) -> None:
        self.b.client_info = {"type": "agent", "client_name": "obico"}
        self.successResultOf(self.register(self.b))
        self.ctx.connections.remove(self.b)
        self.klippy.send({"method": "obico_remote_event", "params": {}})
        self.assertEqual(self.b.notifications("obico_remote_event"), [])
        self.a.client_info = {"type": "agent", "client_name": "other"}
        self.assertEqual(self.successResultOf(self.register(self.a)), "ok")

    def test_reregistered_with_klippy_after_a_reconnect(self) -> None:
        self.a.client_info = {"type": "agent", "client_name": "obico"}
        self.successResultOf(self.register(self.a))
        self.klippy.pump()
        self.klippy.lose()
        self.reactor.advance(1)
        self.klippy.accept()
        self.assertEqual(self.klippy.remote_methods, ["obico_remote_event", "obico_remote_event"])
        self.klippy.send({"method": "obico_remote_event", "params": {"n": 1}})
        self.assertEqual(self.a.notifications("obico_remote_event"), [{"n": 1}])
