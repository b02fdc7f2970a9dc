"""``[notifier NAME]`` options."""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions

NOTIFIER = SectionOptions(
    "notifier",
    "An Apprise notification sent on job events (needs the `apprise` package).",
    (
        Option("url", "str", MISSING, "The Apprise URL (template), e.g. `tgram://{secrets.telegram.token}/12345`."),
        Option("events", "list", MISSING,
               "Comma separated job events: `started`, `complete`, `error`, `cancelled`, `paused`, `resumed`, "
               "or `*`.", separator=","),
        Option("body", "str", None, "The message (template; default: the event's name)."),
        Option("body_format", "str", "text", "`text`, `html` or `markdown`."),
        Option("title", "str", None, "The title (template)."),
        Option("attach", "str", None, "Files or http(s) URLs to attach, one a line (template)."),
    ),
    named=True,
)
