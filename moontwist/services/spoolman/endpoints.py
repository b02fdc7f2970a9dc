"""``server.spoolman.*``: status, the active spool, and the proxy to Spoolman's API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.services.spoolman.client import SpoolmanResponse, SpoolmanUnreachable

if TYPE_CHECKING:
    from moontwist.services.spoolman.service import SpoolmanService

PROXY_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
UNAVAILABLE = "Spoolman server not available"


class SpoolmanEndpoints:
    def __init__(self, service: "SpoolmanService") -> None:
        self.service = service

    @endpoint("server.spoolman.status", "GET /server/spoolman/status")
    def status(self, request: Request) -> dict[str, Any]:
        return self.service.status()

    @endpoint("server.spoolman.get_spool_id", "GET /server/spoolman/spool_id")
    def get_spool_id(self, request: Request) -> dict[str, Any]:
        return {"spool_id": self.service.spool_id}

    @endpoint("server.spoolman.post_spool_id", "POST /server/spoolman/spool_id")
    async def post_spool_id(self, request: Request) -> dict[str, Any]:
        spool_id = request.get_int("spool_id", None)
        await self.service.set_active_spool(spool_id)
        return {"spool_id": self.service.spool_id}

    @endpoint("server.spoolman.proxy", "POST /server/spoolman/proxy")
    async def proxy(self, request: Request) -> Any:
        """Forward a call to Spoolman's ``/api/v1/...``.

        ``use_v2_response`` answers ``{response, response_headers, error}``
        whatever Spoolman said; without it a Spoolman error is our error.
        """
        method = request.get_str("request_method")
        path = request.get_str("path")
        query = request.get_str("query", None)
        body = request.get("body", None)
        use_v2_response = request.get_bool("use_v2_response", False)
        if method not in PROXY_METHODS:
            raise ApiError(f"Invalid HTTP method: {method}")
        if body is not None and method == "GET":
            raise ApiError("GET requests cannot have a body")
        if not path.startswith("/v1/"):
            raise ApiError("Invalid path, must start with the API version, e.g. /v1")
        target = f"{path}?{query}" if query is not None else path
        if not self.service.connected:
            if use_v2_response:
                return _v2_error(503, UNAVAILABLE)
            raise ApiError(UNAVAILABLE, 503)
        try:
            response = await self.service.client.request(method, target, body)
        except SpoolmanUnreachable as error:
            if use_v2_response:
                return _v2_error(500, str(error))
            raise ApiError(f"HTTP Request Error: {self.service.client.url(target)}", 500) from None
        if use_v2_response:
            return _v2_answer(response)
        if not response.ok:
            raise ApiError(response.reason or f"HTTP Request Error: {self.service.client.url(target)}",
                           response.status)
        return _decoded(response)


def _v2_answer(response: SpoolmanResponse) -> dict[str, Any]:
    if not response.ok:
        return _v2_error(response.status, response.message())
    return {"response": _decoded(response), "response_headers": response.headers, "error": None}


def _v2_error(status: int, message: str) -> dict[str, Any]:
    return {"response": None, "error": {"status_code": status, "message": message}}


def _decoded(response: SpoolmanResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ApiError("Spoolman's answer is not JSON", 500) from None
