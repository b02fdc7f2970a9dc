"""A loopback package index: PyPI's JSON API, a /simple page and hand-built wheels."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from typing import Any, Callable

from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Site

PROJECT = "twistdemo"


def wheel(version: str) -> bytes:
    """A pure-Python wheel of ``twistdemo`` whose module reports ``version``."""
    files = {
        f"{PROJECT}/__init__.py": f"VERSION = {version!r}\n",
        f"{PROJECT}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n",
        f"{PROJECT}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
                                              "Tag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{PROJECT}-{version}.dist-info/RECORD,,")
    files[f"{PROJECT}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return buffer.getvalue()


def wheel_name(version: str) -> str:
    return f"{PROJECT}-{version}-py3-none-any.whl"


class FakeIndex(Resource):
    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.wheels: dict[str, bytes] = {}
        self.on_download: Callable[[], None] | None = None
        self.base = ""

    def publish(self, version: str) -> None:
        self.wheels[version] = wheel(version)

    def render_GET(self, request: Any) -> bytes:
        path = request.path.decode()
        if path == f"/pypi/{PROJECT}/json":
            request.setHeader("Content-Type", "application/json")
            releases = {version: [{"filename": wheel_name(version)}] for version in self.wheels}
            latest = max(self.wheels, key=lambda v: tuple(int(p) for p in v.split(".")))
            return json.dumps({"info": {"version": latest}, "releases": releases}).encode()
        if path.rstrip("/") == f"/simple/{PROJECT}":
            request.setHeader("Content-Type", "text/html")
            links = "".join(f'<a href="/files/{wheel_name(v)}">{wheel_name(v)}</a>' for v in self.wheels)
            return f"<html><body>{links}</body></html>".encode()
        for version, data in self.wheels.items():
            if path == f"/files/{wheel_name(version)}":
                if self.on_download is None:
                    return data
                # The daemon dies now; its orphaned pip gets a 404 and exits rather than hang.
                self.on_download()
                break
        request.setResponseCode(404)
        return b"not found"


def start_fake_index(test: Any) -> FakeIndex:
    index = FakeIndex()
    port = reactor.listenTCP(0, Site(index), interface="127.0.0.1")
    test.addCleanup(port.stopListening)
    index.base = f"http://127.0.0.1:{port.getHost().port}"
    return index
