"""Property-based fuzzing of JSON-RPC on a running daemon, over HTTP, the websocket and the Unix socket.

Calls come from the endpoint registry (``strategies.calls``). For each call:
- it gets exactly one well-formed answer (none for a valid notification):
  ``jsonrpc: "2.0"``, its id (null when the id sent was not a valid one), a
  result or an error with an integer code and a message;
- no error is 500 / -32603: every hostile input is a client error;
- the connection stays open (a ``server.info`` on it answers next);
- another client's ``server.info`` keeps answering;
- the daemon's peak memory stays under ``MEMORY_BOUND_KIB``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from hypothesis import given
from twisted.trial.unittest import SynchronousTestCase

from tests.fuzz.daemon import DaemonProcess, wait_until
from tests.fuzz.settings import EXAMPLES, MEMORY_BOUND_KIB, hypothesis_settings
from tests.fuzz.strategies import calls, expected_id, registry_methods, route_calls
from tests.fuzz.wire import Closed, HttpRpc, UnixRpc, WebsocketRpc, server_info

SENTINEL_ID = "sentinel-after-call"
SERVER_ERRORS = (500, -32603)


def check_reply(reply: Any, sent_id: Any) -> None:
    """One JSON-RPC reply object (not a batch) is well-formed."""
    assert isinstance(reply, dict), reply
    assert reply.get("jsonrpc") == "2.0", reply
    assert "id" in reply, reply
    assert ("result" in reply) != ("error" in reply), reply
    if "error" in reply:
        error = reply["error"]
        assert isinstance(error.get("code"), int) and isinstance(error.get("message"), str), reply
        assert error["code"] not in SERVER_ERRORS, f"server error for a client's input: {reply}"
    assert reply["id"] in (expected_id(sent_id), None), (reply["id"], sent_id)


def check_answer(answer: Any, sent_id: Any, batch: bool) -> None:
    # A batch that does not parse as a whole is answered with one parse error.
    if batch and not (isinstance(answer, dict) and answer.get("error", {}).get("code") == -32700):
        assert isinstance(answer, list) and answer, answer
        for reply in answer:
            check_reply(reply, sent_id)
    else:
        check_reply(answer, sent_id)


class JsonRpcFuzzTests(SynchronousTestCase):
    """Every registered method, hostile arguments, three transports."""

    def setUp(self) -> None:
        self.daemon = DaemonProcess()
        self.addCleanup(self.daemon.stop)
        self.methods = registry_methods()
        probe = UnixRpc(self.daemon.unix_path)
        wait_until(lambda: server_info(probe)["result"]["klippy_state"] == "ready")
        probe.close()

    def fuzz(self, transport: str, connect: Callable[[], Any], sentinel: bool) -> None:
        holder = {"client": connect()}
        probe = UnixRpc(self.daemon.unix_path)
        cases = {"count": 0, "probe_worst": 0.0}

        @hypothesis_settings()
        @given(calls(self.methods))
        def check(call: tuple[str, bytes, Any]) -> None:
            _, payload, sent_id = call
            cases["count"] += 1
            client = holder["client"]
            batch = payload.startswith(b"[")
            try:
                self.check_call(client, probe, payload, sent_id, batch, sentinel, cases)
            except BaseException:
                # A fresh connection for the next case: no late reply of this one can reach it.
                client.close()
                holder["client"] = connect()
                raise

        check()
        memory = self.daemon.memory()
        figures = {"transport": transport, "cases": cases["count"], "failures": 0,
                   "probe_worst_ms": round(cases["probe_worst"] * 1000, 1),
                   "rss_kib": memory["VmRSS"], "peak_rss_kib": memory["VmHWM"]}
        print("\nfuzz figures:", json.dumps(figures))
        holder["client"].close()
        probe.close()
        self.assertLessEqual(cases["count"], EXAMPLES)
        self.assertLess(memory["VmHWM"], MEMORY_BOUND_KIB)

    def check_call(self, client: Any, probe: UnixRpc, payload: bytes, sent_id: Any, batch: bool,
                   sentinel: bool, cases: dict[str, Any]) -> None:
        try:
            if sentinel:
                answers = self.exchange_with_sentinel(client, payload, sent_id is not ...)
            else:
                answer = client.exchange(payload, expect_reply=True) if sent_id is not ... \
                    else self.http_notification(client, payload)
                answers = [] if answer is None else [answer]
                assert "result" in server_info(client, 2), "connection unusable after the call"
        except Closed as closed:
            raise AssertionError(f"connection closed by the call: {closed}") from None
        if sent_id is not ...:
            assert len(answers) == 1, f"{len(answers)} answers to one call: {answers}"
        assert len(answers) <= 1, answers
        for answer in answers:
            check_answer(answer, sent_id, batch)
        started = time.monotonic()
        assert "result" in server_info(probe, 3), "another client's server.info failed"
        cases["probe_worst"] = max(cases["probe_worst"], time.monotonic() - started)

    @staticmethod
    def exchange_with_sentinel(client: Any, payload: bytes, reply_expected: bool) -> list[Any]:
        """Send the call, then a ``server.info`` on the same connection. Replies before
        the sentinel's belong to the call; a slow call's reply may come after it."""
        client.exchange(payload, expect_reply=False)
        client.exchange(json.dumps({"jsonrpc": "2.0", "method": "server.info", "id": SENTINEL_ID}).encode(),
                        expect_reply=False)
        answers = []
        sentinel_seen = False
        while not sentinel_seen or (reply_expected and not answers):
            reply = client.read_reply()
            if isinstance(reply, dict) and reply.get("id") == SENTINEL_ID and not sentinel_seen:
                assert "result" in reply, reply
                sentinel_seen = True
            else:
                answers.append(reply)
        return answers

    @staticmethod
    def http_notification(client: HttpRpc, payload: bytes) -> Any:
        status, _, body = client.request("POST", "/server/jsonrpc", payload, {"Content-Type": "application/json"})
        assert status == 200, (status, body)
        return json.loads(body) if body else None

    def test_websocket(self) -> None:
        self.fuzz("websocket", lambda: WebsocketRpc(self.daemon.port), sentinel=True)

    def test_unix_socket(self) -> None:
        self.fuzz("unix", lambda: UnixRpc(self.daemon.unix_path), sentinel=True)

    def test_http_jsonrpc(self) -> None:
        self.fuzz("http", lambda: HttpRpc(self.daemon.port), sentinel=False)


class HttpRouteFuzzTests(SynchronousTestCase):
    """Every registry HTTP route with hostile query strings and JSON bodies, on one keep-alive connection:
    a JSON answer with ``result`` or ``error`` (code and message), never 500, the connection kept."""

    def setUp(self) -> None:
        self.daemon = DaemonProcess()
        self.addCleanup(self.daemon.stop)
        self.methods = registry_methods()

    def test_http_routes(self) -> None:
        holder = {"client": HttpRpc(self.daemon.port)}
        probe = UnixRpc(self.daemon.unix_path)
        self.addCleanup(probe.close)
        statuses: dict[int, int] = {}

        @hypothesis_settings()
        @given(route_calls(self.methods))
        def check(call: tuple[str, str, bytes | None]) -> None:
            verb, target, body = call
            headers = {"Content-Type": "application/json"} if body is not None else {}
            try:
                # A request line over 16 KiB is refused with 414 and the connection closed.
                status, _, data = holder["client"].request(verb, target, body, headers, may_close=(414,))
            except Closed as closed:
                holder["client"] = HttpRpc(self.daemon.port)
                raise AssertionError(f"connection closed: {closed}") from None
            statuses[status] = statuses.get(status, 0) + 1
            assert status != 500, (status, data[:300])
            answer = json.loads(data)
            if status < 300:
                assert "result" in answer or verb == "HEAD", answer
            else:
                error = answer["error"]
                assert isinstance(error["code"], int) and isinstance(error["message"], str), answer
            assert "result" in server_info(probe, 3), "another client's server.info failed"

        check()
        holder["client"].close()
        memory = self.daemon.memory()
        print("\nfuzz figures:", json.dumps({"transport": "http-routes", "cases": sum(statuses.values()),
                                             "failures": 0, "statuses": statuses,
                                             "peak_rss_kib": memory["VmHWM"]}))
        self.assertLess(memory["VmHWM"], MEMORY_BOUND_KIB)
