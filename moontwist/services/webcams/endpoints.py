"""``server.webcams.*``: the API of the webcam component, as Moonraker 0.11 answers it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.services.webcams.camera import CONFIG, Webcam, from_request

if TYPE_CHECKING:
    from moontwist.services.webcams.service import WebcamService


class WebcamEndpoints:
    def __init__(self, service: "WebcamService") -> None:
        self.service = service

    @endpoint("server.webcams.list", "GET /server/webcams/list")
    def list_webcams(self, request: Request) -> dict[str, Any]:
        return {"webcams": self.service.listed()}

    @endpoint("server.webcams.get_item", "GET /server/webcams/item")
    def get_item(self, request: Request) -> dict[str, Any]:
        return {"webcam": self._find(request).as_dict()}

    @endpoint("server.webcams.post_item", "POST /server/webcams/item")
    async def post_item(self, request: Request) -> dict[str, Any]:
        service = self.service
        existing = self._lookup(request)
        if existing is None:
            webcam = from_request(request, service.new_uid())
        else:
            if existing.source == CONFIG:
                raise ApiError(f"Cannot overwrite webcam '{existing.name}' sourced from Moonraker configuration")
            webcam = existing.updated(request)
            if webcam.name != existing.name and webcam.name in service.webcams():
                raise ApiError(
                    f"Cannot rename webcam from '{existing.name}' to '{webcam.name}'.  Webcam with requested "
                    f"name '{webcam.name}' already exists."
                )
        await service.save(webcam)
        service.announce()
        return {"webcam": webcam.as_dict()}

    @endpoint("server.webcams.delete_item", "DELETE /server/webcams/item")
    async def delete_item(self, request: Request) -> dict[str, Any]:
        webcam = self._find(request)
        if webcam.source == CONFIG:
            raise ApiError(f"Cannot delete webcam '{webcam.name}' sourced from Moonraker configuration")
        await self.service.remove(webcam)
        self.service.announce()
        return {"webcam": webcam.as_dict()}

    @endpoint("server.webcams.test", "POST /server/webcams/test")
    async def test(self, request: Request) -> dict[str, Any]:
        return await self.service.probe.test(self._find(request))

    def _find(self, request: Request) -> Webcam:
        webcam = self._lookup(request)
        if webcam is None:
            raise ApiError(f"Webcam {request.get_str('name')} not found", 404)
        return webcam

    def _lookup(self, request: Request) -> Webcam | None:
        """The webcam named by ``uid`` (which wins) or ``name``; None for an unknown name."""
        webcams = self.service.webcams()
        if "uid" in request.args:
            uid = request.get_str("uid")
            for webcam in webcams.values():
                if webcam.uid == uid:
                    return webcam
            raise ApiError(f"Webcam with UID {uid} not found", 404)
        return webcams.get(request.get_str("name"))
