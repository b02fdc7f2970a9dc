"""What a service's templates may call: ``call_method(method, arguments=None, **kwargs)``
reaches any API method through the registry, as Moonraker's internal transport does."""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.defer import Deferred

from moontwist.api import Registry, Request, Transport


def method_caller(registry: Registry) -> Callable[..., "Deferred[Any]"]:
    """``call_method`` for templates: the named method's result (awaited by async templates)."""

    def call_method(method: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> "Deferred[Any]":
        return registry.dispatch(Request(method, {**(arguments or {}), **kwargs}, Transport.INTERNAL))

    return call_method
