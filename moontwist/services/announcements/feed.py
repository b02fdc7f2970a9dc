"""Reading one announcement feed: an RSS document of Moonraker's "moonlight" feeds.

Each ``<item>`` becomes an entry shaped as ``server.announcements.list``
shows it; its ``<guid>`` (``moonraker/2025-01-01/...``) is the entry id. The
channel's ``<title>`` is the prefix of every id this feed owns: an id with
that prefix missing from the document has been withdrawn.
"""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from typing import Any


class FeedError(Exception):
    """The document is not an RSS feed we can read."""


@dataclass
class Feed:
    prefix: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entry_ids(self) -> list[str]:
        return [entry["entry_id"] for entry in self.entries]


def parse_feed(document: str | bytes, name: str, now: float) -> Feed | None:
    """The feed's entries; None when it has no ``<channel>``. ``now`` dates undated items."""
    try:
        root = etree.fromstring(document)
    except etree.ParseError as error:
        raise FeedError(f"Feed {name}: not XML ({error})") from None
    channel = root.find("channel")
    if channel is None:
        return None
    feed = Feed(prefix=(channel.findtext("title") or "").lower())
    for item in channel.findall("item"):
        guid = item.findtext("guid")
        if guid is None:
            continue
        if not feed.prefix:
            feed.prefix = "/".join(guid.split("/")[:2])
        feed.entries.append({
            "entry_id": guid,
            "url": item.findtext("link"),
            "title": item.findtext("title"),
            "description": item.findtext("description"),
            "priority": item.findtext("category"),
            "date": _timestamp(item.findtext("pubDate") or "", now),
            "dismissed": False,
            "date_dismissed": None,
            "dismiss_wake": None,
            "source": "moonlight",
            "feed": name,
        })
    return feed


def _timestamp(rfc_date: str, now: float) -> float:
    try:
        return email.utils.parsedate_to_datetime(rfc_date).timestamp()
    except (TypeError, ValueError):
        return now
