"""Moonraker's Jinja2 templates: ``{`` and ``}`` around expressions, ``{% %}`` for statements.

Options such as a notifier's ``body``, a button's ``on_press`` or a sensor's
``state_response_template`` are Jinja2 templates, rendered when used; others
(``sudo_password``, paths) are rendered once, at start-up, to pull in secrets
(``{secrets.mqtt.password}``) and ``{data_path}``. As in Moonraker, every
template has ``secrets``, ``raise_error``, ``log_debug``, the ``fromjson``
filter and ``{% do %}``; services add ``call_method`` and their own values to
the context. Async templates (a button's actions, an http power device's
requests) await the Deferreds they call, inside ``ensureDeferred``: no asyncio
loop. This is the one Jinja2 mechanism of moontwist; options declare such
templates with the ``jinja`` / ``jinja_async`` kinds (``config/options.py``).

jinja2 is imported on first use: text without a brace never needs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred, fail, succeed
from twisted.logger import Logger

log = Logger()

_ENVIRONMENTS: dict[bool, Any] = {}


class TemplateError(ValueError):
    """The template cannot be compiled or rendered."""


class TemplateRaisedError(TemplateError):
    """``raise_error(message, code)`` was called by the template itself."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _raise_error(message: str, status: int = 400) -> None:
    raise TemplateRaisedError(message, status)


def _log_debug(message: str) -> None:
    log.debug("{message}", message=message)


def _environment(is_async: bool) -> Any:
    environment = _ENVIRONMENTS.get(is_async)
    if environment is None:
        import jinja2

        environment = jinja2.Environment(
            "{%", "%}", "{", "}", extensions=["jinja2.ext.do"], enable_async=is_async
        )
        environment.filters["fromjson"] = json.loads
        environment.globals["raise_error"] = _raise_error
        environment.globals["log_debug"] = _log_debug
        _ENVIRONMENTS[is_async] = environment
    return environment


class Template:
    """A compiled template option; ``source`` is what the config file says."""

    def __init__(self, source: str, variables: Mapping[str, Any] | None = None, is_async: bool = False) -> None:
        self.source = source
        self.is_async = is_async
        try:
            self._template = _environment(is_async).from_string(source, globals=dict(variables or {}))
        except Exception as error:
            line = getattr(error, "lineno", None)
            where = f" (line {line})" if line is not None else ""
            raise TemplateError(f"Error compiling Jinja2 template: {error}{where}") from error

    def __str__(self) -> str:
        return self.source

    def render(self, context: Mapping[str, Any] | None = None) -> str:
        """Render now (a template that awaits nothing); errors are TemplateError."""
        if self.is_async:
            raise TemplateError("An async template must be rendered with render_async()")
        try:
            return str(self._template.render(dict(context or {}))).strip()
        except TemplateError:
            raise
        except Exception as error:
            raise TemplateError(f"Error rendering Jinja2 template: {error}") from error

    def render_async(self, context: Mapping[str, Any] | None = None) -> "Deferred[str]":
        """Render, awaiting what the template calls (``call_method`` gives Deferreds)."""
        if not self.is_async:
            try:
                return succeed(self.render(context))
            except TemplateError:
                return fail()
        return ensureDeferred(self._render_async(dict(context or {})))

    async def _render_async(self, context: dict[str, Any]) -> str:
        try:
            text = await self._template.render_async(context)
        except TemplateError:
            raise
        except Exception as error:
            raise TemplateError(f"Error rendering Jinja2 template: {error}") from error
        return str(text).strip()


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render ``source`` at once with ``context``; the result is stripped."""
    if "{" not in source:
        return source.strip()
    return Template(source).render(context)
