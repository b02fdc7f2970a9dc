"""One declaration per option: name, type, default, whose option it is, one line of help.

A component declares its section's options in one ``SectionOptions`` table
beside its code and reads them all at once with ``table.read(section)``; every
option is then recorded with its value or default, so ``server.config`` shows
it as Moonraker does, no valid option is reported as unparsed, and
``docs/configuration.md`` is generated from the same tables.

A new component (``services/spoolman/options.py``)::

    SPOOLMAN = SectionOptions("spoolman", "Filament use reported to a Spoolman server.", (
        Option("server", "str", MISSING, "Spoolman's URL, e.g. `http://192.168.1.2:7912`."),
        Option("sync_rate", "int", 5, "Seconds between reports of filament used.", minval=1),
    ))

then ``options = SPOOLMAN.read(ctx.config.section("spoolman"))`` in the
service, ``SPOOLMAN`` in ``services/catalog.py``, and ``scripts/config-docs``.
``named=True`` declares ``[webcam NAME]``-style sections (read each with the
same table); ``variant`` declares the options of one ``type`` of such a section
(``[power NAME]`` with ``type: tasmota``), read after the common table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from collections.abc import Mapping
from typing import Any, Callable

from moontwist.config.section import MISSING, Section

MOONRAKER = "moonraker"
OURS = "moontwist"


@dataclass(frozen=True)
class Option:
    """One option of a section.

    ``kind`` is one of ``KINDS``. A ``MISSING`` default makes the option
    required. ``ignored`` marks a Moonraker option we accept and do not act on.
    """

    name: str
    kind: str
    default: Any
    help: str
    origin: str = MOONRAKER
    deprecated: bool = False
    ignored: bool = False
    choices: tuple[str, ...] = ()
    lowercase: bool = False
    minval: float | None = None
    maxval: float | None = None
    above: float | None = None
    below: float | None = None
    separator: str | None = "\n"
    empty_fields: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"option '{self.name}': unknown kind '{self.kind}'")
        if self.origin not in (MOONRAKER, OURS):
            raise ValueError(f"option '{self.name}': origin must be '{MOONRAKER}' or '{OURS}'")

    def read(self, section: Section, default: Any = MISSING) -> Any:
        """The option's value from ``section`` (its default, or ``default`` when given, when absent)."""
        option = self if default is MISSING else replace(self, default=default)
        return KINDS[self.kind](section, option)


def _bounds(option: Option) -> dict[str, Any]:
    return {"minval": option.minval, "maxval": option.maxval, "above": option.above, "below": option.below}


KINDS: dict[str, Callable[[Section, Option], Any]] = {
    "str": lambda s, o: s.get_str(o.name, o.default, deprecate=o.deprecated),
    "int": lambda s, o: s.get_int(o.name, o.default, **_bounds(o), deprecate=o.deprecated),
    "float": lambda s, o: s.get_float(o.name, o.default, **_bounds(o), deprecate=o.deprecated),
    "bool": lambda s, o: s.get_bool(o.name, o.default, deprecate=o.deprecated),
    "list": lambda s, o: s.get_list(o.name, o.default, o.separator, deprecate=o.deprecated),
    "dict": lambda s, o: s.get_dict(o.name, o.default, allow_empty_fields=o.empty_fields, deprecate=o.deprecated),
    "template": lambda s, o: s.get_template(o.name, o.default, deprecate=o.deprecated),
    "jinja": lambda s, o: s.get_jinja_template(o.name, o.default, deprecate=o.deprecated),
    "jinja_async": lambda s, o: s.get_jinja_template(o.name, o.default, is_async=True, deprecate=o.deprecated),
    "path": lambda s, o: s.get_path(o.name, o.default, deprecate=o.deprecated),
    "choice": lambda s, o: s.get_choice(
        o.name, o.choices, o.default, force_lowercase=o.lowercase, deprecate=o.deprecated
    ),
}


@dataclass(frozen=True)
class SectionOptions:
    """The options of one section; ``named`` sections are written ``[section NAME]``."""

    section: str
    help: str
    options: tuple[Option, ...] = ()
    named: bool = False
    variant: str = ""

    def __post_init__(self) -> None:
        names = [option.name for option in self.options]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"[{self.section}]: options declared twice: {duplicates}")

    @property
    def title(self) -> str:
        title = f"[{self.section} NAME]" if self.named else f"[{self.section}]"
        return f"{title} with `type: {self.variant}`" if self.variant else title

    def read(self, section: Section, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every declared option of ``section``, by name, in declaration order.

        ``defaults`` replaces declared defaults known only at run time (the host name).
        """
        defaults = defaults or {}
        return {option.name: option.read(section, defaults.get(option.name, MISSING)) for option in self.options}
