"""One ``[notifier NAME]`` section's options, read together."""

from __future__ import annotations

import re
from dataclasses import dataclass

from moontwist.config import ConfigError
from moontwist.config.section import Section
from moontwist.config.template import Template

SECTION_PREFIX = "notifier "
BODY_FORMATS = ("text", "html", "markdown")
_URL = re.compile(r"\w+?://")


@dataclass
class NotifierOptions:
    name: str
    url: str
    url_source: str
    events: list[str]
    body: Template | None
    title: Template | None
    attach: Template | None
    body_format: str
    body_format_source: str | None


def read_options(section: Section) -> NotifierOptions:
    parts = section.name.split(maxsplit=1)
    if len(parts) != 2:
        raise ConfigError(f"Invalid Section Name: {section.name}")
    # Apprise URL of the service(s) to notify; a template, rendered once (secrets).
    url = section.get_template("url")
    if _URL.match(url) is None:
        raise ConfigError(f"Invalid url for: {section.name}")
    # Job events that send a message, comma separated: started, complete, error, cancelled, paused, resumed, *.
    events = section.get_list("events", separator=",")
    # Message body template (event_name, event_args, event_message); default: the event name.
    body = section.get_jinja_template("body", None)
    # Message title template; default: no title.
    title = section.get_jinja_template("title", None)
    # Template of attachments, one per line: file paths or http(s) URLs (a webcam snapshot).
    attach = section.get_jinja_template("attach", None)
    # How Apprise reads the body: text, html or markdown.
    body_format = section.get_str("body_format", "text")
    if body_format.lower() not in BODY_FORMATS:
        raise ConfigError(f"Invalid body_format for {section.name}")
    return NotifierOptions(
        name=parts[1],
        url=url,
        url_source=section.raw_value("url") or url,
        events=events,
        body=body,
        title=title,
        attach=attach,
        body_format=body_format.lower(),
        body_format_source=section.raw_value("body_format"),
    )
