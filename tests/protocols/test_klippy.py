"""The Klippy wire client, driven with a StringTransport and a Clock."""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols import jsoncodec
from moontwist.protocols.klippy import (
    GCODE_METHOD,
    STATUS_METHOD,
    KlippyDisconnected,
    KlippyError,
    KlippyProtocol,
    KlippyTimeout,
)


class RecordingListener:
    def __init__(self) -> None:
        self.statuses: list[tuple[dict[str, Any], float]] = []
        self.gcode: list[str] = []
        self.remote: list[tuple[str, dict[str, Any]]] = []
        self.connected: list[KlippyProtocol] = []
        self.lost: list[KlippyProtocol] = []

    def klippy_connected(self, protocol: KlippyProtocol) -> None:
        self.connected.append(protocol)

    def status_received(self, status: dict[str, Any], eventtime: float) -> None:
        self.statuses.append((status, eventtime))

    def gcode_received(self, response: str) -> None:
        self.gcode.append(response)

    def remote_method_called(self, name: str, params: dict[str, Any]) -> None:
        self.remote.append((name, params))

    def klippy_lost(self, protocol: KlippyProtocol) -> None:
        self.lost.append(protocol)


class KlippyProtocolTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.listener = RecordingListener()
        self.protocol = KlippyProtocol(self.clock, self.listener, timeout=5.0)
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)

    def sent(self) -> list[dict[str, Any]]:
        data = self.transport.value()
        self.transport.clear()
        return [jsoncodec.decode(part) for part in data.split(b"\x03") if part]

    def receive(self, *messages: Any) -> None:
        self.protocol.dataReceived(b"".join(jsoncodec.encode(m) + b"\x03" for m in messages))

    def test_listener_hears_of_the_connection(self) -> None:
        self.assertEqual(self.listener.connected, [self.protocol])

    def test_request_is_framed_json_with_increasing_ids(self) -> None:
        self.protocol.request("info", {"client_info": {"program": "Moonraker"}})
        self.protocol.request("objects/list")
        first, second = self.sent()
        self.assertEqual(first, {"id": 1, "method": "info", "params": {"client_info": {"program": "Moonraker"}}})
        self.assertEqual(second, {"id": 2, "method": "objects/list", "params": {}})

    def test_result_fires_the_matching_request_even_out_of_order(self) -> None:
        slow = self.protocol.request("gcode/script", {"script": "G28"})
        fast = self.protocol.request("info")
        self.receive({"id": 2, "result": {"state": "ready"}}, {"id": 1, "result": {}})
        self.assertEqual(self.successResultOf(fast), {"state": "ready"})
        self.assertEqual(self.successResultOf(slow), {})
        self.assertEqual(self.protocol.pending_count, 0)

    def test_error_carries_klippys_message(self) -> None:
        d = self.protocol.request("gcode/script", {"script": "G1 X500"})
        self.receive({"id": 1, "error": {"error": "WebRequestError", "message": "Must home axis first"}})
        failure = self.failureResultOf(d, KlippyError)
        self.assertEqual((failure.value.message, failure.value.status), ("Must home axis first", 400))

    def test_non_object_error_is_used_as_message(self) -> None:
        d = self.protocol.request("info")
        self.receive({"id": 1, "error": "boom"})
        self.assertEqual(self.failureResultOf(d, KlippyError).value.message, "boom")

    def test_answer_without_result_or_error_is_malformed(self) -> None:
        d = self.protocol.request("info")
        self.receive({"id": 1})
        self.assertEqual(self.failureResultOf(d, KlippyError).value.message, "Malformed Klippy Response")

    def test_request_times_out_with_500(self) -> None:
        d = self.protocol.request("info")
        self.clock.advance(4.9)
        self.assertNoResult(d)
        self.clock.advance(0.1)
        failure = self.failureResultOf(d, KlippyTimeout)
        self.assertEqual((failure.value.message, failure.value.status), ("Klippy request timed out", 500))
        self.receive({"id": 1, "result": {}})
        self.assertEqual(self.protocol.pending_count, 0)

    def test_per_request_timeout_overrides_default(self) -> None:
        d = self.protocol.request("gcode/script", {"script": "M109 S200"}, timeout=60.0)
        self.clock.advance(59)
        self.assertNoResult(d)
        self.clock.advance(1)
        self.failureResultOf(d, KlippyTimeout)

    def test_answer_cancels_the_timeout(self) -> None:
        self.protocol.request("info")
        self.receive({"id": 1, "result": {}})
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_connection_lost_fails_every_pending_request_at_once(self) -> None:
        requests = [self.protocol.request("gcode/script", {"script": f"G4 P{n}"}) for n in range(3)]
        self.protocol.connectionLost(Failure(ConnectionDone()))
        for d in requests:
            failure = self.failureResultOf(d, KlippyDisconnected)
            self.assertEqual((failure.value.message, failure.value.status), ("Klippy Disconnected", 503))
        self.assertEqual(self.clock.getDelayedCalls(), [])
        self.assertEqual(self.listener.lost, [self.protocol])

    def test_request_after_disconnect_fails_immediately(self) -> None:
        self.protocol.connectionLost(Failure(ConnectionDone()))
        self.failureResultOf(self.protocol.request("info"), KlippyDisconnected)

    def test_cancelling_a_request_forgets_it(self) -> None:
        d = self.protocol.request("info")
        d.cancel()
        self.failureResultOf(d, CancelledError)
        self.assertEqual(self.protocol.pending_count, 0)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_unencodable_params_fail_without_sending(self) -> None:
        d = self.protocol.request("gcode/script", {"script": object()})
        self.failureResultOf(d, TypeError)
        self.assertEqual(self.transport.value(), b"")

    def test_subscription_update_goes_to_listener(self) -> None:
        self.receive({"method": STATUS_METHOD, "params": {"eventtime": 12.5, "status": {"toolhead": {"position": [1, 2, 3, 4]}}}})
        self.assertEqual(self.listener.statuses, [({"toolhead": {"position": [1, 2, 3, 4]}}, 12.5)])

    def test_gcode_output_goes_to_listener(self) -> None:
        self.receive({"method": GCODE_METHOD, "params": {"response": "// Klipper state: Ready"}})
        self.assertEqual(self.listener.gcode, ["// Klipper state: Ready"])

    def test_remote_method_call_goes_to_listener(self) -> None:
        self.receive({"method": "paneldue_beep", "params": {"frequency": 300, "duration": 1.0}}, {"method": "reboot_machine"})
        self.assertEqual(self.listener.remote, [("paneldue_beep", {"frequency": 300, "duration": 1.0}), ("reboot_machine", {})])

    def test_templates_use_the_push_method_names(self) -> None:
        self.protocol.subscribe_objects({"webhooks": None})
        self.protocol.subscribe_gcode_output()
        self.protocol.register_remote_method("reboot_machine")
        self.protocol.query_objects({"toolhead": ["position"]})
        subscribe, output, remote, query = self.sent()
        self.assertEqual(subscribe["params"], {"objects": {"webhooks": None}, "response_template": {"method": STATUS_METHOD}})
        self.assertEqual(output["params"], {"response_template": {"method": GCODE_METHOD}})
        self.assertEqual(remote["params"], {"response_template": {"method": "reboot_machine"}, "remote_method": "reboot_machine"})
        self.assertEqual(query, {"id": 4, "method": "objects/query", "params": {"objects": {"toolhead": ["position"]}}})

    def test_malformed_messages_are_dropped_and_the_connection_kept(self) -> None:
        d = self.protocol.request("info")
        self.protocol.dataReceived(b"{not json\x03[1,2]\x03")
        self.receive({"method": STATUS_METHOD, "params": [1]}, {"method": STATUS_METHOD, "params": {"status": {}}})
        self.receive({"id": 99, "result": {}}, {"id": 1, "result": {"ok": True}})
        self.assertEqual(self.successResultOf(d), {"ok": True})
        self.assertEqual(self.listener.statuses, [])
        self.assertFalse(self.transport.disconnecting)

    def test_listener_error_does_not_break_the_connection(self) -> None:
        def broken(status: dict[str, Any], eventtime: float) -> None:
            raise RuntimeError("listener bug")

        self.listener.status_received = broken  # type: ignore[method-assign]
        self.receive({"method": STATUS_METHOD, "params": {"eventtime": 1.0, "status": {}}})
        self.receive({"method": GCODE_METHOD, "params": {"response": "ok"}})
        self.assertEqual(self.listener.gcode, ["ok"])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_message_split_across_reads(self) -> None:
        d = self.protocol.request("info")
        data = jsoncodec.encode({"id": 1, "result": {"state": "ready"}}) + b"\x03"
        self.protocol.dataReceived(data[:7])
        self.assertNoResult(d)
        self.protocol.dataReceived(data[7:])
        self.assertEqual(self.successResultOf(d), {"state": "ready"})
