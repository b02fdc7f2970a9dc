from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.trial.unittest import SynchronousTestCase

from moontwist.api import Registry, Request, Transport, endpoint
from moontwist.errors import ApiError, jsonrpc_code
from moontwist.protocols.jsonrpc import RpcCall, RpcError


class Sample:
    @endpoint("sample.echo", "GET /sample/echo")
    def echo(self, request: Request) -> Any:
        return {"value": request.get_int("value")}

    @endpoint("sample.later", "POST /sample/later")
    def later(self, request: Request) -> "Deferred[str]":
        return succeed("done")

    @endpoint("sample.coroutine")
    async def coroutine(self, request: Request) -> str:
        return "awaited"

    @endpoint("sample.local", transports=Transport.UNIX)
    def local(self, request: Request) -> str:
        return "local"

    @endpoint("sample.broken")
    def broken(self, request: Request) -> None:
        raise KeyError("gone")

    @endpoint("sample.whoami", "GET /sample/whoami", auth_required=False)
    def whoami(self, request: Request) -> Any:
        return request.user


class RegistryTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.registry = Registry()
        self.registry.register(Sample())

    def call(self, method: str, transport: Transport = Transport.WEBSOCKET, **args: Any) -> Deferred:
        return self.registry.dispatch(Request(method, args, transport))

    def test_declared_method_is_found_by_name_and_route(self) -> None:
        self.assertEqual(self.registry.by_route("GET", "/sample/echo").method, "sample.echo")
        self.assertEqual(self.successResultOf(self.call("sample.echo", value="3")), {"value": 3})

    def test_registering_a_method_twice_is_refused(self) -> None:
        self.assertRaises(ValueError, self.registry.register, Sample())

    def test_deferred_and_coroutine_results(self) -> None:
        self.assertEqual(self.successResultOf(self.call("sample.later")), "done")
        self.assertEqual(self.successResultOf(self.call("sample.coroutine")), "awaited")

    def test_unknown_method_is_404(self) -> None:
        self.assertEqual(self.failureResultOf(self.call("nope"), ApiError).value.status, 404)

    def test_method_on_other_transport_is_404(self) -> None:
        error = self.failureResultOf(self.call("sample.local"), ApiError).value
        self.assertEqual((error.status, error.message), (404, "Method not found for transport WEBSOCKET"))
        self.assertEqual(self.successResultOf(self.call("sample.local", Transport.UNIX)), "local")

    def test_unexpected_handler_error_is_500(self) -> None:
        error = self.failureResultOf(self.call("sample.broken"), ApiError).value
        self.assertEqual(error.status, 500)
        self.flushLoggedErrors(KeyError)

    def test_rpc_dispatch_maps_status_to_jsonrpc_code(self) -> None:
        dispatch = self.registry.rpc_dispatch(Transport.WEBSOCKET)
        failure = self.failureResultOf(dispatch(RpcCall("sample.echo", {}, 1)), RpcError)
        self.assertEqual((failure.value.code, failure.value.message), (400, "No data for argument: value"))
        self.assertEqual(self.failureResultOf(dispatch(RpcCall("nope", {}, 1)), RpcError).value.code, -32601)

    def test_endpoints_require_a_user_unless_declared_open(self) -> None:
        self.assertTrue(self.registry.by_method("sample.echo").auth_required)
        self.assertFalse(self.registry.by_method("sample.whoami").auth_required)

    def test_rpc_dispatch_runs_as_the_connections_current_user(self) -> None:
        class Connection:
            connection_id = 1
            transport = Transport.WEBSOCKET
            user: Any = None

        connection = Connection()
        dispatch = self.registry.rpc_dispatch(Transport.WEBSOCKET, connection)  # type: ignore[arg-type]
        self.assertIsNone(self.successResultOf(dispatch(RpcCall("sample.whoami", {}, 1))))
        connection.user = {"username": "alice"}
        self.assertEqual(self.successResultOf(dispatch(RpcCall("sample.whoami", {}, 2))), {"username": "alice"})
        over_http = self.registry.rpc_dispatch(Transport.HTTP, None, "10.0.0.1", {"username": "bob"})
        self.assertEqual(self.successResultOf(over_http(RpcCall("sample.whoami", {}, 3))), {"username": "bob"})


class JsonRpcCodeTests(SynchronousTestCase):
    def test_moonraker_mapping(self) -> None:
        self.assertEqual([jsonrpc_code(s) for s in (404, 401, 400, 403, 503)], [-32601, -32602, 400, 403, 503])


class RequestGetterTests(SynchronousTestCase):
    def test_missing_argument_message(self) -> None:
        error = self.assertRaises(ApiError, Request("m").get_str, "root")
        self.assertEqual(error.message, "No data for argument: root")

    def test_default_is_returned_unconverted(self) -> None:
        self.assertIsNone(Request("m").get_int("n", None))

    def test_strings_convert_to_declared_types(self) -> None:
        request = Request("m", {"i": "12", "f": "1.5", "b": "True", "l": "a, b"})
        self.assertEqual(
            (request.get_int("i"), request.get_float("f"), request.get_bool("b"), request.get_list("l")),
            (12, 1.5, True, ["a", "b"]),
        )

    def test_wrong_type_message(self) -> None:
        error = self.assertRaises(ApiError, Request("m", {"n": "abc"}).get_int, "n")
        self.assertEqual(error.message, "Unable to convert argument [n] to int: value received: abc")

    def test_bool_is_not_an_int_and_dict_is_not_a_string(self) -> None:
        self.assertRaises(ApiError, Request("m", {"n": True}).get_int, "n")
        self.assertRaises(ApiError, Request("m", {"s": {"a": 1}}).get_str, "s")

    def test_list_items_must_be_strings_or_numbers(self) -> None:
        self.assertEqual(Request("m", {"items": ["a", 1, 2.5]}).get_list("items"), ["a", "1", "2.5"])
        error = self.assertRaises(ApiError, Request("m", {"items": [1, [2, {}]]}).get_list, "items")
        self.assertEqual((error.status, error.message),
                         (400, "Unable to convert argument [items] to list of strings: value received: [1, [2, {}]]"))
        self.assertRaises(ApiError, Request("m", {"items": [None]}).get_list, "items")

    def test_non_finite_float_is_refused(self) -> None:
        for value in ("nan", "inf", "-Infinity", float("inf")):
            error = self.assertRaises(ApiError, Request("m", {"f": value}).get_float, "f")
            self.assertEqual(error.status, 400)

    def test_echoed_value_is_cut_short(self) -> None:
        error = self.assertRaises(ApiError, Request("m", {"n": "x" * 5000}).get_int, "n")
        self.assertEqual(len(error.message), len("Unable to convert argument [n] to int: value received: ") + 203)
