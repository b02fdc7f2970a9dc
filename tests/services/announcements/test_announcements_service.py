"""The announcements component over the registry: feeds served on loopback, a real lmdb database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.trial.unittest import TestCase

from moontwist.api import Request, Transport
from moontwist.errors import ApiError
from moontwist.services.announcements import AnnouncementsService, source
from moontwist.services.database import DatabaseService
from tests.services.announcements.feeds import item, rss, serve_feeds, serve_feeds_over_tls
from tests.services.machine.helpers import make_ctx

NEWER = "Thu, 02 Jan 2025 12:00:00 GMT"


class AnnouncementsFixture(TestCase):
    config = "[server]\n"

    def setUp(self) -> None:
        self.data_path = Path(self.mktemp()).resolve()
        self.data_path.mkdir(parents=True)
        self.feeds, self.base_url, self.port = serve_feeds(self)
        self.feeds.publish("moonraker", rss("moonraker", item("moonraker/1", "one"),
                                            item("moonraker/2", "two", date=NEWER)))
        self.feeds.publish("klipper", rss("klipper", item("klipper/1", "k-one")))
        self.logged: list[dict[str, Any]] = []
        self.patch(source, "log", Logger(observer=self.logged.append))

    async def start(self, config: str | None = None) -> AnnouncementsService:
        self.ctx = make_ctx(reactor, self.data_path, config or self.config)
        self.notified: list[tuple[str, Any]] = []
        self.ctx.notify = lambda method, params=None: self.notified.append((method, params))  # type: ignore[method-assign]
        self.database = database = DatabaseService(self.ctx)
        self.ctx.add_component("database", database)
        database.startService()
        self.addCleanup(database.stopService)
        service = AnnouncementsService(self.ctx, self.base_url, first_update_delay=0)
        self.ctx.add_component("announcements", service)
        await service.startService()
        self.addCleanup(service.stopService)
        await deferLater(reactor, 0, lambda: None)
        assert service.fetching is not None
        await service.fetching
        self.service = service
        return service

    def call(self, method: str, **args: Any) -> "Deferred[Any]":
        return self.ctx.registry.dispatch(Request(method, args, Transport.WEBSOCKET))

    async def error(self, method: str, **args: Any) -> ApiError:
        error: ApiError = await self.assertFailure(self.call(method, **args), ApiError)
        return error

    def ids(self, entries: list[dict[str, Any]]) -> list[str]:
        return [entry["entry_id"] for entry in entries]


class FeedUpdateTests(AnnouncementsFixture):
    async def test_start_fetches_every_feed_and_lists_newest_first(self) -> None:
        await self.start()
        listed = await self.call("server.announcements.list")
        self.assertEqual(listed["feeds"], ["moonraker", "klipper"])
        self.assertEqual(self.ids(listed["entries"]), ["moonraker/2", "moonraker/1", "klipper/1"])
        self.assertEqual(self.notified, [("notify_announcement_update", [{"entries": listed["entries"]}])])

    async def test_an_unchanged_feed_is_a_304_and_no_notification(self) -> None:
        await self.start()
        answer = await self.call("server.announcements.update")
        self.assertEqual(answer["modified"], False)
        self.assertEqual(len(answer["entries"]), 3)
        self.assertEqual(self.feeds.requests[-1], ("/moonlight/assets/klipper.xml", '"klipper-1"'))
        self.assertEqual(len(self.notified), 1)

    async def test_a_withdrawn_item_goes_and_a_new_one_comes(self) -> None:
        await self.start()
        self.feeds.publish("moonraker", rss("moonraker", item("moonraker/2", "two"), item("moonraker/3", "three")))
        answer = await self.call("server.announcements.update", subscriptions=["moonraker"])
        self.assertEqual(answer["modified"], True)
        self.assertEqual(sorted(self.ids(answer["entries"])), ["klipper/1", "moonraker/2", "moonraker/3"])
        self.assertEqual(self.notified[-1], ("notify_announcement_update", [{"entries": answer["entries"]}]))

    async def test_an_unreachable_feed_site_keeps_the_entries_and_logs_once(self) -> None:
        await self.start()
        await self.port.stopListening()
        for _ in range(3):
            answer = await self.call("server.announcements.update")
            self.assertEqual((answer["modified"], len(answer["entries"])), (False, 3))
        failures = [event for event in self.logged if "not updated" in event["log_format"]]
        self.assertEqual([event["name"] for event in failures], ["moonraker", "klipper"])

    async def test_the_feed_site_over_https_with_its_certificate_checked(self) -> None:
        feeds, base_url, cert = serve_feeds_over_tls(self, Path(self.mktemp()))
        feeds.publish("moonraker", rss("moonraker", item("moonraker/9", "secure")))
        feeds.publish("klipper", rss("klipper"))
        self.base_url = base_url
        # OpenSSL reads the variable itself when the trust store is loaded.
        previous = dict(os.environ)
        os.environ["SSL_CERT_FILE"] = str(cert)
        self.addCleanup(lambda: (os.environ.clear(), os.environ.update(previous)))
        await self.start()
        self.assertEqual(self.ids((await self.call("server.announcements.list"))["entries"]), ["moonraker/9"])

    async def test_an_untrusted_certificate_is_a_failed_fetch(self) -> None:
        _, self.base_url, _ = serve_feeds_over_tls(self, Path(self.mktemp()))
        await self.start()
        self.assertEqual((await self.call("server.announcements.list"))["entries"], [])
        failures = [event for event in self.logged if "not updated" in event["log_format"]]
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(failures[0]["reason"]))

    async def test_unknown_subscription_is_400(self) -> None:
        await self.start()
        error = await self.error("server.announcements.update", subscriptions=["nope"])
        self.assertEqual((error.status, error.message), (400, "No subscription for nope"))


class DismissTests(AnnouncementsFixture):
    async def test_dismiss_then_hidden_from_the_undismissed_list(self) -> None:
        await self.start()
        answer = await self.call("server.announcements.dismiss", entry_id="moonraker/1", wake_time=600)
        self.assertEqual(answer, {"entry_id": "moonraker/1"})
        self.assertEqual(self.notified[-1], ("notify_announcement_dismissed", [{"entry_id": "moonraker/1"}]))
        undismissed = await self.call("server.announcements.list", include_dismissed=False)
        self.assertEqual(self.ids(undismissed["entries"]), ["moonraker/2", "klipper/1"])
        dismissed = [e for e in (await self.call("server.announcements.list"))["entries"] if e["dismissed"]][0]
        self.assertEqual(dismissed["dismiss_wake"] - dismissed["date_dismissed"], 600)
        await self.call("server.announcements.dismiss", entry_id="moonraker/1")
        self.assertEqual(len([n for n in self.notified if n[0] == "notify_announcement_dismissed"]), 1)
        error = await self.error("server.announcements.dismiss", entry_id="other/9")
        self.assertEqual(error.message, "No key matching entry id: other/9")


class FeedListTests(AnnouncementsFixture):
    config = "[server]\n[announcements]\nsubscriptions: Extra\n"

    async def test_post_and_delete_a_feed_kept_across_restarts(self) -> None:
        self.feeds.publish("custom", rss("custom", item("custom/1", "c")))
        await self.start()
        self.assertEqual((await self.call("server.announcements.feeds"))["feeds"], ["moonraker", "klipper", "extra"])
        answer = await self.call("server.announcements.post_feed", name="Custom")
        self.assertEqual(answer, {"feed": "custom", "action": "added"})
        self.assertIn("custom/1", self.ids((await self.call("server.announcements.list"))["entries"]))
        self.assertEqual(await self.call("server.announcements.post_feed", name="custom"),
                         {"feed": "custom", "action": "skipped"})
        stored = self.ctx.component("database").namespace("moonraker").get(["announcements", "stored_feeds"])
        self.assertEqual(stored, ["custom"])
        answer = await self.call("server.announcements.delete_feed", name="custom")
        self.assertEqual(answer, {"feed": "custom", "action": "removed"})
        self.assertNotIn("custom/1", self.ids((await self.call("server.announcements.list"))["entries"]))
        self.assertEqual(self.notified[-1][0], "notify_announcement_update")

    async def test_feeds_that_cannot_be_removed_or_named(self) -> None:
        await self.start()
        error = await self.error("server.announcements.delete_feed", name="moonraker")
        self.assertEqual((error.status, error.message), (400, "Feed 'moonraker' not stored"))
        await self.ctx.component("database").namespace("moonraker").insert(
            ["announcements", "stored_feeds"], ["extra"])
        self.service.stopService()
        await self.database.stopService()
        await self.start()
        error = await self.error("server.announcements.delete_feed", name="extra")
        self.assertEqual(error.message, "Feed 'extra' exists in the configuration, cannot remove")
        error = await self.error("server.announcements.post_feed", name="../etc/passwd")
        self.assertEqual((error.status, error.message), (400, "Invalid feed name: ../etc/passwd"))


class DevModeTests(AnnouncementsFixture):
    config = "[server]\n[announcements]\ndev_mode: True\nenable_moonlight: False\n"

    async def test_dev_mode_reads_local_files_and_never_the_network(self) -> None:
        folder = self.data_path / "development" / "announcements"
        folder.mkdir(parents=True)
        (folder / "moonraker.xml").write_text(rss("moonraker", item("moonraker/dev", "local")))
        await self.start()
        self.assertEqual(self.ids((await self.call("server.announcements.list"))["entries"]), ["moonraker/dev"])
        self.assertEqual(self.feeds.requests, [])
        answer = await self.call("server.announcements.update")
        self.assertEqual(answer["modified"], False)
