"""printer.cfg as Klippy reads it, and the `configfile` status built from it.

The file is read like Klippy reads it: ``#`` ends a line anywhere, ``[include
GLOB]`` pulls files in at that point (sorted, relative to the including file),
and the ``#*#`` block after the SAVE_CONFIG header is applied on top of the
user's values. ``config`` keeps section names as written and raw text values
(option names lower-cased, as Python's configparser does); ``settings`` holds,
under lower-cased names, every option a module read, typed, defaults included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moontwist.simulator.configreader import ConfigError, append_text, parse_bool, parse_with_includes, read_text
from moontwist.simulator.gcode import MISSING
from moontwist.simulator.saveconfig import AutoSave, split_autosave


class ConfigSection:
    """One section; every typed read is recorded for ``configfile.settings``."""

    def __init__(self, config: PrinterConfig, name: str):
        self.config = config
        self.name = name
        self._raw = config.raw.get(name, {})

    def _read(self, option: str, default: Any, parser: Callable[[str], Any], **limits: float | None) -> Any:
        key = (self.name.lower(), option.lower())
        text = self._raw.get(option.lower())
        if text is None:
            if default is MISSING:
                raise ConfigError(f"Option '{option}' in section '{self.name}' must be specified")
            if default is not None:
                self.config.settings_read[key] = default
            return default
        try:
            value = parser(text)
        except ValueError:
            raise ConfigError(f"Unable to parse option '{option}' in section '{self.name}'") from None
        self.config.settings_read[key] = value
        self._check_limits(option, value, **limits)
        return value

    def _check_limits(self, option: str, value: Any, minval: float | None = None, maxval: float | None = None,
                      above: float | None = None, below: float | None = None) -> None:
        where = f"Option '{option}' in section '{self.name}' must"
        if minval is not None and value < minval:
            raise ConfigError(f"{where} have minimum of {minval}")
        if maxval is not None and value > maxval:
            raise ConfigError(f"{where} have maximum of {maxval}")
        if above is not None and value <= above:
            raise ConfigError(f"{where} be above {above}")
        if below is not None and value >= below:
            raise ConfigError(f"{where} be below {below}")

    def get(self, option: str, default: Any = MISSING) -> Any:
        return self._read(option, default, str)

    def getfloat(self, option: str, default: Any = MISSING, minval: float | None = None, maxval: float | None = None,
                 above: float | None = None, below: float | None = None) -> Any:
        return self._read(option, default, float, minval=minval, maxval=maxval, above=above, below=below)

    def getint(self, option: str, default: Any = MISSING, minval: int | None = None, maxval: int | None = None) -> Any:
        return self._read(option, default, int, minval=minval, maxval=maxval)

    def getboolean(self, option: str, default: Any = MISSING) -> Any:
        return self._read(option, default, parse_bool)

    def getchoice(self, option: str, choices: list[str], default: Any = MISSING) -> Any:
        value = self.get(option, default)
        if value not in choices:
            raise ConfigError(f"Choice '{value}' for option '{option}' in section '{self.name}' is not a valid choice")
        return value

    def getlist(self, option: str, default: Any = MISSING, sep: str = ",", parser: Callable[[str], Any] = str,
                count: int | None = None) -> Any:
        def split(text: str) -> list[Any]:
            items = [parser(part.strip()) for part in text.split(sep)] if text.strip() else []
            if count is not None and len(items) != count:
                raise ConfigError(f"Option '{option}' in section '{self.name}' must have {count} elements")
            return items

        return self._read(option, default, split)

    def getmatrix(self, option: str, default: Any = MISSING) -> Any:
        """Rows of numbers, one row per line, comma-separated (a bed mesh's points)."""
        def rows(text: str) -> list[list[float]]:
            return [[float(value) for value in line.split(",") if value.strip()]
                    for line in text.split("\n") if line.strip()]

        return self._read(option, default, rows)

    def getfloatlist(self, option: str, default: Any = MISSING, count: int | None = None) -> Any:
        return self.getlist(option, default, parser=float, count=count)

    def prefix_options(self, prefix: str) -> list[str]:
        return [option for option in self._raw if option.startswith(prefix)]


class PrinterConfig:
    """The user's printer.cfg (with includes and the SAVE_CONFIG block), read once per start."""

    def __init__(self, filename: str):
        self.filename = filename
        text = read_text(filename)
        regular, autosave_text = split_autosave(text)
        parser = parse_with_includes(regular, filename)
        self.autosave = AutoSave(filename, autosave_text, parser)
        append_text(parser, self.autosave.text, "*AUTOSAVE*")
        self.raw: dict[str, dict[str, str]] = {name: dict(parser.items(name)) for name in parser.sections()}
        self.settings_read: dict[tuple[str, str], Any] = {}
        self.warnings: list[dict[str, str]] = []
        self._settings: dict[str, dict[str, Any]] | None = None

    def sections(self) -> list[str]:
        return list(self.raw)

    def has_section(self, name: str) -> bool:
        return name in self.raw

    def section(self, name: str) -> ConfigSection:
        """A section to read options from; a missing one reads as empty (defaults apply)."""
        return ConfigSection(self, name)

    def prefix_sections(self, prefix: str) -> list[str]:
        return [name for name in self.raw if name.startswith(prefix)]

    def settings(self) -> dict[str, dict[str, Any]]:
        """``settings`` once every module has read its options: what they read,
        then the raw text of options no simulated module reads."""
        if self._settings is None:
            settings: dict[str, dict[str, Any]] = {}
            for (section, option), value in self.settings_read.items():
                settings.setdefault(section, {})[option] = value
            for name, options in self.raw.items():
                for option, text in options.items():
                    settings.setdefault(name.lower(), {}).setdefault(option, text)
            self._settings = settings
        return self._settings

    def text(self) -> str:
        """The configuration as Klippy writes it to its log."""
        lines = []
        for name, options in self.raw.items():
            lines.append(f"[{name}]")
            lines.extend(f"{option} = {value}" for option, value in options.items())
            lines.append("")
        return "\n".join(lines)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        status: dict[str, Any] = {"config": self.raw, "warnings": self.warnings}
        status.update(self.autosave.get_status())
        status["settings"] = self.settings()
        return status


__all__ = ["ConfigError", "ConfigSection", "PrinterConfig"]
