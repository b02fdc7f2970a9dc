"""The spoolman service on a Clock: active spool, link status, usage reports, the proxy's checks."""

from __future__ import annotations

from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.spoolman.client import SpoolmanClient, SpoolmanResponse, SpoolmanUnreachable
from moontwist.services.spoolman.urls import InvalidServerUrl, parse_server
from tests.services.spoolman.helpers import SYNC_RATE, SpoolmanTestCase


class ActiveSpoolTests(SpoolmanTestCase):
    def test_the_active_spool_is_read_from_moonrakers_key_at_start(self) -> None:
        self.stored.insert(["spoolman", "spool_id"], 7)
        self.start()
        self.assertEqual(self.call("server.spoolman.get_spool_id"), {"spool_id": 7})

    def test_posting_a_spool_stores_it_then_announces_it(self) -> None:
        self.start()
        self.assertEqual(self.call("server.spoolman.post_spool_id", spool_id=3), {"spool_id": 3})
        self.assertEqual(self.stored.data["spoolman"]["spool_id"], 3)
        self.assertEqual(self.notified("notify_active_spool_set"), [{"spool_id": 3}])
        self.assertEqual(self.call("server.spoolman.post_spool_id"), {"spool_id": None})
        self.assertIsNone(self.stored.data["spoolman"]["spool_id"])
        self.assertEqual(self.notified("notify_active_spool_set"), [{"spool_id": 3}, {"spool_id": None}])

    def test_setting_the_same_spool_again_announces_nothing(self) -> None:
        self.start()
        self.call("server.spoolman.post_spool_id", spool_id=3)
        self.call("server.spoolman.post_spool_id", spool_id="3")
        self.assertEqual(len(self.notified("notify_active_spool_set")), 1)

    def test_a_spool_id_that_is_not_an_integer_is_a_400(self) -> None:
        self.start()
        error = self.call_fails("server.spoolman.post_spool_id", spool_id="blue")
        self.assertEqual((error.status, error.message),
                         (400, "Unable to convert argument [spool_id] to int: value received: blue"))

    def test_klippy_macros_set_the_spool_through_the_remote_method(self) -> None:
        self.start()
        self.connect_klippy()
        self.assertIn("spoolman_set_active_spool", self.klippy.remote_methods)
        self.klippy.send({"method": "spoolman_set_active_spool", "params": {"spool_id": 5}})
        self.assertEqual(self.call("server.spoolman.get_spool_id"), {"spool_id": 5})
        self.klippy.send({"method": "spoolman_set_active_spool", "params": {"spool_id": "x"}})
        self.klippy.send({"method": "spoolman_set_active_spool", "params": {}})
        self.assertEqual(self.notified("notify_active_spool_set"), [{"spool_id": 5}, {"spool_id": None}])


class LinkStatusTests(SpoolmanTestCase):
    def test_status_follows_the_websocket_and_is_announced(self) -> None:
        self.start()
        self.assertEqual(self.call("server.spoolman.status"),
                         {"spoolman_connected": False, "pending_reports": [], "spool_id": None})
        self.service.link_opened()
        self.assertTrue(self.call("server.spoolman.status")["spoolman_connected"])
        self.service.link_closed()
        self.assertEqual(self.notified("notify_spoolman_status_changed"),
                         [{"spoolman_connected": True}, {"spoolman_connected": False}])

    def test_a_spool_deleted_while_away_is_dropped_when_spoolman_returns(self) -> None:
        self.stored.insert(["spoolman", "spool_id"], 9)
        self.spoolman.statuses["/v1/spool/9"] = 404
        self.start()
        self.service.link_opened()
        self.assertIn(("GET", "/v1/spool/9", None), self.spoolman.calls)
        self.assertEqual(self.call("server.spoolman.get_spool_id"), {"spool_id": None})

    def test_an_existing_spool_stays_active_when_spoolman_returns(self) -> None:
        self.stored.insert(["spoolman", "spool_id"], 9)
        self.start()
        self.service.link_opened()
        self.assertEqual(self.call("server.spoolman.get_spool_id"), {"spool_id": 9})

    def test_a_deleted_event_for_the_active_spool_clears_it_and_its_pending_use(self) -> None:
        self.start()
        self.connect_klippy()
        self.call("server.spoolman.post_spool_id", spool_id=4)
        self.extrude(2.0)
        self.service.message_received('{"type": "updated", "resource": "spool", "payload": {"id": 4}}')
        self.service.message_received('{"type": "deleted", "resource": "filament", "payload": {"id": 4}}')
        self.service.message_received("not json")
        self.assertEqual(self.call("server.spoolman.get_spool_id"), {"spool_id": 4})
        self.service.message_received('{"type": "deleted", "resource": "spool", "date": "x", "payload": {"id": 4}}')
        self.assertEqual(self.call("server.spoolman.status")["pending_reports"], [])
        self.assertEqual(self.call("server.spoolman.get_spool_id"), {"spool_id": None})


class UsageReportTests(SpoolmanTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.klippy.objects["print_stats"]["filament_used"] = 40.0
        self.stored.insert(["spoolman", "spool_id"], 2)
        self.start()
        self.connect_klippy()

    def test_use_since_klippy_became_ready_is_reported_every_sync_period(self) -> None:
        self.service.link_opened()
        self.extrude(41.5)
        self.extrude(43.0)
        self.assertEqual(self.call("server.spoolman.status")["pending_reports"],
                         [{"spool_id": 2, "filament_used": 3.0}])
        self.reactor.advance(SYNC_RATE)
        self.assertEqual(self.spoolman.uses(), [("/v1/spool/2/use", 3.0)])
        self.assertEqual(self.call("server.spoolman.status")["pending_reports"], [])
        self.reactor.advance(SYNC_RATE)
        self.assertEqual(len(self.spoolman.uses()), 1)

    def test_use_while_spoolman_is_away_is_stored_and_sent_when_it_returns(self) -> None:
        self.extrude(45.0)
        self.reactor.advance(SYNC_RATE)
        self.assertEqual(self.spoolman.uses(), [])
        self.assertEqual(self.stored.data["spoolman"]["pending_reports"], {"2": 5.0})
        self.service.link_opened()
        self.assertEqual(self.spoolman.uses(), [("/v1/spool/2/use", 5.0)])
        self.assertEqual(self.stored.data["spoolman"]["pending_reports"], {})

    def test_stored_use_survives_a_restart(self) -> None:
        self.extrude(46.0)
        self.successResultOf(self.service.stopService())
        self.assertEqual(self.stored.data["spoolman"]["pending_reports"], {"2": 6.0})
        self.ctx.registry = type(self.ctx.registry)()
        self.klippy_service._remote_methods.clear()
        self.start()
        self.assertEqual(self.call("server.spoolman.status")["pending_reports"],
                         [{"spool_id": 2, "filament_used": 6.0}])
        self.service.link_opened()
        self.assertEqual(self.spoolman.uses(), [("/v1/spool/2/use", 6.0)])

    def test_a_refused_report_is_kept_and_sent_again(self) -> None:
        self.service.link_opened()
        self.spoolman.statuses["/v1/spool/2/use"] = 500
        self.extrude(41.0)
        self.reactor.advance(SYNC_RATE)
        self.extrude(42.0)
        self.assertEqual(self.call("server.spoolman.status")["pending_reports"],
                         [{"spool_id": 2, "filament_used": 2.0}])
        del self.spoolman.statuses["/v1/spool/2/use"]
        self.reactor.advance(SYNC_RATE)
        self.assertEqual(self.spoolman.uses(), [("/v1/spool/2/use", 1.0), ("/v1/spool/2/use", 2.0)])
        self.assertEqual(self.call("server.spoolman.status")["pending_reports"], [])

    def test_an_unreachable_spoolman_keeps_the_report(self) -> None:
        self.service.link_opened()
        self.spoolman.unreachable = True
        self.extrude(41.0)
        self.reactor.advance(SYNC_RATE)
        self.assertEqual(self.stored.data["spoolman"]["pending_reports"], {"2": 1.0})

    def test_use_measured_while_a_report_is_in_flight_is_not_lost(self) -> None:
        self.service.link_opened()
        self.spoolman.hold = True
        self.extrude(41.0)
        self.reactor.advance(SYNC_RATE)
        self.extrude(43.0)
        self.spoolman.release()
        self.spoolman.hold = False
        self.reactor.advance(SYNC_RATE)
        self.assertEqual(self.spoolman.uses(), [("/v1/spool/2/use", 1.0), ("/v1/spool/2/use", 2.0)])

    def test_a_report_for_a_deleted_spool_clears_the_active_spool(self) -> None:
        self.service.link_opened()
        self.spoolman.statuses["/v1/spool/2/use"] = 404
        self.extrude(41.0)
        self.reactor.advance(SYNC_RATE)
        self.assertEqual(self.call("server.spoolman.get_spool_id"), {"spool_id": None})
        self.assertEqual(self.call("server.spoolman.status")["pending_reports"], [])
        self.assertEqual(self.notified("notify_active_spool_set"), [{"spool_id": None}])


class ProxyCheckTests(SpoolmanTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start()

    def test_bad_requests_are_refused_with_moonrakers_messages(self) -> None:
        cases = [
            ({"request_method": "HEAD", "path": "/v1/spool"}, "Invalid HTTP method: HEAD"),
            ({"request_method": "GET", "path": "/v1/spool", "body": {}}, "GET requests cannot have a body"),
            ({"request_method": "GET", "path": "/api/v1/spool"},
             "Invalid path, must start with the API version, e.g. /v1"),
            ({"path": "/v1/spool"}, "No data for argument: request_method"),
        ]
        for args, message in cases:
            error = self.call_fails("server.spoolman.proxy", **args)
            self.assertEqual((error.status, error.message), (400, message))

    def test_while_spoolman_is_away_the_proxy_answers_503_in_either_form(self) -> None:
        error = self.call_fails("server.spoolman.proxy", request_method="GET", path="/v1/spool")
        self.assertEqual((error.status, error.message), (503, "Spoolman server not available"))
        answer = self.call("server.spoolman.proxy", request_method="GET", path="/v1/spool", use_v2_response=True)
        self.assertEqual(answer, {"response": None,
                                  "error": {"status_code": 503, "message": "Spoolman server not available"}})
        self.assertEqual(self.spoolman.calls, [])


class ServerUrlTests(SynchronousTestCase):
    def test_urls_follow_moonrakers_reading_of_the_option(self) -> None:
        urls = parse_server("192.168.1.5:7912")
        self.assertEqual((urls.api, urls.websocket, urls.host, urls.port, urls.tls),
                         ("http://192.168.1.5:7912/api", "ws://192.168.1.5:7912/api/v1/spool",
                          "192.168.1.5", 7912, False))
        urls = parse_server("HTTPS://spool.example.com/prefix/")
        self.assertEqual((urls.api, urls.websocket, urls.port, urls.tls),
                         ("https://spool.example.com/prefix/api", "wss://spool.example.com/prefix/api/v1/spool",
                          443, True))
        self.assertEqual(parse_server("http://[::1]:7912").host, "::1")

    def test_unusable_addresses_are_refused(self) -> None:
        for value in ("http://", "host:99999", "host:port", "a b:7912", ""):
            self.assertRaises(InvalidServerUrl, parse_server, value)



class ClientTests(SynchronousTestCase):
    def test_a_spoolman_that_never_answers_is_unreachable_after_the_timeout(self) -> None:
        reactor = MemoryReactorClock()
        client = SpoolmanClient(reactor, "http://127.0.0.1:7912/api", timeout=3)
        answer = client.request("GET", "/v1/info")
        self.assertEqual(len(reactor.tcpClients), 1)
        reactor.advance(3)
        error = self.failureResultOf(answer, SpoolmanUnreachable).value
        self.assertEqual(str(error), "No answer from Spoolman within 3 s")

    def test_a_response_message_prefers_spoolmans_own(self) -> None:
        own = SpoolmanResponse(404, "Not Found", {}, b'{"message": "No spool with ID 4 found."}')
        self.assertEqual(own.message(), "No spool with ID 4 found.")
        validation = SpoolmanResponse(422, "Unprocessable Entity", {}, b'{"detail": []}')
        self.assertEqual(validation.message(), "HTTP 422: Unprocessable Entity")
