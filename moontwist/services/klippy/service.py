"""The connection to Klippy: reconnects, initialises, tracks state, serves requests.

A ``ClientService`` keeps the Unix-socket connection up (reconnecting with
backoff); each new connection identifies with ``info``, and only counts as
connected once Klippy has answered. Initialisation mirrors Moonraker: poll ``info``
while Klippy starts up, then subscribe (the union of all subscriptions plus
``webhooks``) and to G-code output, and when ready check the required objects
and register remote methods before announcing ``klippy_ready``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Hashable

from twisted.application.internet import ClientService
from twisted.application.service import MultiService
from twisted.internet.defer import CancelledError, Deferred, fail, succeed
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist import MOONRAKER_VERSION
from moontwist.deferred_tls import endpoints
from moontwist.errors import ApiError
from moontwist.protocols.klippy import (
    DEFAULT_TIMEOUT,
    GCODE_METHOD,
    STATUS_METHOD,
    KlippyClientFactory,
    KlippyDisconnected,
    KlippyError,
    KlippyProtocol,
)
from moontwist.services.klippy import gcode_store, temperature_store
from moontwist.services.klippy.agent_methods import AgentMethods
from moontwist.services.klippy.klippy_endpoints import KlippyEndpoints
from moontwist.services.klippy.options import DATA_STORE
from moontwist.services.klippy.printer import PrinterApi
from moontwist.services.klippy.state import Effect, KlippyState, KlippyStateMachine
from moontwist.services.klippy.subscriptions import Objects, Status, SubscriptionMux, select
from moontwist.services.klippy.waiting import WaitingNotice
from moontwist.services.server_options import SERVER

if TYPE_CHECKING:
    from moontwist.connections import ClientConnection
    from moontwist.context import ServerContext

log = Logger()

DEFAULT_GCODE_TIMEOUT = 3600.0
STARTUP_POLL_INTERVAL = 0.25
MAX_RETRY_DELAY = 2.0
REQUIRED_OBJECTS = ("virtual_sdcard", "display_status", "pause_resume")
CLIENT_INFO = {"program": "Moonraker", "version": MOONRAKER_VERSION}
NOTIFICATIONS = {
    Effect.READY: "notify_klippy_ready",
    Effect.SHUTDOWN: "notify_klippy_shutdown",
    Effect.DISCONNECTED: "notify_klippy_disconnected",
}


class KlippyService(MultiService):
    """Klippy's connection, state and subscriptions, and the ``printer.*`` API."""

    def __init__(
        self,
        ctx: "ServerContext",
        socket_path: str,
        *,
        retry_policy: Callable[[int], float] | None = None,
        request_timeout: float = DEFAULT_TIMEOUT,
        gcode_timeout: float = DEFAULT_GCODE_TIMEOUT,
        gcode_store_size: int = gcode_store.DEFAULT_SIZE,
        temperature_store_size: int = temperature_store.DEFAULT_SIZE,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.socket_path = socket_path
        self.request_timeout = request_timeout
        self.gcode_timeout = gcode_timeout
        self.missing_requirements: list[str] = []
        self._machine = KlippyStateMachine()
        self._protocol: KlippyProtocol | None = None
        self._startup_poll: Deferred[None] | None = None
        self._remote_methods: dict[str, Callable[..., Any]] = {}
        self._mux = SubscriptionMux(ctx.connections)
        self._mux.set_owner(self, {"webhooks": None})
        self.gcode_store = gcode_store.GcodeStore(ctx.reactor, gcode_store_size)
        self.temperature_store = temperature_store.TemperatureStore(self, temperature_store_size)
        self._waiting = WaitingNotice(ctx.reactor, socket_path)
        policy = retry_policy or retry_delay

        def retry(attempt: int) -> float:
            self._waiting.attempt_failed()
            return policy(attempt)

        self._link = ClientService(
            endpoints().UNIXClientEndpoint(ctx.reactor, socket_path),
            KlippyClientFactory(ctx.reactor, self, request_timeout),
            retryPolicy=retry,
            clock=ctx.reactor,
        )
        self._link.setServiceParent(self)
        self.temperature_store.setServiceParent(self)
        for api in (PrinterApi(self), self.gcode_store, self.temperature_store, AgentMethods(self)):
            ctx.registry.register(api)
        self.klippy_endpoints = KlippyEndpoints(self, ctx.registry)

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "KlippyService":
        """Built from ``[server] klippy_uds_address`` and the ``[data_store]`` sizes.

        The socket defaults to ``<data_path>/comms/klippy.sock``, where Klipper
        installs put it today (Moonraker's own default is ``/tmp/klippy_uds``).
        """
        socket_path = SERVER.read(ctx.config.section("server"))["klippy_uds_address"]
        store = DATA_STORE.read(ctx.config.section("data_store"))
        return cls(
            ctx,
            str(socket_path),
            gcode_store_size=store["gcode_store_size"],
            temperature_store_size=store["temperature_store_size"],
        )

    # What other services read.

    @property
    def round_trip(self) -> float | None:
        """Seconds Klippy took to answer the last request on this connection."""
        return self._protocol.round_trip if self._protocol is not None else None

    @property
    def connected(self) -> bool:
        return self._machine.connected

    @property
    def state(self) -> str:
        """``disconnected``, ``startup``, ``ready``, ``error`` or ``shutdown``."""
        return self._machine.state.value

    @property
    def status(self) -> Status:
        """Latest value of every subscribed object field (read only)."""
        return self._mux.cache

    def startService(self) -> None:
        self.ctx.connections.on_close.append(self._mux.drop_connection)
        super().startService()

    def stopService(self) -> "Deferred[Any]":
        if self._mux.drop_connection in self.ctx.connections.on_close:
            self.ctx.connections.on_close.remove(self._mux.drop_connection)
        return super().stopService()

    # Requests.

    def request(self, method: str, params: dict[str, Any] | None = None,
                timeout: float | None = None) -> "Deferred[Any]":
        """Call a Klippy endpoint; an empty result becomes ``"ok"``, errors become ApiError."""
        protocol = self._protocol
        if protocol is None:
            return fail(_not_connected())
        return protocol.request(method, params, timeout).addCallbacks(_ok_if_empty, _api_error)

    def run_gcode(self, script: str) -> "Deferred[Any]":
        """Run a G-code script (recorded in the G-code store) and wait until it is done."""
        self.gcode_store.add_command(script)
        return self.request("gcode/script", {"script": script}, self.gcode_timeout)

    def start_print(self, filename: str, user: str | None = None) -> "Deferred[Any]":
        """Print ``filename`` (relative to gcodes) from the virtual SD card.

        Emits ``job_requested(filename, user)`` first, so the job's history
        record carries who asked for it, whichever API started it.
        """
        filename = filename.lstrip("/")
        self.ctx.events.emit("job_requested", filename, user)
        escaped = filename.replace('"', '\\"')
        return self.run_gcode(f'SDCARD_PRINT_FILE FILENAME="{escaped}"')

    def query(self, objects: Objects) -> "Deferred[dict[str, Any]]":
        """``{"eventtime": t, "status": {...}}`` for ``objects``, fresh from Klippy."""
        protocol = self._protocol
        if protocol is None:
            return fail(_not_connected())
        return protocol.query_objects(objects, self.request_timeout).addErrback(_api_error)

    def subscribe(self, owner: Hashable, objects: Objects) -> "Deferred[dict[str, Any]]":
        """Add ``objects`` for a service to the subscription (``{}`` cancels).

        Fires with the current values; later changes arrive as ``status_update``
        events. The subscription is kept across Klippy restarts.
        """
        self._mux.set_owner(owner, objects)
        return self._answer(objects)

    def subscribe_connection(self, connection: "ClientConnection", objects: Objects) -> "Deferred[dict[str, Any]]":
        """As ``subscribe``, for a client that then gets ``notify_status_update``."""
        self._mux.set_connection(connection, objects)
        return self._answer(objects)

    def _answer(self, objects: Objects) -> "Deferred[dict[str, Any]]":
        if not objects:
            return succeed({"eventtime": self._mux.last_eventtime, "status": {}})
        protocol = self._protocol
        if protocol is None:
            return fail(_not_connected())
        if self._mux.needs_subscribe(objects):
            answer = self._subscribe_union(protocol)
        else:
            answer = protocol.query_objects(objects, self.request_timeout)
            if self._mux.klippy_subscription is not None:
                answer.addCallback(self._take_answer, complete=False)
        answer.addCallback(lambda result: {"eventtime": result["eventtime"], "status": select(result["status"], objects)})
        return answer.addErrback(_api_error)

    def _subscribe_union(self, protocol: KlippyProtocol) -> "Deferred[dict[str, Any]]":
        union = self._mux.klippy_subscription = self._mux.union()
        return protocol.subscribe_objects(union, self.request_timeout).addCallback(self._take_answer, complete=True)

    def _take_answer(self, answer: dict[str, Any], complete: bool) -> dict[str, Any]:
        changes = self._mux.apply_answer(answer["status"], answer["eventtime"], complete)
        self._changed(changes, answer["eventtime"])
        return answer

    def register_remote_method(self, name: str, callback: Callable[..., Any]) -> None:
        """Let Klippy macros call ``callback(**params)`` via ``action_call_remote_method(name)``."""
        if name in (STATUS_METHOD, GCODE_METHOD) or name in self._remote_methods:
            raise ValueError(f"Remote method {name!r} already registered")
        self._remote_methods[name] = callback
        protocol = self._protocol
        if protocol is not None and self._machine.initialised and self._machine.reported is KlippyState.READY:
            protocol.register_remote_method(name, self.request_timeout).addErrback(
                lambda failure: log.warn("Could not register remote method {name}: {error}",
                                         name=name, error=failure.getErrorMessage()))

    def unregister_remote_method(self, name: str) -> None:
        """Stop handling ``name`` (Klippy keeps it until it restarts; its calls are then ignored)."""
        self._remote_methods.pop(name, None)

    # Connecting and initialising.

    def klippy_connected(self, protocol: KlippyProtocol) -> None:
        """Identify with ``info``; a connection that fails to is closed (and retried).

        This is not ClientService's ``prepareConnection``: ClientService leaves a
        connection whose preparation failed open, and its state machine breaks
        (``NoTransition``) when that connection closes later or when
        ``stopService`` cancels a preparation. So ClientService only keeps the
        socket up, and ``connected`` here means identified.
        """
        identified = protocol.request("info", {"client_info": CLIENT_INFO}, self.request_timeout)
        identified.addCallback(self._identified, protocol).addErrback(self._identify_failed, protocol)

    def _identify_failed(self, failure: Failure, protocol: KlippyProtocol) -> None:
        if failure.check(KlippyDisconnected):
            return
        log.warn("Klippy did not identify: {error}", error=failure.getErrorMessage())
        if protocol.transport is not None:
            protocol.transport.loseConnection()

    def _identified(self, info: Any, protocol: KlippyProtocol) -> None:
        if not isinstance(info, dict) or not isinstance(info.get("state"), str):
            raise KlippyError("Klippy's info answer has no state")
        log.info("Klippy connection established")
        self._waiting.connected()
        self._protocol = protocol
        self._announce(self._machine.connection_made())
        Deferred.fromCoroutine(self._initialise(protocol, info["state"]))

    async def _initialise(self, protocol: KlippyProtocol, state: str) -> None:
        try:
            await self._initialise_steps(protocol, state)
        except (KlippyDisconnected, CancelledError):
            return
        except Exception:
            log.failure("Klippy initialisation failed; reconnecting")
            if protocol.transport is not None:
                protocol.transport.loseConnection()

    async def _initialise_steps(self, protocol: KlippyProtocol, state: str) -> None:
        while state == KlippyState.STARTUP.value:
            self._startup_poll = deferLater(self.ctx.reactor, STARTUP_POLL_INTERVAL, lambda: None)
            await self._startup_poll
            self._startup_poll = None
            try:
                info = await protocol.request("info", {}, self.request_timeout)
            except KlippyDisconnected:
                raise
            except KlippyError as error:
                log.warn("Klippy info request failed: {error}", error=error.message)
                continue
            state = info.get("state", state)
        self._announce(self._machine.klippy_reported(state))
        await self._offer_klippy_endpoints(protocol)
        answer = await self._subscribe_union(protocol)
        webhooks = answer["status"].get("webhooks") or {}
        self._announce(self._machine.klippy_reported(webhooks.get("state", state)))
        await protocol.subscribe_gcode_output(self.request_timeout)
        if self._machine.reported is KlippyState.READY:
            await self._check_requirements(protocol)
            for name in list(self._remote_methods):
                await protocol.register_remote_method(name, self.request_timeout)
        else:
            log.warn("Klippy is not ready: {message}", message=webhooks.get("state_message", state))
        self._announce(self._machine.initialisation_done())

    async def _offer_klippy_endpoints(self, protocol: KlippyProtocol) -> None:
        try:
            listed = await protocol.request("list_endpoints", {}, self.request_timeout)
        except KlippyDisconnected:
            raise
        except KlippyError as error:
            log.warn("Klippy did not list its endpoints: {error}", error=error.message)
            return
        endpoints = listed.get("endpoints") if isinstance(listed, dict) else None
        self.klippy_endpoints.offer(endpoints if isinstance(endpoints, list) else [])

    async def _check_requirements(self, protocol: KlippyProtocol) -> None:
        listed = await protocol.request("objects/list", {}, self.request_timeout)
        objects = set(listed.get("objects") or ())
        self.missing_requirements = [name for name in REQUIRED_OBJECTS if name not in objects]
        if self.missing_requirements:
            sections = ", ".join(f"[{name}]" for name in self.missing_requirements)
            log.warn("Klipper's printer.cfg is missing these sections: {sections}. "
                     "Add them for Moonraker's full functionality.", sections=sections)

    # What Klippy sends (KlippyListener).

    def status_received(self, status: Status, eventtime: float) -> None:
        self._changed(self._mux.apply_update(status, eventtime), eventtime)

    def _changed(self, changes: Status, eventtime: float) -> None:
        if not changes:
            return
        webhooks = changes.get("webhooks")
        if webhooks and "state" in webhooks:
            self._announce(self._machine.klippy_reported(webhooks["state"]))
        self.ctx.events.emit("status_update", changes, eventtime)

    def gcode_received(self, response: str) -> None:
        self.gcode_store.add_response(response)
        self.ctx.events.emit("gcode_response", response)
        self.ctx.notify("notify_gcode_response", [response])

    def remote_method_called(self, name: str, params: dict[str, Any]) -> None:
        callback = self._remote_methods.get(name)
        if callback is None:
            log.warn("Klippy called unknown remote method {name}", name=name)
            return
        try:
            outcome = callback(**params)
        except Exception:
            log.failure("Remote method {name} failed", name=name)
            return
        if isinstance(outcome, Deferred):
            outcome.addErrback(lambda failure: log.failure("Remote method {name} failed", failure, name=name))

    def klippy_lost(self, protocol: KlippyProtocol) -> None:
        if protocol is not self._protocol:
            return
        log.info("Klippy connection lost")
        self._protocol = None
        self._mux.klippy_subscription = None
        self.missing_requirements = []
        if self._startup_poll is not None:
            self._startup_poll.cancel()
            self._startup_poll = None
        self._announce(self._machine.connection_lost())

    def _announce(self, effects: list[Effect]) -> None:
        for effect in effects:
            if effect is Effect.STATE_CHANGED:
                self.ctx.events.emit(effect.value, self.state)
                continue
            self.ctx.events.emit(effect.value)
            self.ctx.notify(NOTIFICATIONS[effect])


def retry_delay(attempt: int) -> float:
    """Seconds before reconnect attempt ``attempt`` (from 1): 0.25 s as Moonraker, growing to 2 s."""
    return float(min(STARTUP_POLL_INTERVAL * 1.5 ** (attempt - 1), MAX_RETRY_DELAY))


def _not_connected() -> ApiError:
    return ApiError("Klippy Host not connected", 503)


def _ok_if_empty(result: Any) -> Any:
    return result if result else "ok"


def _api_error(failure: Failure) -> Failure:
    if failure.check(KlippyError):
        error = failure.value
        return Failure(ApiError(error.message, error.status))
    return failure
