"""The SAVE_CONFIG block at the end of printer.cfg, and SAVE_CONFIG itself.

Values a command stores (a bed mesh profile, a probe offset) wait in
``save_config_pending_items`` until SAVE_CONFIG writes them below the header,
comments out the user's lines they replace, keeps a dated backup of the old
file and restarts, as Klippy does.
"""

from __future__ import annotations

import configparser
import io
import os
import re
import time
from typing import TYPE_CHECKING, Any

from moontwist.simulator.configreader import ConfigError, append_text, new_parser, parse_with_includes, read_text
from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

    from moontwist.simulator.config import PrinterConfig
    from moontwist.simulator.host import KlippyHost

AUTOSAVE_HEADER = """
#*# <---------------------- SAVE_CONFIG ---------------------->
#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.
#*#
"""
_COMMENT = re.compile(r"[#;].*$")
_FIELD_END = re.compile(r"[^A-Za-z0-9_].*$")


def split_autosave(text: str) -> tuple[str, str]:
    """(the user's part, the block's config text); a damaged block is left to the user's part."""
    start = text.find(AUTOSAVE_HEADER)
    if start < 0:
        return text, ""
    regular, block = text[:start], text[start + len(AUTOSAVE_HEADER):].strip()
    if "\n#*# " in regular or AUTOSAVE_HEADER in block:
        return text, ""
    lines = [""]
    for line in block.split("\n"):
        if block and (not line.startswith("#*#") or (len(line) >= 4 and not line.startswith("#*# "))):
            return text, ""
        lines.append(line[4:])
    lines.append("")
    return regular, "\n".join(lines)


def comment_out_duplicates(text: str, parser: configparser.RawConfigParser) -> str:
    """Comment out the options (and their continuation lines) of ``text`` that ``parser`` also sets."""
    lines = text.split("\n")
    section: str | None = None
    duplicate = False
    for number, line in enumerate(lines):
        pruned = _COMMENT.sub("", line).rstrip()
        if not pruned:
            continue
        if pruned[0].isspace():
            if duplicate:
                lines[number] = "#" + line
            continue
        duplicate = False
        if pruned[0] == "[":
            section = pruned[1:-1].strip()
            continue
        field = _FIELD_END.sub("", pruned)
        if section is not None and parser.has_option(section, field):
            duplicate = True
            lines[number] = "#" + line
    return "\n".join(lines)


class AutoSave:
    """The block's values and the changes waiting for SAVE_CONFIG."""

    def __init__(self, filename: str, autosave_text: str, regular: configparser.RawConfigParser):
        self.filename = filename
        self.text = comment_out_duplicates(autosave_text, regular)
        self.parser = new_parser()
        append_text(self.parser, self.text, filename)
        self.pending_items: dict[str, dict[str, str] | None] = {}
        self.pending = False

    def get_status(self) -> dict[str, Any]:
        return {"save_config_pending": self.pending, "save_config_pending_items": self.pending_items}

    def set(self, section: str, option: str, value: Any) -> None:
        if not self.parser.has_section(section):
            self.parser.add_section(section)
        text = str(value)
        self.parser.set(section, option, text)
        pending = dict(self.pending_items)
        items = pending.get(section)
        pending[section] = dict(items) if items is not None else {}
        pending[section][option] = text  # type: ignore[index]
        self.pending_items = pending
        self.pending = True

    def remove_section(self, section: str) -> None:
        if self.parser.has_section(section):
            self.parser.remove_section(section)
            self.pending_items = dict(self.pending_items, **{section: None})
            self.pending = True
        elif self.pending_items.get(section) is not None:
            pending = dict(self.pending_items)
            del pending[section]
            self.pending_items = pending
            self.pending = True

    def has_changes(self) -> bool:
        return bool(self.parser.sections())

    def write(self) -> None:
        """Rewrite printer.cfg with the block (a dated backup keeps the old one)."""
        out = io.StringIO()
        self.parser.write(out)
        block = "\n".join(("#*# " + line).strip() for line in out.getvalue().strip().split("\n"))
        block = "\n" + AUTOSAVE_HEADER.rstrip() + "\n" + block + "\n"
        try:
            current = read_text(self.filename)
        except ConfigError:
            raise ConfigError("Unable to read existing config on SAVE_CONFIG") from None
        regular, _old_block = split_autosave(current)
        data = comment_out_duplicates(regular, self.parser).rstrip() + block
        new_regular, new_block = split_autosave(data)
        if not new_block:
            raise ConfigError("Existing config autosave is corrupted. Can't complete SAVE_CONFIG")
        try:
            included = parse_with_includes(new_regular, self.filename)
        except ConfigError:
            raise ConfigError("Unable to parse existing config on SAVE_CONFIG") from None
        for section in self.parser.sections():
            for option in self.parser.options(section):
                if included.has_option(section, option):
                    raise ConfigError(f"SAVE_CONFIG section '{section}' option '{option}' conflicts with included value")
        stamp = time.strftime("-%Y%m%d_%H%M%S")
        base = self.filename[:-4] if self.filename.endswith(".cfg") else self.filename
        suffix = ".cfg" if self.filename.endswith(".cfg") else ""
        backup, temporary = base + stamp + suffix, base + "_autosave" + suffix
        try:
            with open(temporary, "w") as handle:
                handle.write(data)
            os.rename(self.filename, backup)
            os.rename(temporary, self.filename)
        except OSError:
            raise ConfigError("Unable to write config file during SAVE_CONFIG") from None


class SaveConfig:
    """The SAVE_CONFIG command of the `configfile` object."""

    cmd_SAVE_CONFIG_help = "Overwrite config file and restart"

    def __init__(self, host: KlippyHost, config: PrinterConfig):
        self.host = host
        self.autosave = config.autosave
        host.gcode.register_command("SAVE_CONFIG", self.cmd_SAVE_CONFIG, desc=self.cmd_SAVE_CONFIG_help)

    def cmd_SAVE_CONFIG(self, gcmd: GCodeCommand) -> Deferred[None] | None:
        if not self.autosave.has_changes():
            return None
        try:
            self.autosave.write()
        except ConfigError as error:
            raise CommandError(str(error)) from None
        self.host.log.write(f"SAVE_CONFIG to '{self.autosave.filename}'")
        return self.host.gcode.request_restart("restart")
