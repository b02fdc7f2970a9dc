"""The client side of Klippy's API socket: requests with ids and timeouts, pushes to a listener.

Klippy answers a request carrying an ``id`` with ``result`` or ``error``; it
pushes subscription updates, G-code output and remote-method calls as copies of
the ``response_template`` the client gave, with ``params`` added. We always use
templates of the form ``{"method": name}``, so every push looks like a JSON-RPC
notification and is told apart by its method.
"""

from __future__ import annotations

import itertools
from functools import partial
from typing import Any, Callable, Iterator, Protocol

from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IAddress, IDelayedCall, IReactorTime
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.protocols import jsoncodec
from moontwist.protocols.etx import ETXProtocol

log = Logger()

STATUS_METHOD = "process_status_update"
GCODE_METHOD = "process_gcode_response"
DEFAULT_TIMEOUT = 20.0


class KlippyError(Exception):
    """Klippy answered a request with an error; ``message`` is Klippy's text."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KlippyTimeout(KlippyError):
    """Klippy did not answer in time."""

    status = 500

    def __init__(self) -> None:
        super().__init__("Klippy request timed out")


class KlippyDisconnected(KlippyError):
    """The connection closed before Klippy answered (or was never open)."""

    status = 503

    def __init__(self) -> None:
        super().__init__("Klippy Disconnected")


class KlippyListener(Protocol):
    """Who hears of the connection's life and of what Klippy sends without being asked."""

    def klippy_connected(self, protocol: "KlippyProtocol") -> None: ...

    def status_received(self, status: dict[str, Any], eventtime: float) -> None: ...

    def gcode_received(self, response: str) -> None: ...

    def remote_method_called(self, name: str, params: dict[str, Any]) -> None: ...

    def klippy_lost(self, protocol: "KlippyProtocol") -> None: ...


class KlippyProtocol(ETXProtocol):
    """One connection to Klippy. Every request ends: answered, timed out or disconnected."""

    def __init__(self, clock: IReactorTime, listener: KlippyListener, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._clock = clock
        self._listener = listener
        self._timeout = timeout
        self._ids: Iterator[int] = itertools.count(1)
        self._pending: dict[int, tuple[Deferred[Any], IDelayedCall, float]] = {}
        self._lost = False
        self.round_trip: float | None = None  # seconds from request to answer, the last one

    def connectionMade(self) -> None:
        self._listener.klippy_connected(self)

    def request(self, method: str, params: dict[str, Any] | None = None,
                timeout: float | None = None) -> "Deferred[Any]":
        """Send ``method``; fires with Klippy's ``result`` or fails with a KlippyError."""
        if self._lost or self.transport is None or getattr(self.transport, "disconnecting", False):
            return fail(KlippyDisconnected())
        request_id = next(self._ids)
        try:
            message = jsoncodec.encode({"id": request_id, "method": method, "params": params or {}})
        except (TypeError, ValueError) as error:
            return fail(error)
        deferred: Deferred[Any] = Deferred(lambda _: self._forget(request_id))
        timer = self._clock.callLater(self._timeout if timeout is None else timeout, self._expire, request_id)
        self._pending[request_id] = (deferred, timer, self._clock.seconds())
        self.sendMessage(message)
        return deferred

    def subscribe_objects(self, objects: dict[str, Any], timeout: float | None = None) -> "Deferred[Any]":
        """Replace this connection's subscription; updates go to ``status_received``."""
        params = {"objects": objects, "response_template": {"method": STATUS_METHOD}}
        return self.request("objects/subscribe", params, timeout)

    def query_objects(self, objects: dict[str, Any], timeout: float | None = None) -> "Deferred[Any]":
        return self.request("objects/query", {"objects": objects}, timeout)

    def subscribe_gcode_output(self, timeout: float | None = None) -> "Deferred[Any]":
        """Have every line of G-code output sent to ``gcode_received``."""
        params = {"response_template": {"method": GCODE_METHOD}}
        return self.request("gcode/subscribe_output", params, timeout)

    def register_remote_method(self, name: str, timeout: float | None = None) -> "Deferred[Any]":
        """Let Klippy macros call ``name``; calls go to ``remote_method_called``."""
        params = {"response_template": {"method": name}, "remote_method": name}
        return self.request("register_remote_method", params, timeout)

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def messageReceived(self, message: bytes) -> None:
        try:
            decoded = jsoncodec.decode(message)
        except jsoncodec.DecodeError as error:
            log.warn("Dropping undecodable message from Klippy: {error}", error=error)
            return
        if not isinstance(decoded, dict):
            log.warn("Dropping non-object message from Klippy")
            return
        if "method" in decoded:
            self._pushed(decoded)
        else:
            self._answered(decoded)

    def _answered(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        entry = self._pending.pop(request_id, None) if isinstance(request_id, int) else None
        if entry is None:
            log.debug("Klippy answered unknown request {id}", id=request_id)
            return
        deferred, timer, sent_at = entry
        timer.cancel()
        self.round_trip = self._clock.seconds() - sent_at
        if "error" in message:
            error = message["error"]
            text = error.get("message") if isinstance(error, dict) else error
            deferred.errback(KlippyError(str(text)))
        elif "result" in message:
            deferred.callback(message["result"])
        else:
            deferred.errback(KlippyError("Malformed Klippy Response"))

    def _pushed(self, message: dict[str, Any]) -> None:
        method, params = message["method"], message.get("params")
        call = self._push_call(method, {} if params is None else params)
        if call is None:
            log.warn("Dropping malformed push from Klippy: {method}", method=method)
            return
        try:
            call()
        except Exception:
            log.failure("Error handling Klippy push {method}", method=method)

    def _push_call(self, method: Any, params: Any) -> Callable[[], None] | None:
        """The listener call a push asks for, or None when the push is malformed."""
        if not isinstance(method, str) or not isinstance(params, dict):
            return None
        if method == STATUS_METHOD:
            status, eventtime = params.get("status"), params.get("eventtime")
            if isinstance(status, dict) and isinstance(eventtime, (int, float)):
                return partial(self._listener.status_received, status, eventtime)
            return None
        if method == GCODE_METHOD:
            response = params.get("response")
            return partial(self._listener.gcode_received, response) if isinstance(response, str) else None
        return partial(self._listener.remote_method_called, method, params)

    def _expire(self, request_id: int) -> None:
        deferred, _, _ = self._pending.pop(request_id)
        deferred.errback(KlippyTimeout())

    def _forget(self, request_id: int) -> None:
        entry = self._pending.pop(request_id, None)
        if entry is not None:
            entry[1].cancel()

    def connectionLost(self, reason: Failure = Failure(ConnectionError())) -> None:
        self._lost = True
        pending, self._pending = self._pending, {}
        for deferred, timer, _ in pending.values():
            timer.cancel()
            deferred.errback(KlippyDisconnected())
        self._listener.klippy_lost(self)


class KlippyClientFactory(Factory):
    """Builds protocols that share one clock, listener and default timeout."""

    noisy = False  # reconnect attempts would log "Starting factory" every few seconds

    def __init__(self, clock: IReactorTime, listener: KlippyListener, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._clock = clock
        self._listener = listener
        self._timeout = timeout

    def buildProtocol(self, addr: IAddress) -> KlippyProtocol:
        protocol = KlippyProtocol(self._clock, self._listener, self._timeout)
        protocol.factory = self
        return protocol
