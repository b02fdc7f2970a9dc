"""Loading moonraker.conf into the Config that services read their sections from."""

from __future__ import annotations

import copy
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from moontwist.config.errors import ConfigError
from moontwist.config.parser import RawConfig, parse_config
from moontwist.config.secrets import SECRETS, read_secrets
from moontwist.config.section import ReadState, Section

REQUIRED_SECTION = "server"


class Config:
    """The parsed config files plus a record of every option services read."""

    def __init__(self, state: ReadState, main_file: Path, warnings: list[str]) -> None:
        self.main_file = main_file
        self.warnings = warnings
        self._state = state
        self._sections: dict[str, Section] = {}

    def section(self, name: str) -> Section:
        """The section's reader; an absent section works too and gives defaults."""
        if name not in self._sections:
            self._sections[name] = Section(name, self._state)
        return self._sections[name]

    def has_section(self, name: str) -> bool:
        return self._state.raw.has_section(name)

    def sections(self) -> list[str]:
        return self._state.raw.section_names()

    @property
    def secrets(self) -> Mapping[str, Any]:
        """``moonraker.secrets``, for templates rendered after start-up."""
        return self._state.secrets

    def sections_with_prefix(self, prefix: str) -> list[str]:
        """Sections such as ``[power printer]`` for the prefix ``"power "``."""
        return [name for name in self.sections() if name.startswith(prefix)]

    def unread_warnings(self) -> list[str]:
        """Warnings about how the file was read, for once every service has read its options.

        Deprecated and moved options that were read come first, then one line per
        component whose sections no one opened (``[timelapse]: moontwist has no
        timelapse component``; a section's component is its first word, as in
        Moonraker), and options no one read (skipped in sections that failed).
        """
        state = self._state
        warnings = list(state.read_warnings)
        for name in state.raw.section_names():
            if name not in state.parsed:
                component = name.split()[0]
                missing = f"[{component}]: moontwist has no {component} component"
                if missing not in warnings:
                    warnings.append(missing)
                continue
            if name in state.errored:
                continue
            for option, value in state.raw.options(name).items():
                if option not in state.parsed[name]:
                    warnings.append(
                        f"Unparsed config option '{option}: {value}' detected in section [{name}].  This may "
                        "be an option no longer available or could be the result of a module that failed to "
                        "load.  In the future this will result in a startup error."
                    )
        return warnings

    def server_config(self) -> dict[str, Any]:
        """The ``server.config`` result: values read, the text as written, the files."""
        raw = self._state.raw
        return {
            "config": copy.deepcopy(self._state.parsed),
            "orig": {name: raw.options(name) for name in raw.sections},
            "files": [
                {"filename": self._display_name(path), "sections": sections} for path, sections in raw.file_sections()
            ],
        }

    def _display_name(self, path: Path) -> str:
        """The path relative to the main file's folder, or absolute when outside it."""
        for folder in (self.main_file.parent, self.main_file.resolve().parent):
            if path.is_relative_to(folder):
                return str(path.relative_to(folder))
        return str(path)


def load_config(path: Path, data_path: Path) -> Config:
    """Read the main config file, its includes and the secrets file.

    A missing main file is not an error: the config is empty, every option
    takes its default, and a warning says so.
    """
    main_file = path.expanduser().absolute()
    warnings: list[str] = []
    if main_file.exists():
        raw = parse_config(main_file)
        if not raw.has_section(REQUIRED_SECTION):
            raise ConfigError(f"No section [{REQUIRED_SECTION}] in config file {main_file}")
    else:
        raw = RawConfig()
        warnings.append(f"Configuration file '{main_file}' not found; running with default settings")
    state = ReadState(raw, data_path)
    Section(REQUIRED_SECTION, state)
    legacy_path = SECRETS.read(Section("secrets", state))["secrets_path"]
    state.secrets, secrets_warnings = read_secrets(data_path, legacy_path)
    warnings.extend(secrets_warnings)
    return Config(state, main_file, warnings)
