"""G-code templates rendered with Jinja2 as Klippy renders them, `[gcode_macro
NAME]` (with ``rename_existing``), SET_GCODE_VARIABLE and `[delayed_gcode NAME]`.

Templates use Klippy's delimiters (``{ }`` for expressions, ``{% %}`` for
statements) and context: ``printer`` (every object's status, read once per
render), the ``action_*`` functions, and for macros ``params``, ``rawparams``
and the macro's ``variable_*`` values.
"""

from __future__ import annotations

import ast
import copy
import json
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jinja2

from moontwist.simulator.config import ConfigError
from moontwist.simulator.gcode import CommandError, GCodeCommand, is_traditional_gcode

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IDelayedCall

    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost


class PrinterStatus:
    """``printer`` in a template: each object's status, copied once per render."""

    def __init__(self, host: KlippyHost):
        self.host = host
        self.eventtime: float | None = None
        self.cache: dict[str, Any] = {}

    def __getitem__(self, name: Any) -> Any:
        key = str(name).strip()
        if key in self.cache:
            return self.cache[key]
        obj = self.host.objects.get(key)
        if obj is None or not hasattr(obj, "get_status"):
            raise KeyError(name)
        if self.eventtime is None:
            self.eventtime = self.host.monotonic()
        status = self.cache[key] = copy.deepcopy(obj.get_status(self.eventtime))
        return status

    def __contains__(self, name: Any) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return (name for name in list(self.host.objects) if name in self)


def _error_text(error: Exception) -> str:
    """The exception as Klippy's traceback line names it (its ``gcode`` module for G-code errors)."""
    if isinstance(error, CommandError):
        return f"gcode.CommandError: {error}\n"
    return traceback.format_exception_only(type(error), error)[-1]


class Templates:
    """Klippy's `gcode_macro` helper: the Jinja2 environment and the template context."""

    def __init__(self, host: KlippyHost):
        self.host = host
        self.environment = jinja2.Environment(block_start_string="{%", block_end_string="%}",
                                              variable_start_string="{", variable_end_string="}")

    def load(self, section: ConfigSection, option: str, default: str | None = None) -> Template:
        text = section.get(option) if default is None else section.get(option, default)
        return Template(self, f"{section.name}:{option}", text)

    def context(self) -> dict[str, Any]:
        host = self.host

        def emergency_stop(message: str = "action_emergency_stop") -> str:
            host.invoke_shutdown(f"Shutdown due to {message}")
            return ""

        def respond_info(message: str) -> str:
            host.gcode.respond_info(message)
            return ""

        def raise_error(message: str) -> str:
            raise CommandError(message)

        def call_remote_method(method: str, **kwargs: Any) -> str:
            try:
                host.webhooks.call_remote_method(method, **kwargs)
            except CommandError as error:
                host.log.write(f"Remote Call Error: {error}")
            return ""

        return {
            "printer": PrinterStatus(host),
            "action_emergency_stop": emergency_stop,
            "action_respond_info": respond_info,
            "action_raise_error": raise_error,
            "action_call_remote_method": call_remote_method,
        }


class Template:
    """One template option, compiled when the config is read."""

    def __init__(self, templates: Templates, name: str, text: str):
        self.templates = templates
        self.name = name
        try:
            self.template = templates.environment.from_string(text)
        except jinja2.TemplateSyntaxError as error:
            lines = text.splitlines()
            line = lines[error.lineno - 1] if 0 < error.lineno <= len(lines) else ""
            raise ConfigError(f"Error loading template '{name}'\nline {error.lineno}: {line} # {error.message}") from None

    def render(self, context: dict[str, Any] | None = None) -> str:
        if context is None:
            context = self.templates.context()
        try:
            return str(self.template.render(context))
        except Exception as error:
            raise CommandError(f"Error evaluating '{self.name}': {_error_text(error)}") from None


def parse_literal(text: str) -> Any:
    """A Python literal that JSON can carry (Klippy's rule for macro variables)."""
    value = ast.literal_eval(text)
    json.dumps(value, separators=(",", ":"))
    return value


class GCodeMacro:
    """A `gcode_macro NAME` object: a command plus its variables as status."""

    cmd_SET_GCODE_VARIABLE_help = "Set the value of a G-Code macro variable"

    def __init__(self, host: KlippyHost, section: ConfigSection, templates: Templates):
        self.host = host
        parts = section.name.split()
        if len(parts) > 2:
            raise ConfigError(f"Name of section '{section.name}' contains illegal whitespace")
        name = parts[1]
        self.alias = name.upper()
        self.template = templates.load(section, "gcode")
        self.rename_existing: str | None = section.get("rename_existing", None)
        self.description: str = section.get("description", "G-Code macro")
        gcode = host.gcode
        if self.rename_existing is not None:
            if is_traditional_gcode(self.alias) != is_traditional_gcode(self.rename_existing):
                raise ConfigError(
                    f"G-Code macro rename of different types ('{self.alias}' vs '{self.rename_existing}')"
                )
            host.register_event_handler("klippy:connect", self._rename)
        else:
            gcode.register_command(self.alias, self.cmd, desc=self.description)
        gcode.register_mux_command("SET_GCODE_VARIABLE", "MACRO", name, self.cmd_SET_GCODE_VARIABLE,
                                   desc=self.cmd_SET_GCODE_VARIABLE_help)
        self.in_script = False
        self.variables: dict[str, Any] = {}
        for option in section.prefix_options("variable_"):
            try:
                self.variables[option[len("variable_"):]] = parse_literal(section.get(option))
            except (SyntaxError, TypeError, ValueError) as error:
                raise ConfigError(
                    f"Option '{option}' in section '{section.name}' is not a valid literal: {error}"
                ) from None

    def _rename(self) -> None:
        gcode = self.host.gcode
        previous = gcode.unregister_command(self.alias)
        if previous is None:
            raise ConfigError(f"Existing command '{self.alias}' not found in gcode_macro rename")
        assert self.rename_existing is not None
        gcode.register_command(self.rename_existing, previous, desc=f"Renamed builtin of '{self.alias}'", wrapped=True)
        gcode.register_command(self.alias, self.cmd, desc=self.description)

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self.variables

    def cmd_SET_GCODE_VARIABLE(self, gcmd: GCodeCommand) -> None:
        variable = gcmd.get("VARIABLE")
        value = gcmd.get("VALUE")
        if variable not in self.variables:
            raise CommandError(f"Unknown gcode_macro variable '{variable}'")
        try:
            literal = parse_literal(value)
        except (SyntaxError, TypeError, ValueError) as error:
            raise CommandError(f"Unable to parse '{value}' as a literal: {error} in '{gcmd.commandline}'") from None
        variables = dict(self.variables)
        variables[variable] = literal
        self.variables = variables

    def cmd(self, gcmd: GCodeCommand) -> Deferred[None]:
        if self.in_script:
            raise CommandError(f"Macro {self.alias} called recursively")
        context = dict(self.variables)
        context.update(self.template.templates.context())
        context["params"] = dict(gcmd.params)
        context["rawparams"] = gcmd.raw_parameters()
        script = self.template.render(context)
        self.in_script = True
        running = self.host.gcode.run_script_from_command(script)

        def finished(result: Any) -> Any:
            self.in_script = False
            return result

        return running.addBoth(finished)


class DelayedGCode:
    """`delayed_gcode NAME`: a template run (under the G-code mutex) a while after
    ready or after UPDATE_DELAYED_GCODE, optionally rescheduling itself."""

    cmd_UPDATE_DELAYED_GCODE_help = "Update the duration of a delayed_gcode"

    def __init__(self, host: KlippyHost, section: ConfigSection, templates: Templates):
        self.host = host
        self.name = section.name.split()[1]
        self.template = templates.load(section, "gcode")
        self.duration: float = section.getfloat("initial_duration", 0.0, minval=0.0)
        self.timer: IDelayedCall | None = None
        self.inside_timer = self.repeat = False
        host.register_event_handler("klippy:ready", self._schedule)
        host.gcode.register_mux_command("UPDATE_DELAYED_GCODE", "ID", self.name, self.cmd_UPDATE_DELAYED_GCODE,
                                        desc=self.cmd_UPDATE_DELAYED_GCODE_help)

    def _schedule(self) -> None:
        self.host.timers.cancel(self.timer)
        self.timer = self.host.timers.call_later(self.duration, self._fire) if self.duration else None

    def _fire(self) -> None:
        self.timer = None
        self.inside_timer = True
        try:
            running = self.host.gcode.run_script(self.template.render())
        except CommandError as error:
            self.host.log.write(f"Script running error: {error}")
            self._finished(None)
            return
        running.addErrback(lambda failure: self.host.log.write(f"Script running error: {failure.value}"))
        running.addCallback(self._finished)

    def _finished(self, _: object) -> None:
        repeat = self.repeat
        self.inside_timer = self.repeat = False
        if repeat:
            self._schedule()

    def cmd_UPDATE_DELAYED_GCODE(self, gcmd: GCodeCommand) -> None:
        self.duration = gcmd.get_float("DURATION", minval=0.0)
        if self.inside_timer:
            self.repeat = self.duration != 0.0
        else:
            self._schedule()

