"""Reading one RSS feed document into entries."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.announcements.feed import FeedError, parse_feed
from tests.services.announcements.feeds import item, rss


class ParseFeedTests(SynchronousTestCase):
    def test_items_become_entries_with_moonrakers_fields(self) -> None:
        feed = parse_feed(rss("Moonraker", item("moonraker/2025-01-01/1", "one", priority="high")), "moonraker", 5.0)
        assert feed is not None
        self.assertEqual(feed.prefix, "moonraker")
        self.assertEqual(feed.entries, [{
            "entry_id": "moonraker/2025-01-01/1", "url": "https://example.org/one", "title": "one",
            "description": "About one", "priority": "high", "date": 1735732800.0, "dismissed": False,
            "date_dismissed": None, "dismiss_wake": None, "source": "moonlight", "feed": "moonraker",
        }])

    def test_undated_items_take_now_and_items_without_guid_are_skipped(self) -> None:
        document = rss("k", item("k/1", "a", date="whenever"), "<item><title>no guid</title></item>")
        feed = parse_feed(document, "klipper", 42.0)
        assert feed is not None
        self.assertEqual([(e["entry_id"], e["date"]) for e in feed.entries], [("k/1", 42.0)])

    def test_without_a_title_the_prefix_comes_from_the_first_guid(self) -> None:
        feed = parse_feed(rss("", item("mine/2025/1", "a"), item("mine/2025/2", "b")), "mine", 0.0)
        assert feed is not None
        self.assertEqual((feed.prefix, feed.entry_ids), ("mine/2025", ["mine/2025/1", "mine/2025/2"]))

    def test_no_channel_is_none_and_bad_xml_is_a_feed_error(self) -> None:
        self.assertIsNone(parse_feed("<rss version='2.0'></rss>", "x", 0.0))
        self.assertRaises(FeedError, parse_feed, "<rss><channel>", "x", 0.0)
        self.assertRaises(FeedError, parse_feed, "", "x", 0.0)
