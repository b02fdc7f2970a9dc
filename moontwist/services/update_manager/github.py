"""GitHub's release API, with its rate-limit figures kept for ``machine.update.status``.

The base URL comes from ``[update_manager] github_api_url`` (a mirror, or the
loopback fake the tests run). Requests are the standard library's on a worker
thread (``moontwist/http_get.py``: Twisted's HTTPS client would keep pyOpenSSL
and cryptography resident after one check for updates). Downloads stream to a
file and are hashed as they arrive. Every request has a timeout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moontwist.http_get import FAILURES, Stopped, download, fetch
from moontwist.services.update_manager.base import UpdateError

if TYPE_CHECKING:
    from moontwist.database.namespace import Namespace

API_TIMEOUT = 30.0
DOWNLOAD_TIMEOUT = 600.0
STATS_KEY = "github_rate_limit"
HEADERS = {"Accept": "application/vnd.github+json"}
MAX_DOCUMENT = 16 * 1024 * 1024


class NotFound(UpdateError):
    """The server answered 404: what was asked for is not there."""


class GitHub:
    def __init__(self, reactor: Any, base_url: str) -> None:
        self.reactor = reactor
        self.base_url = base_url
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_time: float | None = None
        self.namespace: "Namespace | None" = None

    def restore(self, namespace: "Namespace") -> None:
        """The last figures seen, so a restart reports them without asking GitHub."""
        self.namespace = namespace
        saved = namespace.get(STATS_KEY, None) or {}
        self.limit = saved.get("limit")
        self.remaining = saved.get("remaining")
        self.reset_time = saved.get("reset_time")

    def stats(self) -> dict[str, Any]:
        return {"github_rate_limit": self.limit, "github_requests_remaining": self.remaining,
                "github_limit_reset_time": self.reset_time}

    async def get_json(self, path: str) -> Any:
        """GET ``{base}/{path}``; refused while GitHub's limit is used up."""
        if self.remaining == 0 and self.reset_time is not None and self.reactor.seconds() < self.reset_time:
            raise UpdateError(f"GitHub rate limit reached; it resets at {self.reset_time:.0f} (Unix time)", 503)
        url = f"{self.base_url}/{path.lstrip('/')}"
        return await self.get_json_from(url, record=True)

    async def get_json_from(self, url: str, record: bool = False) -> Any:
        """GET a JSON document (also PyPI's JSON API); ``record`` keeps GitHub's rate-limit figures."""
        try:
            response = await fetch(self.reactor, url, HEADERS, API_TIMEOUT, MAX_DOCUMENT)
        except FAILURES as error:
            raise UpdateError(f"Request {url} failed: {error}", 503) from None
        if record:
            await self._record(response.headers)
        if response.status == 404:
            raise NotFound(f"Request {url} failed with status 404", 503)
        if response.status != 200:
            raise UpdateError(f"Request {url} failed with status {response.status}", 503)
        try:
            return json.loads(response.body)
        except ValueError:
            raise UpdateError(f"Request {url} returned invalid JSON", 503) from None

    async def _record(self, headers: dict[str, str]) -> None:
        limit, remaining, reset = (headers.get(f"x-ratelimit-{part}") for part in ("limit", "remaining", "reset"))
        if limit is None or remaining is None or reset is None:
            return
        try:
            self.limit, self.remaining, self.reset_time = int(limit), int(remaining), float(reset)
        except ValueError:
            return
        if self.namespace is not None:
            await self.namespace.insert(STATS_KEY, {"limit": self.limit, "remaining": self.remaining,
                                                    "reset_time": self.reset_time})

    async def download(self, url: str, destination: Path) -> str:
        """Stream ``url`` to ``destination``; fires with the body's sha256."""
        try:
            status, digest = await download(self.reactor, url, {}, DOWNLOAD_TIMEOUT, destination)
        except (*FAILURES, Stopped) as error:
            raise UpdateError(f"Download of {url} failed: {error}", 503) from None
        if status != 200:
            raise UpdateError(f"Download of {url} failed with status {status}", 503)
        return digest
