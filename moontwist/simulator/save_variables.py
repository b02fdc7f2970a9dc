"""`[save_variables]`: SAVE_VARIABLE keeps Python literals in a file that
survives restarts; macros read them as ``printer.save_variables.variables``."""

from __future__ import annotations

import ast
import configparser
import os
from typing import TYPE_CHECKING, Any

from moontwist.simulator.configreader import ConfigError
from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost


class SaveVariables:
    cmd_SAVE_VARIABLE_help = "Save arbitrary variables to disk"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.filename = os.path.expanduser(section.get("filename"))
        try:
            if not os.path.exists(self.filename):
                open(self.filename, "w").close()
            self.variables = self._load()
        except (OSError, CommandError) as error:
            raise ConfigError(str(error)) from None
        host.gcode.register_command("SAVE_VARIABLE", self.cmd_SAVE_VARIABLE, desc=self.cmd_SAVE_VARIABLE_help)

    def _load(self) -> dict[str, Any]:
        stored = configparser.ConfigParser()
        try:
            stored.read(self.filename)
            if not stored.has_section("Variables"):
                return {}
            return {name: ast.literal_eval(value) for name, value in stored.items("Variables")}
        except (configparser.Error, ValueError, SyntaxError):
            raise CommandError("Unable to parse existing variable file") from None

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return {"variables": self.variables}

    def cmd_SAVE_VARIABLE(self, gcmd: GCodeCommand) -> None:
        name = gcmd.get("VARIABLE")
        if name.lower() != name:
            raise CommandError("VARIABLE must not contain upper case")
        text = gcmd.get("VALUE")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise CommandError(f"Unable to parse '{text}' as a literal") from None
        stored = configparser.ConfigParser()
        stored.add_section("Variables")
        for key, item in sorted(dict(self.variables, **{name: value}).items()):
            stored.set("Variables", key, repr(item))
        try:
            with open(self.filename, "w") as handle:
                stored.write(handle)
        except OSError:
            raise CommandError("Unable to save variable") from None
        self.variables = self._load()
