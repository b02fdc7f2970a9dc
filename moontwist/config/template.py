"""The small part of Moonraker's config templates we support: ``{name.path}`` lookups.

Moonraker compiles template options with Jinja2 using ``{`` and ``}`` as the
expression delimiters. In the config file they are used to pull in secrets
(``{secrets.mqtt.password}``, ``{secrets["a"]["b"]}``) and, for paths,
``{data_path}``. We substitute exactly those lookups and refuse anything else
(filters, statements, arithmetic) with a clear error rather than guess.

As in Jinja2, a missing last key renders as an empty string while looking
inside something missing is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_NAME = r"[A-Za-z_]\w*"
_KEY = r"""(?:"[^"]*"|'[^']*'|-?\d+)"""
_EXPRESSION = re.compile(
    rf"\{{\s*(?P<name>{_NAME})(?P<path>(?:\s*(?:\.\s*{_NAME}|\[\s*{_KEY}\s*\]))*)\s*\}}"
)
_STEP = re.compile(rf"\s*(?:\.\s*(?P<attribute>{_NAME})|\[\s*(?P<key>{_KEY})\s*\])")


class TemplateError(ValueError):
    """The template cannot be rendered."""


class _Undefined:
    """A lookup that found nothing; renders as an empty string."""

    def __init__(self, expression: str) -> None:
        self.expression = expression


def render(source: str, context: Mapping[str, Any]) -> str:
    """Replace each ``{...}`` lookup in ``source`` with its value from ``context``; strip the result."""
    parts: list[str] = []
    position = 0
    while (start := source.find("{", position)) != -1:
        parts.append(source[position:start])
        match = _EXPRESSION.match(source, start)
        if match is None:
            excerpt = source[start : start + 20]
            raise TemplateError(f"unsupported template expression at '{excerpt}'")
        value = _evaluate(match["name"], match["path"], context)
        parts.append("" if isinstance(value, _Undefined) else str(value))
        position = match.end()
    parts.append(source[position:])
    return "".join(parts).strip()


def _evaluate(name: str, path: str, context: Mapping[str, Any]) -> Any:
    value: Any = context[name] if name in context else _Undefined(name)
    expression = name
    for step in _STEP.finditer(path):
        if isinstance(value, _Undefined):
            raise TemplateError(f"'{value.expression}' is undefined")
        key: str | int
        if step["attribute"] is not None:
            key = step["attribute"]
            expression += f".{key}"
        else:
            text = step["key"]
            key = text[1:-1] if text[0] in "\"'" else int(text)
            expression += f"[{text}]"
        value = _lookup(value, key, expression)
    return value


def _lookup(container: Any, key: str | int, expression: str) -> Any:
    if isinstance(container, Mapping) and key in container:
        return container[key]
    is_list = isinstance(container, Sequence) and not isinstance(container, (str, bytes))
    if is_list and isinstance(key, int) and -len(container) <= key < len(container):
        return container[key]
    return _Undefined(expression)
