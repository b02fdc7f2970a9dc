"""``server.notifiers.list`` and, with ``--debug``, ``debug.notifiers.test``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.services.notifier.service import NotifierService


class NotifierEndpoints:
    def __init__(self, service: "NotifierService") -> None:
        self._service = service

    @endpoint("server.notifiers.list", "GET /server/notifiers/list")
    def list_notifiers(self, request: Request) -> dict[str, Any]:
        return {"notifiers": [notifier.as_dict() for notifier in self._service.notifiers.values()]}


class NotifierDebugEndpoints:
    def __init__(self, service: "NotifierService") -> None:
        self._service = service

    @endpoint("debug.notifiers.test", "POST /debug/notifiers/test")
    async def test(self, request: Request) -> dict[str, Any]:
        """Send the notifier's first event with Klippy's print_stats (an empty dict when Klippy is away)."""
        notifier = self._service.get(request.get_str("name"))
        print_stats: dict[str, Any] = {}
        klippy = self._service.ctx.components.get("klippy")
        if klippy is not None and klippy.connected:
            try:
                status = await klippy.query({"print_stats": None})
                print_stats = dict(status.get("status", {}).get("print_stats", {}))
            except ApiError:
                print_stats = {}
        print_stats["filename"] = "notifier_test.gcode"
        event = notifier.options.events[0] if notifier.options.events else "*"
        await self._service.send(notifier, event, [print_stats, print_stats])
        return {"status": "success", "stats": print_stats}
