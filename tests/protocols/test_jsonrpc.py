from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.trial.unittest import SynchronousTestCase

from moontwist.protocols import jsoncodec
from moontwist.protocols.jsonrpc import JsonRpcDispatcher, RpcCall, RpcError


class DispatcherCase(SynchronousTestCase):
    """A dispatcher over a few test methods; ``reply`` decodes what it answers."""

    def setUp(self) -> None:
        self.calls: list[RpcCall] = []
        self.dispatcher = JsonRpcDispatcher(self.dispatch)

    def dispatch(self, call: RpcCall) -> Any:
        self.calls.append(call)
        if call.method == "fail":
            return fail(RpcError(-32601, "Method not found"))
        if call.method == "crash":
            raise RuntimeError("boom")
        if call.method == "later":
            return Deferred()
        if call.method == "opaque":
            return succeed({"thing": object()})
        return succeed({"echo": call.params})

    def reply(self, payload: bytes | str) -> Any:
        raw = self.successResultOf(self.dispatcher.handle(payload))
        return None if raw is None else jsoncodec.decode(raw)



class JsonRpcDispatcherTests(DispatcherCase):
    def test_request_gets_result_with_its_id(self) -> None:
        reply = self.reply(b'{"jsonrpc":"2.0","method":"m","params":{"a":1},"id":7}')
        self.assertEqual(reply, {"jsonrpc": "2.0", "result": {"echo": {"a": 1}}, "id": 7})

    def test_missing_params_means_empty_object(self) -> None:
        self.reply(b'{"jsonrpc":"2.0","method":"m","id":1}')
        self.assertEqual(self.calls[0].params, {})

    def test_parse_error_answers_with_null_id(self) -> None:
        self.assertEqual(self.reply(b"{nope"), {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None})

    def test_invalid_utf8_is_a_parse_error(self) -> None:
        self.assertEqual(self.reply(b'{"jsonrpc":"2.0","method":"\xff","id":1}')["error"]["code"], -32700)

    def test_missing_jsonrpc_version_is_invalid_request(self) -> None:
        reply = self.reply(b'{"method":"m","id":3}')
        self.assertEqual((reply["error"]["code"], reply["id"]), (-32600, 3))
        self.assertEqual(self.calls, [])

    def test_non_object_request_is_invalid_request(self) -> None:
        self.assertEqual(self.reply(b"42")["error"]["code"], -32600)

    def test_method_not_a_string_is_invalid_request(self) -> None:
        self.assertEqual(self.reply(b'{"jsonrpc":"2.0","method":5,"id":1}')["error"]["code"], -32600)

    def test_array_params_are_invalid_params(self) -> None:
        reply = self.reply(b'{"jsonrpc":"2.0","method":"m","params":[1],"id":1}')
        self.assertEqual(reply["error"]["code"], -32602)

    def test_notification_gets_no_reply(self) -> None:
        self.assertIsNone(self.reply(b'{"jsonrpc":"2.0","method":"m"}'))
        self.assertEqual(len(self.calls), 1)

    def test_error_from_dispatch_reaches_wire(self) -> None:
        reply = self.reply(b'{"jsonrpc":"2.0","method":"fail","id":2}')
        self.assertEqual(reply["error"], {"code": -32601, "message": "Method not found"})

    def test_unexpected_exception_is_internal_error(self) -> None:
        reply = self.reply(b'{"jsonrpc":"2.0","method":"crash","id":2}')
        self.assertEqual(reply["error"], {"code": -32603, "message": "boom"})

    def test_batch_answers_in_order_without_notifications(self) -> None:
        reply = self.reply(
            b'[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"n"},'
            b'{"jsonrpc":"2.0","method":"fail","id":2},7]'
        )
        self.assertEqual([r.get("id") for r in reply], [1, 2, None])
        self.assertEqual(reply[2]["error"]["code"], -32600)

    def test_batch_of_notifications_gets_no_reply(self) -> None:
        self.assertIsNone(self.reply(b'[{"jsonrpc":"2.0","method":"n"}]'))

    def test_empty_batch_is_invalid_request(self) -> None:
        self.assertEqual(self.reply(b"[]")["error"]["code"], -32600)

    def test_reply_waits_for_a_pending_result(self) -> None:
        self.assertNoResult(self.dispatcher.handle(b'{"jsonrpc":"2.0","method":"later","id":1}'))


class HostileValueTests(DispatcherCase):
    """Values JSON allows but no client may send: refused before any handler runs."""

    def test_non_finite_id_is_invalid_request_with_null_id(self) -> None:
        for raw_id in (b"1e999999", b"NaN", b"-Infinity", b"true", b'"\\ud800"'):
            reply = self.reply(b'{"jsonrpc":"2.0","method":"m","id":' + raw_id + b"}")
            self.assertEqual(reply, {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"},
                                     "id": None}, raw_id)
        self.assertEqual(self.calls, [])

    def test_finite_float_id_is_kept(self) -> None:
        self.assertEqual(self.reply(b'{"jsonrpc":"2.0","method":"m","id":1.5}')["id"], 1.5)

    def test_lone_surrogate_in_params_is_400_with_the_id(self) -> None:
        reply = self.reply(b'{"jsonrpc":"2.0","method":"m","params":{"script":"M118 \\ud800"},"id":4}')
        self.assertEqual(reply, {"jsonrpc": "2.0", "id": 4, "error": {
            "code": 400, "message": "Invalid string: a lone surrogate is not valid Unicode"}})
        self.assertEqual(self.calls, [])

    def test_batch_refuses_only_the_invalid_request(self) -> None:
        reply = self.reply(b'[{"jsonrpc":"2.0","method":"m","params":{"n":NaN},"id":1},'
                           b'{"jsonrpc":"2.0","method":"m","params":{"n":2},"id":2}]')
        self.assertEqual([(r["id"], r.get("error", {}).get("code")) for r in reply], [(1, 400), (2, None)])
        self.assertEqual([call.params for call in self.calls], [{"n": 2}])

    def test_invalid_notification_gets_no_reply(self) -> None:
        self.assertIsNone(self.reply(b'{"jsonrpc":"2.0","method":"m","params":{"n":Infinity}}'))

    def test_result_that_cannot_be_encoded_is_an_internal_error(self) -> None:
        reply = self.reply(b'{"jsonrpc":"2.0","method":"opaque","id":9}')
        self.assertEqual(reply["error"], {"code": -32603, "message": "Result could not be encoded"})
        self.flushLoggedErrors(TypeError)


class ResponseHandlingTests(SynchronousTestCase):
    def test_reply_from_the_peer_goes_to_the_response_handler_and_gets_no_answer(self) -> None:
        replies: list[dict[str, Any]] = []
        dispatcher = JsonRpcDispatcher(lambda call: self.fail("not a request"), replies.append)
        answer = self.successResultOf(dispatcher.handle(b'{"jsonrpc": "2.0", "result": 5, "id": 3}'))
        self.assertIsNone(answer)
        self.assertEqual(replies, [{"jsonrpc": "2.0", "result": 5, "id": 3}])

    def test_without_a_response_handler_a_reply_is_an_invalid_request(self) -> None:
        dispatcher = JsonRpcDispatcher(lambda call: self.fail("not a request"))
        answer = jsoncodec.decode(self.successResultOf(dispatcher.handle(b'{"jsonrpc": "2.0", "result": 5, "id": 3}')))
        self.assertEqual(answer["error"]["code"], -32600)
