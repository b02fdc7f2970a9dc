"""Klippy's own endpoints, served as ``printer.<path>`` while Klippy lists them.

Klippy answers ``list_endpoints`` with the paths its modules registered
(``bed_mesh/dump_mesh``, ``pause_resume/pause``…). Each one we have no handler
for is forwarded as it is, as Moonraker does: JSON-RPC ``printer.bed_mesh.dump_mesh``
and HTTP ``GET``/``POST /printer/bed_mesh/dump_mesh``. The set is replaced by
what Klippy lists after every (re)connection. While Klippy is away they stay, and
answer 503 "Klippy Host not connected" as Moonraker's do: a -32601 would tell a
client that the API does not exist.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from moontwist.api import Endpoint, Registry, Request, Transport

if TYPE_CHECKING:
    from moontwist.services.klippy.service import KlippyService

# Klippy's endpoints for its link with us, never offered to clients (as in Moonraker).
RESERVED = frozenset({"list_endpoints", "gcode/subscribe_output", "register_remote_method"})
# HTTP query arguments that are credentials, not arguments for Klippy.
CREDENTIALS = frozenset({"token", "access_token"})
TRANSPORTS = Transport.HTTP | Transport.JSONRPC | Transport.INTERNAL


def method_name(path: str) -> str:
    return "printer." + path.replace("/", ".")


class KlippyEndpoints:
    """The registry entries made for the endpoints Klippy listed last."""

    def __init__(self, klippy: "KlippyService", registry: Registry) -> None:
        self._klippy = klippy
        self._registry = registry
        self._added: list[str] = []

    @property
    def methods(self) -> list[str]:
        return list(self._added)

    def offer(self, paths: list[Any]) -> None:
        """Serve every path of ``paths`` that is not reserved or already ours."""
        self.withdraw()
        for path in paths:
            if not isinstance(path, str) or not path or path in RESERVED or path.startswith("/"):
                continue
            method = method_name(path)
            routes = (("GET", f"/printer/{path}"), ("POST", f"/printer/{path}"))
            if self._registry.by_method(method) is not None or any(self._registry.by_route(*r) for r in routes):
                continue
            self._registry.add(Endpoint(method, routes, partial(self._forward, path), TRANSPORTS))
            self._added.append(method)

    def withdraw(self) -> None:
        for method in self._added:
            self._registry.remove(method)
        self._added = []

    def _forward(self, path: str, request: Request) -> "Deferred[Any]":
        args = request.args
        if request.transport is Transport.HTTP:
            args = {key: value for key, value in args.items() if key not in CREDENTIALS}
        return self._klippy.request(path, args, self._klippy.gcode_timeout)
