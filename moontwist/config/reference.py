"""``docs/configuration.md``, written from the option tables so the two cannot drift."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moontwist.config.options import OURS, Option, SectionOptions
from moontwist.config.section import MISSING

HEADER = """\
# Configuration reference

moontwist reads Moonraker's `moonraker.conf` (by default `<data>/config/moonraker.conf`)
with Moonraker's rules: `[include ...]`, `{secrets...}` templates, `[server]` required.
Every option Moonraker 0.11 accepts in a section moontwist serves is accepted; the few
that have no effect here say so. Options marked **moontwist** are ours, not Moonraker's.
A section of a component moontwist lacks (`[timelapse]`, `[paneldue]`, ...) is
reported once in `server.info` warnings: "[timelapse]: moontwist has no timelapse component".

This file is generated from the option declarations in the code (`scripts/config-docs`);
`tests/test_configuration_docs.py` fails when it is out of date.
"""


def render(tables: Iterable[SectionOptions]) -> str:
    """The whole document."""
    parts = [HEADER]
    for table in tables:
        parts.append(_section(table))
    return "\n".join(parts)


def _section(table: SectionOptions) -> str:
    lines = [f"## {table.title}", "", table.help, ""]
    if table.options:
        lines += ["| Option | Type | Default | Description |", "|---|---|---|---|"]
        lines += [_row(option) for option in table.options]
        lines.append("")
    return "\n".join(lines)


def _row(option: Option) -> str:
    notes = []
    if option.origin == OURS:
        notes.append("**moontwist**")
    if option.ignored:
        notes.append("*No effect in moontwist.*")
    kind = option.kind
    if option.choices:
        kind += ": " + ", ".join(f"`{choice}`" for choice in option.choices)
    bounds = _bounds(option)
    if bounds:
        kind += f" ({bounds})"
    description = " ".join([option.help, *notes]).replace("|", "\\|")
    return f"| `{option.name}` | {kind} | {_default(option.default)} | {description} |"


def _bounds(option: Option) -> str:
    found = [
        f"{label} {value:g}"
        for label, value in ((">=", option.minval), ("<=", option.maxval), (">", option.above), ("<", option.below))
        if value is not None
    ]
    return ", ".join(found)


def _default(value: Any) -> str:
    if value is MISSING:
        return "required"
    if value is None:
        return "none"
    if value == [] or value == {}:
        return "empty"
    if value == "":
        return '`""`'
    return f"`{value}`"
