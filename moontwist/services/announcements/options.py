"""``[announcements]`` options."""

from __future__ import annotations

from moontwist.config.options import Option, SectionOptions

ANNOUNCEMENTS = SectionOptions(
    "announcements",
    "News feeds of Moonraker's announcement site (`moonraker` and `klipper` always followed).",
    (
        Option("subscriptions", "list", [], "Feeds to follow besides `moonraker` and `klipper`, one a line."),
        Option("enable_moonlight", "bool", True,
               "Fetch the feeds from Moonraker's feed site; off, only `dev_mode` feeds are read."),
        Option("dev_mode", "bool", False,
               "Read each feed from `<data>/development/announcements/<name>.xml` instead of fetching it."),
    ),
)
