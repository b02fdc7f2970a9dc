"""A loopback stand-in for GitHub: the releases API (with rate-limit headers) and asset downloads."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any, Callable

from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

RESET_TIME = 4102444800


def release_zip(version: str, files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("index.html", f"<html>{version}</html>")
        bundle.writestr("release_info.json", json.dumps(
            {"project_name": "mainsail", "project_owner": "mainsail-crew", "version": version}))
        for name, text in (files or {}).items():
            bundle.writestr(name, text)
    return buffer.getvalue()


class FakeGitHub(Resource):
    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.releases: list[dict[str, Any]] = []
        self.assets: dict[str, bytes] = {}
        self.remaining = 60
        self.requests: list[str] = []
        self.base = ""
        self.on_download: Callable[[], None] | None = None

    def publish(self, version: str, data: bytes, prerelease: bool = False, digest: str | None = None) -> None:
        path = f"/download/{version}/mainsail.zip"
        self.assets[path] = data
        asset = {"name": "mainsail.zip", "browser_download_url": self.base + path,
                 "digest": digest or "sha256:" + hashlib.sha256(data).hexdigest()}
        self.releases.insert(0, {"tag_name": version, "prerelease": prerelease, "assets": [asset]})

    def render_GET(self, request: Any) -> bytes:
        path = request.uri.decode()
        self.requests.append(path)
        if path in self.assets:
            if self.on_download is not None:
                self.on_download()
                return NOT_DONE_YET
            return self.assets[path]
        self.remaining -= 1
        request.setHeader("X-RateLimit-Limit", "60")
        request.setHeader("X-RateLimit-Remaining", str(self.remaining))
        request.setHeader("X-RateLimit-Reset", str(RESET_TIME))
        request.setHeader("Content-Type", "application/json")
        if path == "/repos/mainsail-crew/mainsail/releases/latest":
            stable = [release for release in self.releases if not release["prerelease"]]
            if stable:
                return json.dumps(stable[0]).encode()
        elif path == "/repos/mainsail-crew/mainsail/releases?per_page=1":
            return json.dumps(self.releases[:1]).encode()
        request.setResponseCode(404)
        return b'{"message": "Not Found"}'


def start_fake_github(test: Any) -> FakeGitHub:
    github = FakeGitHub()
    port = reactor.listenTCP(0, Site(github), interface="127.0.0.1")
    test.addCleanup(port.stopListening)
    github.base = f"http://127.0.0.1:{port.getHost().port}"
    return github
