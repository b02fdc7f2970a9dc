"""``server.announcements.*``, as Moonraker 0.11 answers them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.services.announcements.service import AnnouncementsService


class AnnouncementsEndpoints:
    def __init__(self, service: "AnnouncementsService") -> None:
        self.service = service

    @endpoint("server.announcements.list", "GET /server/announcements/list")
    def list_entries(self, request: Request) -> dict[str, Any]:
        include_dismissed = request.get_bool("include_dismissed", True)
        return {"entries": self.service.listed(include_dismissed), "feeds": list(self.service.sources)}

    @endpoint("server.announcements.update", "POST /server/announcements/update")
    async def update(self, request: Request) -> dict[str, Any]:
        names = request.get_list("subscriptions", list(self.service.sources))
        for name in names:
            if name not in self.service.sources:
                raise ApiError(f"No subscription for {name}")
        changed, entries = await self.service.refresh(names)
        return {"entries": entries, "modified": changed}

    @endpoint("server.announcements.dismiss", "POST /server/announcements/dismiss")
    async def dismiss(self, request: Request) -> dict[str, Any]:
        entry_id = request.get_str("entry_id")
        await self.service.dismiss(entry_id, request.get_int("wake_time", None))
        return {"entry_id": entry_id}

    @endpoint("server.announcements.feeds", "GET /server/announcements/feeds")
    def feeds(self, request: Request) -> dict[str, Any]:
        return {"feeds": list(self.service.sources)}

    @endpoint("server.announcements.post_feed", "POST /server/announcements/feed")
    async def post_feed(self, request: Request) -> dict[str, Any]:
        name = request.get_str("name").lower()
        return {"feed": name, "action": await self.service.add_feed(name)}

    @endpoint("server.announcements.delete_feed", "DELETE /server/announcements/feed")
    async def delete_feed(self, request: Request) -> dict[str, Any]:
        name = request.get_str("name").lower()
        return {"feed": name, "action": await self.service.remove_feed(name)}
