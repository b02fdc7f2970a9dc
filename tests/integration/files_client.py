"""Helpers for file manager integration tests: multipart bodies, raw uploads, polling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.internet.task import deferLater
from twisted.python.failure import Failure

from tests.integration.clients import http_client

BOUNDARY = "----moontwistIntegration"


def form(fields: dict[str, str], filename: str | None = "part.gcode", data: bytes = b"G1 X1\n",
         complete: bool = True) -> bytes:
    """A multipart/form-data body: ``fields`` first, then the file part."""
    body = b""
    for name, value in fields.items():
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    if filename is not None:
        body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    if complete:
        body += f"--{BOUNDARY}--\r\n".encode()
    return body


async def post_form(test: Any, url: str, body: bytes) -> tuple[int, Any, Any]:
    """POST a multipart body; the status, the decoded JSON answer and the headers."""
    response = await http_client(test).post(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    text = await response.text()
    return response.code, json.loads(text) if text else None, response.headers


async def call(test: Any, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    response = await http_client(test).request(method, url, **kwargs)
    text = await response.text()
    return response.code, json.loads(text) if text else None


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` (without following symlinks) and the bytes of its files."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(folder))
        found[relative] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return found


async def eventually(predicate: Any, timeout: float = 10.0) -> None:
    """Wait (polling) until ``predicate()`` holds."""
    waited = 0.0
    while not predicate():
        if waited > timeout:
            raise TimeoutError("condition not reached")
        await deferLater(reactor, 0.02, lambda: None)
        waited += 0.02


def file_changes(client: Any) -> list[tuple[str, str]]:
    """The ``notify_filelist_changed`` actions and paths a websocket client has received."""
    return [(n["params"][0]["action"], n["params"][0]["item"]["path"])
            for n in client.notifications if n["method"] == "notify_filelist_changed"]


async def pause(seconds: float) -> None:
    """Let the daemon run for a while (to see that nothing more happens)."""
    await deferLater(reactor, seconds, lambda: None)


class RawClient(Protocol):
    """Sends bytes of its choosing and collects what comes back."""

    def __init__(self) -> None:
        self.received = b""
        self.closed: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: Failure) -> None:
        self.closed.callback(None)


async def raw_connection(port: int) -> RawClient:
    client = RawClient()
    await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), client)
    return client
