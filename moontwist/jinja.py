"""Moonraker's Jinja2 templates: ``{ }`` for expressions, ``{% %}`` for statements.

As Moonraker sets them up: the ``do`` extension, the ``fromjson`` filter, and
the globals ``secrets``, ``raise_error`` and ``log_debug``. Async templates
await what they call (a Deferred too), so they render inside a coroutine
driven by ``Deferred.fromCoroutine``, with no asyncio loop. Import this module
only where a template is configured: it imports Jinja2.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jinja2
from twisted.logger import Logger

from moontwist.errors import ApiError

log = Logger()


class TemplateSyntaxError(ValueError):
    """The option is not a valid template."""


def _raise_error(message: str, code: int = 400) -> None:
    raise ApiError(message, code)


def _log_debug(message: str) -> None:
    log.debug("{message}", message=message)


def environment(secrets: Mapping[str, Any], is_async: bool = False) -> jinja2.Environment:
    env = jinja2.Environment("{%", "%}", "{", "}", enable_async=is_async, extensions=["jinja2.ext.do"])
    env.filters["fromjson"] = json.loads
    env.globals.update(secrets=secrets, raise_error=_raise_error, log_debug=_log_debug)
    return env


class AsyncTemplate:
    """A template that awaits what it calls; ``render`` is a coroutine."""

    def __init__(self, env: jinja2.Environment, source: str) -> None:
        self.source = source
        try:
            self._template = env.from_string(source)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateSyntaxError(f"{error.message} (line {error.lineno})") from None

    async def render(self, context: Mapping[str, Any]) -> str:
        """The stripped text; ApiError 500 when rendering fails (a raise_error keeps its own)."""
        try:
            text: str = await self._template.render_async(dict(context))
        except ApiError:
            raise
        except Exception as error:
            raise ApiError(f"Error rendering Jinja2 Template: {error}", 500) from error
        return text.strip()


class Template:
    """A template rendered at once (config values, notifier bodies)."""

    def __init__(self, env: jinja2.Environment, source: str) -> None:
        self.source = source
        try:
            self._template = env.from_string(source)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateSyntaxError(f"{error.message} (line {error.lineno})") from None

    def render(self, context: Mapping[str, Any] | None = None) -> str:
        """The stripped text; ApiError 500 when rendering fails (a raise_error keeps its own)."""
        try:
            return self._template.render(dict(context or {})).strip()
        except ApiError:
            raise
        except Exception as error:
            raise ApiError(f"Error rendering Jinja2 Template: {error}", 500) from error
