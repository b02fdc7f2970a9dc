"""The ``spoolman`` component: active spool, Spoolman's link status, usage reports.

As in Moonraker, Spoolman counts as connected while the websocket to its
``/api/v1/spool`` is open, the active spool id lives in the ``moonraker``
namespace at ``spoolman.spool_id``, and filament used goes to
``PUT /api/v1/spool/{id}/use`` every ``sync_rate`` seconds. Beyond Moonraker:
use measured while Spoolman is away is stored (``spoolman.pending_reports``)
and sent when it is back, after a restart too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable

from twisted.application.service import IService, MultiService
from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.config import ConfigError
from moontwist.services.spoolman.client import SpoolmanClient, SpoolmanUnreachable
from moontwist.services.spoolman.endpoints import SpoolmanEndpoints
from moontwist.services.spoolman.link import spoolman_link
from moontwist.services.spoolman.options import SPOOLMAN
from moontwist.services.spoolman.urls import InvalidServerUrl, SpoolmanUrls, parse_server
from moontwist.services.spoolman.usage import FilamentUsage

if TYPE_CHECKING:
    from moontwist.context import ServerContext
    from moontwist.database import Namespace

log = Logger()

NAMESPACE = "moonraker"
SPOOL_ID_KEY = ("spoolman", "spool_id")
PENDING_KEY = ("spoolman", "pending_reports")
SUBSCRIPTION = {"print_stats": ["filament_used"]}
REMOTE_METHOD = "spoolman_set_active_spool"


class SpoolmanService(MultiService):
    """Keeps the link to Spoolman and reports the filament the active spool used."""

    def __init__(self, ctx: "ServerContext", urls: SpoolmanUrls, sync_rate: float,
                 client: SpoolmanClient | None = None, link: Callable[..., IService] = spoolman_link) -> None:
        super().__init__()
        self.ctx = ctx
        self.urls = urls
        self.sync_rate = sync_rate
        self.client = client or SpoolmanClient(ctx.reactor, urls.api)
        self.connected = False
        self.spool_id: int | None = None
        self.usage = FilamentUsage()
        self._stored_pending: dict[str, float] = {}
        self._report_failure_logged = False
        self._reporter = LoopingCall(self.report_usage)
        self._reporter.clock = ctx.reactor
        self._reporting: Deferred[Any] | None = None
        link(ctx.reactor, urls, self).setServiceParent(self)
        ctx.registry.register(SpoolmanEndpoints(self))
        ctx.component("klippy").register_remote_method(REMOTE_METHOD, self._remote_set_active_spool)

    @classmethod
    def from_config(cls, ctx: "ServerContext") -> "SpoolmanService":
        options = SPOOLMAN.read(ctx.config.section("spoolman"))
        server, sync_rate = options["server"], options["sync_rate"]
        try:
            urls = parse_server(server)
        except InvalidServerUrl:
            raise ConfigError(f"Section [spoolman], Option server: {server}: Invalid URL format") from None
        return cls(ctx, urls, sync_rate)

    @property
    def database(self) -> "Namespace":
        return self.ctx.component("database").namespace(NAMESPACE)  # type: ignore[no-any-return]

    @property
    def klippy(self) -> Any:
        return self.ctx.component("klippy")

    def startService(self) -> None:
        spool_id = self.database.get(SPOOL_ID_KEY, None)
        self.spool_id = spool_id if _is_spool_id(spool_id) else None
        self.usage = FilamentUsage.from_record(self.database.get(PENDING_KEY, None))
        self._stored_pending = self.usage.as_record()
        events = self.ctx.events
        events.on("klippy_ready", self._klippy_ready)
        events.on("klippy_disconnected", self._klippy_disconnected)
        events.on("status_update", self._status_update)
        self.klippy.subscribe(self, SUBSCRIPTION).addErrback(lambda failure: None)
        if self.klippy.state == "ready":
            self._klippy_ready()
        super().startService()
        self._reporter.start(self.sync_rate, now=False)

    def stopService(self) -> "Deferred[Any]":
        events = self.ctx.events
        events.off("klippy_ready", self._klippy_ready)
        events.off("klippy_disconnected", self._klippy_disconnected)
        events.off("status_update", self._status_update)
        self.klippy.subscribe(self, {}).addErrback(lambda failure: None)
        if self._reporter.running:
            self._reporter.stop()
        stopped: Deferred[Any] = Deferred.fromCoroutine(self._stop())
        return stopped

    async def _stop(self) -> None:
        await super().stopService()
        if self._reporting is not None:
            await self._reporting
        self.connected = False
        await self._store_pending()

    # Active spool.

    def set_active_spool(self, spool_id: int | None) -> "Deferred[None]":
        """Make ``spool_id`` (or none) the loaded spool; stored, then announced."""
        if spool_id == self.spool_id:
            return succeed(None)
        self.spool_id = spool_id
        log.info("Active spool set to {spool_id}", spool_id=spool_id)
        stored = self.database.insert(SPOOL_ID_KEY, spool_id)
        return stored.addCallback(lambda _: self.ctx.notify("notify_active_spool_set", [{"spool_id": spool_id}]))

    def _remote_set_active_spool(self, spool_id: Any = None) -> "Deferred[None] | None":
        if spool_id is not None and not _is_spool_id(spool_id):
            log.warn("Klippy asked for an invalid spool id: {spool_id!r}", spool_id=spool_id)
            return None
        return self.set_active_spool(spool_id)

    # Filament measured from Klippy.

    def _klippy_ready(self) -> None:
        stats = self.klippy.status.get("print_stats") or {}
        self.usage.start(stats.get("filament_used"))

    def _klippy_disconnected(self) -> None:
        self.usage.stop()

    def _status_update(self, changes: dict[str, Any], eventtime: float) -> None:
        stats = changes.get("print_stats")
        if stats and "filament_used" in stats:
            self.usage.observe(stats["filament_used"], self.spool_id)

    # The link (LinkListener).

    def link_opened(self) -> None:
        log.info("Connected to Spoolman at {url}", url=self.urls.websocket)
        self.connected = True
        self._report_failure_logged = False
        self._announce_status()
        if self.spool_id is not None:
            self._check_spool(self.spool_id)
        if self._reporting is None:
            self.report_usage()

    def link_closed(self) -> None:
        log.info("Spoolman disconnected")
        self.connected = False
        self._announce_status()

    def message_received(self, text: str) -> None:
        try:
            event = json.loads(text)
        except ValueError:
            return
        if not isinstance(event, dict) or event.get("resource") != "spool" or event.get("type") != "deleted":
            return
        payload = event.get("payload")
        if isinstance(payload, dict) and _is_spool_id(payload.get("id")):
            self._spool_deleted(payload["id"])

    def _announce_status(self) -> None:
        self.ctx.notify("notify_spoolman_status_changed", [{"spoolman_connected": self.connected}])

    def _spool_deleted(self, spool_id: int) -> None:
        self.usage.drop(spool_id)
        if spool_id == self.spool_id:
            log.info("Spool {spool_id} was deleted in Spoolman; no spool is active", spool_id=spool_id)
            self.set_active_spool(None)

    def _check_spool(self, spool_id: int) -> None:
        def checked(response: Any) -> None:
            if response.status == 404 and self.spool_id == spool_id:
                self._spool_deleted(spool_id)

        self.client.request("GET", f"/v1/spool/{spool_id}").addCallbacks(
            checked, lambda failure: log.info("Could not check spool {spool_id}: {error}",
                                              spool_id=spool_id, error=failure.getErrorMessage()))

    # Reports.

    def report_usage(self) -> "Deferred[None]":
        """Send what is pending if Spoolman is there; keep in the database what is not sent."""
        if self._reporting is not None:
            return self._reporting
        reporting = self._reporting = Deferred.fromCoroutine(self._report())

        def done(result: Any) -> None:
            self._reporting = None
            if isinstance(result, Failure):
                log.failure("Spoolman usage report failed", result)

        reporting.addBoth(done)
        return reporting

    async def _report(self) -> None:
        if self.connected:
            for spool_id, length in self.usage.take().items():
                if not self.connected:
                    self.usage.add(spool_id, length)
                    continue
                await self._send_use(spool_id, length)
        await self._store_pending()

    async def _send_use(self, spool_id: int, length: float) -> None:
        try:
            response = await self.client.request("PUT", f"/v1/spool/{spool_id}/use", {"use_length": length})
        except SpoolmanUnreachable as error:
            self._report_failed(spool_id, length, str(error))
            return
        if response.status == 404:
            self._spool_deleted(spool_id)
        elif not response.ok:
            self._report_failed(spool_id, length, response.message())
        else:
            self._report_failure_logged = False

    def _report_failed(self, spool_id: int, length: float, reason: str) -> None:
        self.usage.add(spool_id, length)
        if not self._report_failure_logged:
            self._report_failure_logged = True
            log.info("Could not report filament used by spool {spool_id}: {reason}", spool_id=spool_id, reason=reason)

    async def _store_pending(self) -> None:
        record = self.usage.as_record()
        if record != self._stored_pending:
            await self.database.insert(PENDING_KEY, record)
            self._stored_pending = record

    def status(self) -> dict[str, Any]:
        pending = [{"spool_id": spool_id, "filament_used": length} for spool_id, length in self.usage.pending.items()]
        return {"spoolman_connected": self.connected, "pending_reports": pending, "spool_id": self.spool_id}


def _is_spool_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
