"""`gcode_macro NAME` sections and SET_GCODE_VARIABLE.

Klippy renders macros with Jinja2. The simulator understands the part of that
language its own printer.cfg uses: ``{expression}`` where an expression is a
literal, a macro variable, ``params.NAME`` / ``params["NAME"]``, or a call of one
of the ``action_*`` functions with such arguments. Statements (``{% %}``) are
refused when the config is read.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.simulator.config import ConfigError
from moontwist.simulator.gcode import CommandError, GCodeCommand

if TYPE_CHECKING:
    from moontwist.simulator.config import ConfigSection
    from moontwist.simulator.host import KlippyHost


class _Undefined:
    """Jinja's undefined value: renders as nothing."""

    def __str__(self) -> str:
        return ""


UNDEFINED = _Undefined()


def _split_template(text: str) -> list[str | ast.Expression]:
    """Cut template text into literal text and parsed ``{...}`` expressions."""
    parts: list[str | ast.Expression] = []
    position = 0
    while True:
        start = text.find("{", position)
        if start < 0:
            parts.append(text[position:])
            return parts
        if text[start + 1 : start + 2] in ("%", "#"):
            raise ConfigError("only {expression} templates are supported by the simulator")
        end, depth, quote = start, 0, ""
        for end in range(start, len(text)):
            char = text[end]
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'":
                quote = char
            elif char in "{[(":
                depth += 1
            elif char in "}])":
                depth -= 1
                if depth == 0:
                    break
        else:
            raise ConfigError("unterminated template expression")
        parts.append(text[position:start])
        try:
            parts.append(ast.parse(text[start + 1 : end].strip(), mode="eval"))
        except SyntaxError as error:
            raise ConfigError(f"invalid template expression: {error}") from None
        position = end + 1


def _evaluate(node: ast.AST, context: dict[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, context)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return context.get(node.id, UNDEFINED)
    if isinstance(node, ast.Attribute):
        value = _evaluate(node.value, context)
        return value.get(node.attr, UNDEFINED) if isinstance(value, dict) else UNDEFINED
    if isinstance(node, ast.Subscript):
        value = _evaluate(node.value, context)
        key = _evaluate(node.slice, context)
        return value.get(key, UNDEFINED) if isinstance(value, dict) else UNDEFINED
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, context)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(item, context) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {_evaluate(k, context): _evaluate(v, context) for k, v in zip(node.keys, node.values) if k is not None}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function = context.get(node.func.id)
        if not callable(function):
            raise TypeError(f"'{node.func.id}' is undefined")
        args = [_evaluate(arg, context) for arg in node.args]
        kwargs = {kw.arg: _evaluate(kw.value, context) for kw in node.keywords if kw.arg is not None}
        return function(*args, **kwargs)
    raise TypeError(f"unsupported expression {type(node).__name__}")


class Template:
    """A parsed macro body, rendered to G-code text."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.parts = _split_template(text)

    def render(self, context: dict[str, Any]) -> str:
        out = []
        try:
            for part in self.parts:
                out.append(part if isinstance(part, str) else str(_evaluate(part, context)))
        except CommandError:
            raise
        except Exception as error:
            raise CommandError(f"Error evaluating '{self.name}': {type(error).__name__}: {error}\n") from None
        return "".join(out)


def template_actions(host: KlippyHost) -> dict[str, Callable[..., str]]:
    """The ``action_*`` functions Klippy offers to templates."""

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
        except CommandError:
            pass  # Klippy only logs a failed remote call
        return ""

    return {
        "action_emergency_stop": emergency_stop,
        "action_respond_info": respond_info,
        "action_raise_error": raise_error,
        "action_call_remote_method": call_remote_method,
    }


class GCodeMacro:
    """A `gcode_macro NAME` object: a command plus its variables as status."""

    cmd_SET_GCODE_VARIABLE_help = "Set the value of a G-Code macro variable"

    def __init__(self, host: KlippyHost, section: ConfigSection):
        self.host = host
        name = section.name.split()[1]
        self.alias = name.upper()
        self.template = Template(f"{section.name}:gcode", section.get("gcode"))
        if section.get("rename_existing", None) is not None:
            raise ConfigError("rename_existing is not supported by the simulator")
        description = section.get("description", "G-Code macro")
        host.gcode.register_command(self.alias, self.cmd, desc=description)
        host.gcode.register_mux_command(
            "SET_GCODE_VARIABLE", "MACRO", name, self.cmd_SET_GCODE_VARIABLE, desc=self.cmd_SET_GCODE_VARIABLE_help
        )
        self.in_script = False
        self.variables: dict[str, Any] = {}
        for option in section.options():
            if option.startswith("variable_"):
                try:
                    self.variables[option[len("variable_") :]] = self._literal(section.get(option))
                except (SyntaxError, TypeError, ValueError) as error:
                    raise ConfigError(
                        f"Option '{option}' in section '{section.name}' is not a valid literal: {error}"
                    ) from None

    @staticmethod
    def _literal(text: str) -> Any:
        value = ast.literal_eval(text)
        json.dumps(value)
        return value

    def get_status(self, eventtime: float) -> dict[str, Any]:
        return self.variables

    def cmd_SET_GCODE_VARIABLE(self, gcmd: GCodeCommand) -> None:
        variable = gcmd.get("VARIABLE")
        value = gcmd.get("VALUE")
        if variable not in self.variables:
            raise CommandError(f"Unknown gcode_macro variable '{variable}'")
        try:
            literal = self._literal(value)
        except (SyntaxError, TypeError, ValueError) as error:
            raise CommandError(f"Unable to parse '{value}' as a literal: {error} in '{gcmd.commandline}'") from None
        variables = dict(self.variables)
        variables[variable] = literal
        self.variables = variables

    def cmd(self, gcmd: GCodeCommand) -> Deferred[None]:
        if self.in_script:
            raise CommandError(f"Macro {self.alias} called recursively")
        context = dict(self.variables)
        context.update(template_actions(self.host))
        context["params"] = dict(gcmd.params)
        context["rawparams"] = gcmd.raw_parameters()
        script = self.template.render(context)
        self.in_script = True
        running = self.host.gcode.run_script_from_command(script)

        def finished(result: Any) -> Any:
            self.in_script = False
            return result

        return running.addBoth(finished)
