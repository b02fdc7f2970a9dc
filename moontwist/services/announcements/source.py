"""Where a feed's document comes from: Moonraker's feed site over HTTP, or a local file.

Over HTTP the last ETag is sent back (``If-None-Match``) and kept in the
``moonraker`` namespace as Moonraker keeps it; a 304 means no change. The
request is the standard library's on a worker thread (``moontwist/http_get.py``),
not treq's: announcements are on by default, so every printer fetches the feed
site, over HTTPS, and Twisted's TLS would stay resident after the first fetch. In
``dev_mode`` the document is ``<data>/development/announcements/<name>.xml``,
read again only when its mtime changes. A fetch that fails is no change:
the entries stay, and the failure is logged once until a fetch succeeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from moontwist.database import Namespace
from moontwist.http_get import FAILURES, fetch

log = Logger()

FETCH_TIMEOUT = 30.0
MAX_DOCUMENT = 4 * 1024 * 1024


class FeedSource:
    """The document of one feed, when it changed since the last read."""

    def __init__(self, name: str, reactor: Any, settings: Namespace, base_url: str | None,
                 dev_folder: Path | None) -> None:
        self.name = name
        self.reactor = reactor
        self.settings = settings
        self.url = f"{base_url.rstrip('/')}/assets/{name}.xml" if base_url else None
        self.dev_file = dev_folder / f"{name}.xml" if dev_folder is not None else None
        self.last_modified = 0
        self.failing = False

    @property
    def etag(self) -> str | None:
        value = self.settings.get(["announcements", self.name, "etag"], None)
        return value if isinstance(value, str) else None

    async def read(self) -> str | None:
        """The new document, or None (unchanged, disabled, or failed)."""
        if self.dev_file is not None:
            return await self._read_file(self.dev_file)
        if self.url is None:
            return None
        return await self._fetch(self.url)

    async def _fetch(self, url: str) -> str | None:
        headers = {"Accept": "application/xml"}
        etag = self.etag
        if etag is not None:
            headers["If-None-Match"] = etag
        try:
            fetched = await fetch(self.reactor, url, headers, FETCH_TIMEOUT, MAX_DOCUMENT)
        except FAILURES as error:
            return self._failed(f"{type(error).__name__}: {error}")
        if fetched.status == 304:
            self._recovered()
            return None
        if fetched.status >= 400:
            return self._failed(f"HTTP {fetched.status}")
        self._recovered()
        await self._keep_etag(fetched.headers.get("etag"))
        return fetched.body.decode("utf-8", errors="replace")

    async def _keep_etag(self, etag: str | None) -> None:
        path = ["announcements", self.name, "etag"]
        if etag is not None:
            await self.settings.insert(path, etag)
        elif self.etag is not None:
            await self.settings.delete(path)

    async def _read_file(self, path: Path) -> str | None:
        try:
            modified = path.stat().st_mtime_ns
        except OSError:
            return self._failed(f"no file at {path}")
        if modified <= self.last_modified:
            return None
        try:
            pool = self.reactor.getThreadPool()
            text: str = await deferToThreadPool(self.reactor, pool, path.read_text, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            return self._failed(f"cannot read {path}: {error}")
        self._recovered()
        self.last_modified = modified
        return text

    def _failed(self, reason: str) -> None:
        if not self.failing:
            log.info("Announcement feed {name} not updated: {reason}", name=self.name, reason=reason)
        self.failing = True
        return None

    def _recovered(self) -> None:
        if self.failing:
            log.info("Announcement feed {name} reachable again", name=self.name)
        self.failing = False
