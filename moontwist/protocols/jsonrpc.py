"""JSON-RPC 2.0 on the wire: parse requests (single or batch), build replies.

Transport-neutral and service-neutral: a caller hands raw bytes and a
``dispatch`` function; errors the dispatcher wants on the wire are raised as
``RpcError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from twisted.internet.defer import Deferred, ensureDeferred, gatherResults, succeed
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.protocols import jsoncodec

log = Logger()

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# A value the edge refuses (see jsoncodec.decode_client): Moonraker answers a
# bad argument with its HTTP status, 400, as the code.
INVALID_VALUE = 400


class RpcError(Exception):
    """An error to put in a JSON-RPC error member."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass
class RpcCall:
    """One well-formed request: the method, its params object, and its id."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)
    id: Any = None
    is_notification: bool = False


Dispatch = Callable[[RpcCall], "Deferred[Any] | Awaitable[Any] | Any"]
# Receives a reply the peer sent to a request of ours (an agent answering).
ResponseHandler = Callable[[dict[str, Any]], None]


def error_response(error: RpcError, request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": error.to_json(), "id": request_id}


def result_response(result: Any, request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


def notification(method: str, params: list[Any] | dict[str, Any] | None = None) -> dict[str, Any]:
    """A server-to-client notification object (no id); a remote method call has named params."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def is_valid_id(request_id: Any) -> bool:
    """A string, a finite number or null, as JSON-RPC 2.0 allows (not NaN, not 1e999)."""
    if request_id is None or isinstance(request_id, str):
        return request_id is None or jsoncodec.invalid_value(request_id) is None
    if isinstance(request_id, bool):
        return False
    return isinstance(request_id, int) or (isinstance(request_id, float) and math.isfinite(request_id))


def is_response(message: Any) -> bool:
    """Whether ``message`` is a reply (result or error, no method) rather than a request."""
    return (
        isinstance(message, dict) and message.get("jsonrpc") == "2.0" and "method" not in message
        and ("result" in message or "error" in message)
    )


def request(method: str, params: list[Any] | dict[str, Any] | None, request_id: int) -> dict[str, Any]:
    """A server-to-client request (an agent's method called through the server)."""
    message = notification(method, params or None)
    message["id"] = request_id
    return message


def parse_call(message: Any) -> RpcCall:
    """Validate one decoded request object, raising RpcError when it is not one."""
    if not isinstance(message, dict):
        raise RpcError(INVALID_REQUEST, "Invalid Request")
    request_id = message.get("id")
    if (message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str)
            or not is_valid_id(request_id)):
        raise RpcError(INVALID_REQUEST, "Invalid Request")
    params = message.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params:")
    return RpcCall(message["method"], params, request_id, "id" not in message)


class JsonRpcDispatcher:
    """Turns one incoming payload into the encoded reply (or None for no reply)."""

    def __init__(self, dispatch: Dispatch, on_response: ResponseHandler | None = None) -> None:
        self._dispatch = dispatch
        self._on_response = on_response

    def handle(self, payload: bytes | str) -> "Deferred[bytes | None]":
        checked = True
        try:
            message = jsoncodec.decode_client(payload)
        except jsoncodec.InvalidValue as error:
            # Well-formed: each request still gets its own answer, with its id.
            message, checked = error.document, False
        except jsoncodec.DecodeError:
            return succeed(jsoncodec.encode(error_response(RpcError(PARSE_ERROR, "Parse error"), None)))
        if isinstance(message, list):
            return self._handle_batch(message, checked)
        handled = self._handle_one(message, checked)
        if fired_with_value(handled):
            return succeed(_encode_optional(handled.result))
        return handled.addCallback(_encode_optional)

    def _handle_batch(self, messages: list[Any], checked: bool) -> "Deferred[bytes | None]":
        if not messages:
            error = RpcError(INVALID_REQUEST, "Invalid Request")
            return succeed(jsoncodec.encode(error_response(error, None)))
        replies = gatherResults([self._handle_one(m, checked) for m in messages], consumeErrors=True)

        def encode_batch(results: list[dict[str, Any] | None]) -> bytes | None:
            present = [r for r in results if r is not None]
            return _encode_reply(present) if present else None

        return replies.addCallback(encode_batch)

    def _handle_one(self, message: Any, checked: bool = True) -> "Deferred[dict[str, Any] | None]":
        if self._on_response is not None and is_response(message):
            self._on_response(message)
            return succeed(None)
        request_id = message.get("id") if isinstance(message, dict) else None
        try:
            call = parse_call(message)
        except RpcError as error:
            return succeed(error_response(error, request_id if is_valid_id(request_id) else None))
        invalid = None if checked else jsoncodec.invalid_value(call.params)
        if invalid is not None:
            return succeed(None if call.is_notification else error_response(RpcError(INVALID_VALUE, invalid), call.id))
        try:
            outcome = self._dispatch(call)
        except Exception:
            outcome = Failure()
        deferred = _as_deferred(outcome)

        def reply(result: Any) -> dict[str, Any] | None:
            return None if call.is_notification else result_response(result, call.id)

        if fired_with_value(deferred):
            return succeed(reply(deferred.result))

        def fail(failure: Failure) -> dict[str, Any] | None:
            if call.is_notification:
                return None
            if failure.check(RpcError):
                return error_response(failure.value, call.id)
            return error_response(RpcError(INTERNAL_ERROR, str(failure.value) or "Internal error"), call.id)

        return deferred.addCallbacks(reply, fail)


def fired_with_value(deferred: "Deferred[Any]") -> bool:
    """Whether ``deferred`` already holds a plain result (most handlers answer at
    once): then it is read directly instead of through a chain of callbacks."""
    return deferred.called and not isinstance(deferred.result, (Failure, Deferred))


def _as_deferred(outcome: Any) -> "Deferred[Any]":
    if isinstance(outcome, Deferred):
        return outcome
    if isinstance(outcome, Failure):
        deferred: Deferred[Any] = Deferred()
        deferred.errback(outcome)
        return deferred
    if hasattr(outcome, "__await__"):
        return ensureDeferred(outcome)
    return succeed(outcome)


def _encode_optional(reply: dict[str, Any] | None) -> bytes | None:
    return None if reply is None else _encode_reply(reply)


def _encode_reply(reply: Any) -> bytes:
    """The encoded reply; a result that cannot be encoded becomes an internal error
    (a handler returned something JSON cannot hold): every request gets its answer."""
    try:
        return jsoncodec.encode(reply)
    except (TypeError, ValueError, RecursionError) as error:
        log.failure("A JSON-RPC reply could not be encoded", failure=Failure(error))
        if isinstance(reply, list):
            return jsoncodec.encode([_unencodable(item) for item in reply])
        return jsoncodec.encode(_unencodable(reply))


def _unencodable(reply: dict[str, Any]) -> dict[str, Any]:
    try:
        jsoncodec.encode(reply)
        return reply
    except (TypeError, ValueError, RecursionError):
        return error_response(RpcError(INTERNAL_ERROR, "Result could not be encoded"), reply.get("id"))
