"""Typed reads of one section, each recorded so ``server.config`` shows what was used."""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from moontwist.config.errors import ConfigError
from moontwist.config.parser import RawConfig
from moontwist.config.template import Template, render

DOCS_URL = "https://moonraker.readthedocs.io/en/latest"

# Moonraker's core components read an option from [server] when their own
# section is absent: these options used to live in [server].
FALLBACK_SECTION = "server"
CORE_SECTIONS = frozenset(
    {
        "dbus_manager",
        "database",
        "file_manager",
        "authorization",
        "klippy_apis",
        "machine",
        "data_store",
        "shell_command",
        "proc_stats",
        "job_state",
        "job_queue",
        "history",
        "http_client",
        "announcements",
        "webcam",
        "extensions",
    }
)

_BOOLEANS = {"1": True, "yes": True, "true": True, "on": True, "0": False, "no": False, "false": False, "off": False}
_SHOWN_AS_IS = (int, float, bool, str, dict, list)

_T = TypeVar("_T")
_V = TypeVar("_V")
_N = TypeVar("_N", int, float)


class Missing(enum.Enum):
    """The type of MISSING: "no default, the option is required"."""

    MISSING = enum.auto()


MISSING = Missing.MISSING


@dataclass
class ReadState:
    """What every section of one config shares: the text, what was read, the warnings."""

    raw: RawConfig
    data_path: Path
    secrets: Mapping[str, Any] = field(default_factory=dict)
    parsed: dict[str, dict[str, Any]] = field(default_factory=dict)
    errored: set[str] = field(default_factory=set)
    read_warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.read_warnings:
            self.read_warnings.append(message)


class Section:
    """One ``[section]``, whether or not the file has it; absent options give their defaults."""

    def __init__(self, name: str, state: ReadState) -> None:
        self.name = name
        self._state = state
        state.parsed.setdefault(name, {})

    def has_option(self, option: str) -> bool:
        return self._state.raw.get(self.name, option.lower()) is not None

    def raw_value(self, option: str) -> str | None:
        """The option's text as written (templates unrendered), or None; not a read."""
        text = self._state.raw.get(self._source(), option.lower())
        return None if text is None else text.strip()

    def option_names(self) -> list[str]:
        """The options the file gives this section (read or not)."""
        if not self._state.raw.has_section(self.name):
            return []
        return list(self._state.raw.options(self.name))

    def get_str(self, option: str, default: _T | Missing = MISSING, *, deprecate: bool = False) -> str | _T:
        return self._read(option, default, str, deprecate=deprecate)

    def get_int(
        self,
        option: str,
        default: _T | Missing = MISSING,
        minval: int | None = None,
        maxval: int | None = None,
        above: int | None = None,
        below: int | None = None,
        *,
        deprecate: bool = False,
    ) -> int | _T:
        parse = self._bounded(option, int, minval, maxval, above, below)
        return self._read(option, default, parse, deprecate=deprecate)

    def get_float(
        self,
        option: str,
        default: _T | Missing = MISSING,
        minval: float | None = None,
        maxval: float | None = None,
        above: float | None = None,
        below: float | None = None,
        *,
        deprecate: bool = False,
    ) -> float | _T:
        parse = self._bounded(option, float, minval, maxval, above, below)
        return self._read(option, default, parse, deprecate=deprecate)

    def get_bool(self, option: str, default: _T | Missing = MISSING, *, deprecate: bool = False) -> bool | _T:
        return self._read(option, default, _parse_bool, deprecate=deprecate)

    def get_choice(
        self,
        option: str,
        choices: Sequence[str],
        default: str | Missing = MISSING,
        *,
        force_lowercase: bool = False,
        deprecate: bool = False,
    ) -> str:
        """A string that must be one of ``choices`` (compared after lower-casing if asked)."""
        value: str = self._read(option, default, str, deprecate=deprecate)
        if force_lowercase:
            value = value.lower()
        if value not in choices:
            self._state.errored.add(self.name)
            # "vailid" is Moonraker's spelling of this message.
            raise ConfigError(
                f"Section [{self.name}], Option '{option}: Value {value} is not a vailid choice.  "
                f"Must be one of the following {list(choices)}"
            )
        return value

    def get_list(
        self, option: str, default: _T | Missing = MISSING, separator: str | None = "\n", *, deprecate: bool = False
    ) -> list[str] | _T:
        """Items split on ``separator`` (None: any whitespace), stripped, blanks dropped."""

        def parse(text: str) -> list[str]:
            return [item.strip() for item in text.split(separator) if item.strip()]

        return self._read(option, default, parse, deprecate=deprecate)

    def get_dict(
        self,
        option: str,
        default: _T | Missing = MISSING,
        *,
        allow_empty_fields: bool = False,
        deprecate: bool = False,
    ) -> dict[str, str | None] | _T:
        """Lines ``key=value``; a bare ``key`` maps to None when ``allow_empty_fields``."""

        def parse(text: str) -> dict[str, str | None]:
            result: dict[str, str | None] = {}
            for line in filter(None, (line.strip() for line in text.split("\n"))):
                key, equals, value = line.partition("=")
                if not equals and not allow_empty_fields:
                    raise ValueError(f"Failed to parse dictionary field, {line}")
                result[key.strip()] = value.strip() if equals else None
            return result

        return self._read(option, default, parse, deprecate=deprecate)

    def get_template(self, option: str, default: _T | Missing = MISSING, *, deprecate: bool = False) -> str | _T:
        """The option rendered with ``{secrets...}``; ``server.config`` shows the source."""
        context = {"secrets": self._state.secrets}
        return self._read(option, default, lambda text: render(text, context), show_source=True, deprecate=deprecate)

    def get_jinja_template(
        self, option: str, default: _T | Missing = MISSING, *, is_async: bool = False, deprecate: bool = False
    ) -> Template | _T:
        """A Jinja2 template rendered when used (with ``secrets``); a syntax error is a config error.

        A text default is compiled too (``{payload}``); ``server.config`` shows it as written."""
        secrets = {"secrets": self._state.secrets}
        return self._read(
            option, default, lambda text: Template(text, secrets, is_async), show_source=True,
            deprecate=deprecate, parse_default=True,
        )

    def get_path(self, option: str, default: _T | Missing = MISSING, *, deprecate: bool = False) -> Path | _T:
        """A template with ``{data_path}`` as well, then ``~``-expanded and resolved.

        A ``str`` default is read as if it were written (``{data_path}/comms/klippy.sock``).
        """
        context = {"secrets": self._state.secrets, "data_path": str(self._state.data_path)}

        def parse(text: str) -> Path:
            # Our own defaults name only {data_path}: filled in without loading Jinja2.
            rendered = text.replace("{data_path}", context["data_path"]) if text is default else render(text, context)
            try:
                return Path(rendered).expanduser().resolve()
            except RuntimeError as error:
                raise ValueError(str(error)) from error

        return self._read(option, default, parse, show_source=True, deprecate=deprecate, parse_default=True)

    def _source(self) -> str:
        """The section options come from: [server] stands in for an absent core section."""
        if self.name in CORE_SECTIONS and not self._state.raw.has_section(self.name):
            return FALLBACK_SECTION
        return self.name

    def _read(
        self,
        option: str,
        default: _T | Missing,
        parse: Callable[[str], _V],
        *,
        show_source: bool = False,
        deprecate: bool = False,
        parse_default: bool = False,
    ) -> _V | _T:
        option = option.lower()
        state = self._state
        source = self._source()
        text = state.raw.get(source, option)
        if text is None:
            if default is MISSING:
                state.errored.add(self.name)
                if state.raw.has_section(source):
                    raise ConfigError(f"No option '{option}' in section: '{source}'")
                raise ConfigError(f"No section: '{source}'")
            self._record(self.name, option, default)
            if parse_default and isinstance(default, str):
                return parse(default)
            return default
        try:
            value = parse(text)
        except ValueError as error:
            state.errored.add(self.name)
            raise ConfigError(
                f"[{self.name}]: Option '{option}' encountered the following error while parsing: {error}"
            ) from error
        if deprecate:
            state.warn(
                f"[{self.name}]: Option '{option}' is deprecated, see the configuration "
                f"documentation at {DOCS_URL}/configuration/"
            )
        if source != self.name:
            state.warn(
                f"[{source}]: Option '{option}' has been moved to section [{self.name}].  Please correct "
                f"your configuration, see {DOCS_URL}/configuration/#option-moved-deprecations "
                "for detailed documentation."
            )
        self._record(source, option, text.strip() if show_source else value)
        return value

    def _bounded(
        self,
        option: str,
        convert: Callable[[str], _N],
        minval: float | None,
        maxval: float | None,
        above: float | None,
        below: float | None,
    ) -> Callable[[str], _N]:
        """A parser that converts the text, then checks the number against the bounds."""

        def parse(text: str) -> _N:
            value = convert(text)
            self._check_bounds(option, value, minval, maxval, above, below)
            return value

        return parse

    def _check_bounds(
        self,
        option: str,
        value: float,
        minval: float | None,
        maxval: float | None,
        above: float | None,
        below: float | None,
    ) -> None:
        prefix = f"Config Error: Section [{self.name}], Option '{option}: {value}': value is"
        problem = None
        if above is not None and value <= above:
            problem = f"not above {above}"
        elif below is not None and value >= below:
            problem = f"not below {below}"
        elif minval is not None and value < minval:
            problem = f"below minimum value {minval}"
        elif maxval is not None and value > maxval:
            problem = f"above maximum value {maxval}"
        if problem is not None:
            self._state.errored.add(self.name)
            raise ConfigError(f"{prefix} {problem}")

    def _record(self, section: str, option: str, value: Any) -> None:
        """Remember the first value read, as JSON can show it."""
        shown = self._state.parsed.setdefault(section, {})
        if option not in shown:
            is_plain = value is None or isinstance(value, _SHOWN_AS_IS)
            shown[option] = copy.deepcopy(value) if is_plain else str(value)


def _parse_bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.lower()]
    except KeyError:
        raise ValueError(f"Not a boolean: {text}") from None
