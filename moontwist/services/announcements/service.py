"""The announcements component: feeds followed, entries kept, dismissals and their wake-ups.

Feeds are fetched (``source.py``) 5 s after start (Moonraker: during start-up)
and every 30 minutes after that; entries live in the ``announcements``
namespace, the feeds a client added and the ETags in the ``moonraker``
namespace, where Moonraker keeps them. Nothing a feed does (unreachable, bad XML) is ever an error to a
client: the entries stay as they were. The feed parser (``xml.etree``) is
imported with the first document fetched.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import CancelledError, Deferred, DeferredLock
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from moontwist.database import Namespace
from moontwist.errors import ApiError
from moontwist.services.announcements.endpoints import AnnouncementsEndpoints
from moontwist.services.announcements.entries import Entries
from moontwist.services.announcements.options import ANNOUNCEMENTS
from moontwist.services.announcements.source import FeedSource

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

MOONLIGHT_URL = "https://arksine.github.io/moonlight"
UPDATE_INTERVAL = 1800.0
# The first fetch waits until start-up is over (Moonraker fetches during it): the
# first answer to a client is not held up by treq's imports and a feed request.
FIRST_UPDATE_DELAY = 5.0
BUILTIN_FEEDS = ("moonraker", "klipper")
# A feed name is a file name (dev_mode) and a URL path segment: no separators.
FEED_NAME = re.compile(r"^\w[\w.-]*$")


class AnnouncementsService(Service):
    def __init__(self, ctx: "ServerContext", feed_url: str = MOONLIGHT_URL,
                 first_update_delay: float = FIRST_UPDATE_DELAY) -> None:
        self.ctx = ctx
        self.first_update_delay = first_update_delay
        options = ANNOUNCEMENTS.read(ctx.config.section("announcements"))
        moonlight = options["enable_moonlight"]
        dev_mode = options["dev_mode"]
        subscriptions = options["subscriptions"]
        if not moonlight:
            log.info("Moonlight disabled, remote announcement feeds unavailable")
        self.base_url = feed_url if moonlight else None
        self.dev_folder = ctx.options.data_path / "development" / "announcements" if dev_mode else None
        self.configured = list(BUILTIN_FEEDS)
        for name in (name.lower() for name in subscriptions):
            if name not in self.configured:
                self.configured.append(name)
        self.stored: list[str] = []
        self.sources: dict[str, FeedSource] = {}
        self.entries: Entries | None = None
        self.lock = DeferredLock()
        self.timer: LoopingCall | None = None
        self.first_update: Any = None
        self.fetching: Deferred[Any] | None = None
        ctx.registry.register(AnnouncementsEndpoints(self))

    @property
    def settings(self) -> Namespace:
        return self.ctx.component("database").namespace("moonraker")

    def startService(self) -> "Deferred[None]":
        super().startService()
        return Deferred.fromCoroutine(self._start())

    async def _start(self) -> None:
        if self.dev_folder is not None:
            self.dev_folder.mkdir(parents=True, exist_ok=True)
        stored = self.settings.get(["announcements", "stored_feeds"], [])
        self.stored = [name for name in stored if isinstance(name, str)] if isinstance(stored, list) else []
        for name in self.configured + self.stored:
            self._follow(name)
        self.entries = Entries(self.ctx.component("database").namespace("announcements"), self.ctx.reactor,
                               self._woke)
        await self.entries.load()
        self.timer = LoopingCall(self._tick)
        self.timer.clock = self.ctx.reactor
        self.first_update = self.ctx.reactor.callLater(self.first_update_delay, self._start_timer)

    def _start_timer(self) -> None:
        assert self.timer is not None
        self.timer.start(UPDATE_INTERVAL, now=True)

    def stopService(self) -> None:
        super().stopService()
        if self.first_update is not None and self.first_update.active():
            self.first_update.cancel()
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        if self.fetching is not None and not self.fetching.called:
            self.fetching.cancel()
        if self.entries is not None:
            self.entries.close()

    def _follow(self, name: str) -> None:
        if name not in self.sources:
            self.sources[name] = FeedSource(name, self.ctx.reactor, self.settings, self.base_url, self.dev_folder)

    def _tick(self) -> "Deferred[None]":
        self.fetching = Deferred.fromCoroutine(self.refresh(list(self.sources)))
        return self.fetching.addErrback(self._tick_failed)

    def _tick_failed(self, failure: Any) -> None:
        if not failure.check(CancelledError):
            log.failure("Announcement update failed", failure=failure)

    async def refresh(self, names: list[str]) -> tuple[bool, list[dict[str, Any]]]:
        """Update the named feeds; announce and return (changed, entries)."""
        await self.lock.acquire()
        try:
            changed = False
            for name in names:
                if not self.running:
                    # Stopping: a cancelled fetch can surface as a failure; start no other.
                    break
                changed = await self.update_feed(name) or changed
        finally:
            self.lock.release()
        entries = self.listed()
        if changed:
            self.ctx.notify("notify_announcement_update", [{"entries": entries}])
        return changed, entries

    async def update_feed(self, name: str) -> bool:
        source, entries = self.sources.get(name), self.entries
        if source is None or entries is None:
            return False
        document = await source.read()
        if document is None:
            return False
        from moontwist.services.announcements.feed import FeedError, parse_feed

        try:
            feed = parse_feed(document, name, self.ctx.reactor.seconds())
        except FeedError as error:
            log.info("{error}", error=error)
            return False
        if feed is None:
            return False
        changed = False
        for entry in feed.entries:
            if not entries.has(entry["entry_id"]):
                await entries.add(entry)
                changed = True
        if feed.prefix and await entries.prune_by_prefix(feed.prefix, feed.entry_ids):
            changed = True
        return changed

    def listed(self, include_dismissed: bool = True) -> list[dict[str, Any]]:
        return self.entries.listed(include_dismissed) if self.entries is not None else []

    async def dismiss(self, entry_id: str, wake_time: int | None) -> None:
        if self.entries is None:
            raise ApiError(f"No key matching entry id: {entry_id}")
        await self.lock.acquire()
        try:
            dismissed = await self.entries.dismiss(entry_id, wake_time)
        finally:
            self.lock.release()
        if dismissed:
            self.ctx.notify("notify_announcement_dismissed", [{"entry_id": entry_id}])

    async def add_feed(self, name: str) -> str:
        _check_feed_name(name)
        if name in self.sources:
            return "skipped"
        self._follow(name)
        self.stored.append(name)
        await self.settings.insert(["announcements", "stored_feeds"], list(self.stored))
        await self.refresh([name])
        return "added"

    async def remove_feed(self, name: str) -> str:
        if name not in self.stored:
            raise ApiError(f"Feed '{name}' not stored")
        if name in self.configured:
            raise ApiError(f"Feed '{name}' exists in the configuration, cannot remove")
        self.stored.remove(name)
        await self.settings.insert(["announcements", "stored_feeds"], list(self.stored))
        if self.sources.pop(name, None) is None or self.entries is None:
            raise ApiError(f"Feed does not exist: {name}")
        if await self.entries.prune_by_feed(name):
            self.ctx.notify("notify_announcement_update", [{"entries": self.listed()}])
        log.info("Removed announcement feed {name}", name=name)
        return "removed"

    def _woke(self, entry_id: str) -> None:
        self.ctx.notify("notify_announcement_wake", [{"entry_id": entry_id}])


def _check_feed_name(name: str) -> None:
    if FEED_NAME.match(name) is None:
        raise ApiError(f"Invalid feed name: {name}")
