"""The Klippy service's connection life: identify, initialise, states, requests, reconnects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Request
from moontwist.config import load_config
from moontwist.errors import ApiError
from moontwist.services.klippy import KlippyService
from moontwist.services.klippy.service import CLIENT_INFO
from tests.services.klippy.fakes import FakeConnection, FakeKlippy, make_context, start_service

EVENTS = ("klippy_state_changed", "klippy_ready", "klippy_shutdown", "klippy_disconnected")


class ServiceTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.reactor = MemoryReactorClock()
        self.klippy = FakeKlippy(self.reactor)

    def start(self, **options: Any) -> None:
        self.ctx, self.service = start_service(self.reactor, **options)
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        for name in EVENTS + ("status_update", "gcode_response"):
            self.ctx.events.on(name, lambda *args, name=name: self.events.append((name, args)))
        self.client = FakeConnection(1)
        self.ctx.connections.add(self.client)

    def event_names(self) -> list[str]:
        return [name for name, _ in self.events if name in EVENTS]


class ConnectingTests(ServiceTestCase):
    def test_identifies_with_client_info_then_initialises_like_moonraker(self) -> None:
        self.start()
        self.klippy.accept()
        methods = [(r["method"], r["params"]) for r in self.klippy.received]
        self.assertEqual(methods[0], ("info", {"client_info": CLIENT_INFO}))
        self.assertEqual([m for m, _ in methods[1:5]],
                         ["list_endpoints", "objects/subscribe", "gcode/subscribe_output", "objects/list"])
        self.assertEqual(methods[2][1]["objects"], {"webhooks": None})
        self.assertTrue(self.service.connected)
        self.assertEqual(self.service.state, "ready")
        self.assertEqual(self.service.missing_requirements, [])

    def test_state_events_and_ready_notification(self) -> None:
        self.start()
        self.klippy.accept()
        self.assertEqual(self.events[:3], [("klippy_state_changed", ("startup",)),
                                           ("klippy_state_changed", ("ready",)), ("klippy_ready", ())])
        self.assertEqual(self.client.notifications("notify_klippy_ready"), [None])

    def test_startup_polls_info_every_quarter_second(self) -> None:
        self.klippy.state = "startup"
        self.start()
        self.klippy.accept()
        self.assertEqual(self.service.state, "startup")
        self.assertTrue(self.service.connected)
        self.reactor.advance(0.25)
        self.klippy.pump()
        self.assertEqual(len(self.klippy.requests("info")), 2)
        self.assertEqual(self.klippy.requests("info")[1]["params"], {})
        self.assertEqual(self.klippy.requests("objects/subscribe"), [])
        self.klippy.state = "ready"
        self.reactor.advance(0.25)
        self.klippy.pump()
        self.assertEqual(self.service.state, "ready")
        self.assertEqual(self.event_names(), ["klippy_state_changed", "klippy_state_changed", "klippy_ready"])

    def test_error_state_skips_requirements_and_ready(self) -> None:
        self.klippy.state = "error"
        self.start()
        self.klippy.accept()
        self.assertEqual(self.service.state, "error")
        self.assertEqual(self.klippy.requests("objects/list"), [])
        self.assertNotIn("klippy_ready", self.event_names())
        self.assertEqual(self.client.notifications("notify_klippy_ready"), [])

    def test_shutdown_at_connect_announces_shutdown(self) -> None:
        self.klippy.state = "shutdown"
        self.start()
        self.klippy.accept()
        self.assertEqual(self.service.state, "shutdown")
        self.assertIn("klippy_shutdown", self.event_names())
        self.assertEqual(self.client.notifications("notify_klippy_shutdown"), [None])

    def test_missing_required_objects_are_reported(self) -> None:
        del self.klippy.objects["display_status"], self.klippy.objects["pause_resume"]
        self.start()
        self.klippy.accept()
        self.assertEqual(self.service.missing_requirements, ["display_status", "pause_resume"])
        self.assertEqual(self.service.state, "ready")

    def test_failed_identify_drops_the_connection_and_retries(self) -> None:
        self.klippy.handlers["info"] = lambda params: (_ for _ in ()).throw(LookupError("not now"))
        self.start()
        self.klippy.accept()
        self.assertFalse(self.service.connected)
        self.assertTrue(self.klippy.transport.disconnecting)
        self.reactor.advance(0)
        self.reactor.advance(0.25)
        self.assertEqual(len(self.reactor.unixClients), 1)
        self.assertEqual(self.service.state, "disconnected")

    def test_unanswered_identify_times_out_and_retries(self) -> None:
        self.klippy.silent.add("info")
        self.start(request_timeout=5.0)
        self.klippy.accept()
        self.reactor.advance(5.0)
        self.assertTrue(self.klippy.transport.disconnecting)
        self.assertEqual(self.service.state, "disconnected")

    def test_refused_connections_are_retried_with_backoff(self) -> None:
        self.start()
        self.klippy.refuse()
        self.reactor.advance(0.3)
        self.klippy.refuse()
        self.reactor.advance(2.0)
        self.klippy.accept()
        self.assertEqual(self.service.state, "ready")

    def test_stop_while_identifying_is_clean(self) -> None:
        self.klippy.silent.add("info")
        self.start()
        self.klippy.accept()
        stopped = self.service.stopService()
        self.reactor.advance(0)
        self.assertEqual(self.successResultOf(stopped), [(True, None), (True, None)])
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_stop_service_disconnects(self) -> None:
        self.start()
        self.klippy.accept()
        stopped = self.service.stopService()
        self.reactor.advance(0)
        self.successResultOf(stopped)
        self.assertEqual(self.service.state, "disconnected")


class StateChangeTests(ServiceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start()
        self.klippy.accept()
        del self.events[:]

    def test_shutdown_push_announces_shutdown(self) -> None:
        self.klippy.push({"webhooks": {"state": "shutdown", "state_message": "Shutdown due to M112 command"}})
        self.assertEqual(self.service.state, "shutdown")
        self.assertEqual(self.event_names(), ["klippy_state_changed", "klippy_shutdown"])
        self.assertEqual(self.client.notifications("notify_klippy_shutdown"), [None])

    def test_disconnect_fails_pending_requests_and_announces(self) -> None:
        self.klippy.silent.add("gcode/script")
        pending = self.service.run_gcode("G4 P10000")
        self.klippy.pump()
        self.klippy.lose()
        error = self.failureResultOf(pending, ApiError).value
        self.assertEqual((error.message, error.status), ("Klippy Disconnected", 503))
        self.assertEqual(self.service.state, "disconnected")
        self.assertFalse(self.service.connected)
        self.assertEqual(self.event_names(), ["klippy_state_changed", "klippy_disconnected"])
        self.assertEqual(self.client.notifications("notify_klippy_disconnected"), [None])

    def test_reconnects_a_quarter_second_after_loss(self) -> None:
        self.klippy.lose()
        self.reactor.advance(0.25)
        second = FakeKlippy(self.reactor)
        second.accept()
        self.assertEqual(self.service.state, "ready")
        self.assertEqual(self.client.notifications("notify_klippy_ready"), [None, None])

    def test_request_when_disconnected_fails_fast(self) -> None:
        self.klippy.lose()
        error = self.failureResultOf(self.service.request("info"), ApiError).value
        self.assertEqual((error.message, error.status), ("Klippy Host not connected", 503))

    def test_request_timeout_is_500(self) -> None:
        self.klippy.silent.add("objects/list")
        pending = self.service.request("objects/list", timeout=2.0)
        self.reactor.advance(2.0)
        error = self.failureResultOf(pending, ApiError).value
        self.assertEqual((error.message, error.status), ("Klippy request timed out", 500))

    def test_klippy_error_is_400_with_klippys_message(self) -> None:
        pending = self.service.request("bed_mesh/dump_mesh")
        self.klippy.pump()
        error = self.failureResultOf(pending, ApiError).value
        self.assertEqual((error.message, error.status), ("webhooks: No registered callback for path 'bed_mesh/dump_mesh'", 400))

    def test_empty_result_becomes_ok(self) -> None:
        pending = self.service.request("emergency_stop")
        self.klippy.pump()
        self.assertEqual(self.successResultOf(pending), "ok")

    def test_gcode_output_is_notified_stored_and_emitted(self) -> None:
        self.klippy.output("// Klipper state: Ready")
        self.assertEqual(self.client.notifications("notify_gcode_response"), [["// Klipper state: Ready"]])
        self.assertIn(("gcode_response", ("// Klipper state: Ready",)), self.events)

    def test_status_update_event_carries_the_change(self) -> None:
        self.klippy.push({"webhooks": {"state_message": "still fine"}}, eventtime=200.0)
        self.assertEqual(self.events, [("status_update", ({"webhooks": {"state_message": "still fine"}}, 200.0))])


class RemoteMethodTests(ServiceTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.calls: list[dict[str, Any]] = []
        self.start()

    def beep(self, **params: Any) -> None:
        self.calls.append(params)

    def test_registered_on_ready_and_again_after_reconnect(self) -> None:
        self.service.register_remote_method("paneldue_beep", self.beep)
        self.klippy.accept()
        self.assertEqual(self.klippy.remote_methods, ["paneldue_beep"])
        self.klippy.lose()
        self.reactor.advance(0.25)
        second = FakeKlippy(self.reactor)
        second.accept()
        self.assertEqual(second.remote_methods, ["paneldue_beep"])

    def test_registered_at_once_when_already_ready(self) -> None:
        self.klippy.accept()
        self.service.register_remote_method("paneldue_beep", self.beep)
        self.klippy.pump()
        self.assertEqual(self.klippy.remote_methods, ["paneldue_beep"])

    def test_not_registered_while_not_ready(self) -> None:
        self.klippy.state = "shutdown"
        self.service.register_remote_method("paneldue_beep", self.beep)
        self.klippy.accept()
        self.assertEqual(self.klippy.remote_methods, [])

    def test_call_from_klippy_runs_the_callback_with_keywords(self) -> None:
        self.service.register_remote_method("paneldue_beep", self.beep)
        self.klippy.accept()
        self.klippy.send({"method": "paneldue_beep", "params": {"frequency": 300, "duration": 1.0}})
        self.assertEqual(self.calls, [{"frequency": 300, "duration": 1.0}])

    def test_failing_callback_is_logged(self) -> None:
        self.service.register_remote_method("paneldue_beep", lambda frequency, duration: None)
        self.klippy.accept()
        self.klippy.send({"method": "paneldue_beep", "params": {"volume": 3}})
        self.assertEqual(len(self.flushLoggedErrors(TypeError)), 1)

    def test_reserved_and_duplicate_names_are_refused(self) -> None:
        self.service.register_remote_method("paneldue_beep", self.beep)
        self.assertRaises(ValueError, self.service.register_remote_method, "paneldue_beep", self.beep)
        self.assertRaises(ValueError, self.service.register_remote_method, "process_status_update", self.beep)


class FromConfigTests(SynchronousTestCase):
    def test_reads_socket_and_store_sizes(self) -> None:
        data = Path(self.mktemp()).absolute()
        data.mkdir()
        (data / "moonraker.conf").write_text(
            "[server]\nklippy_uds_address: {data_path}/comms/klippy.sock\n"
            "[data_store]\ngcode_store_size: 3\ntemperature_store_size: 10\n")
        ctx = make_context(MemoryReactorClock())
        ctx.config = load_config(data / "moonraker.conf", data)
        service = KlippyService.from_config(ctx)
        service.startService()
        self.assertEqual(service.socket_path, str(data / "comms" / "klippy.sock"))
        self.assertEqual(ctx.reactor.unixClients[0][0], service.socket_path)
        for line in ("a", "b", "c", "d"):
            service.gcode_store.add_response(line)
        entries = service.gcode_store.gcode_store(Request("server.gcode_store"))["gcode_store"]
        self.assertEqual([entry["message"] for entry in entries], ["b", "c", "d"])
        self.assertEqual(ctx.config.unread_warnings(), [])

    def test_socket_defaults_to_comms_klippy_sock_in_the_data_folder(self) -> None:
        data = Path(self.mktemp()).absolute()
        data.mkdir()
        (data / "moonraker.conf").write_text("[server]\n")
        ctx = make_context(MemoryReactorClock())
        ctx.config = load_config(data / "moonraker.conf", data)
        service = KlippyService.from_config(ctx)
        self.assertEqual(service.socket_path, str(data / "comms" / "klippy.sock"))
