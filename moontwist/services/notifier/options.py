"""``[notifier NAME]`` options."""

from __future__ import annotations

from moontwist.config import MISSING
from moontwist.config.options import Option, SectionOptions

NOTIFIER = SectionOptions(
    "notifier",
    "An Apprise notification sent on job events (needs the `apprise` package).",
    (
        Option("url", "jinja", MISSING, "The Apprise URL (template), e.g. `tgram://{secrets.telegram.token}/12345`."),
        Option("events", "list", MISSING,
               "Comma separated job events: `started`, `complete`, `error`, `cancelled`, `paused`, `resumed`, "
               "or `*`.", separator=","),
        Option("body", "jinja", None, "The message (template; default: the event's name)."),
        Option("body_format", "str", "text", "`text`, `html` or `markdown`."),
        Option("title", "jinja", None, "The title (template)."),
        Option("attach", "jinja", None, "Files or http(s) URLs to attach, one a line (template)."),
    ),
    named=True,
)
