"""A blocking Klippy API client for the comparison script: ETX-framed JSON
requests, with every push (status, G-code output) kept in arrival order."""

from __future__ import annotations

import json
import select
import socket
import time
from typing import Any

ETX = b"\x03"


class Closed(Exception):
    """Klippy closed the connection."""


class KlippyClient:
    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.timeout = timeout
        self.buffer = b""
        self.next_id = 0
        self.pushes: list[dict[str, Any]] = []
        self.replies: dict[int, dict[str, Any]] = {}
        self.closed_at: float | None = None

    def close(self) -> None:
        self.sock.close()

    def send(self, method: str, **params: Any) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        self.sock.sendall(json.dumps(message).encode() + ETX)
        return self.next_id

    def _read(self, wait: float) -> None:
        ready, _, _ = select.select([self.sock], [], [], max(0.0, wait))
        if not ready:
            return
        data = self.sock.recv(65536)
        if not data:
            self.closed_at = time.monotonic()
            raise Closed()
        self.buffer += data
        *messages, self.buffer = self.buffer.split(ETX)
        for raw in messages:
            message = json.loads(raw)
            if "id" in message:
                self.replies[message["id"]] = message
            else:
                self.pushes.append(message)

    def wait_reply(self, request_id: int, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while request_id not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply to request {request_id}")
            self._read(deadline - time.monotonic())
        return self.replies.pop(request_id)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.wait_reply(self.send(method, **params))

    def pump(self, seconds: float) -> None:
        """Read for ``seconds`` (pushes accumulate)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(deadline - time.monotonic())

    def wait_closed(self, timeout: float = 10.0) -> float:
        """Seconds until Klippy closes the connection."""
        started = time.monotonic()
        try:
            while time.monotonic() - started < timeout:
                self._read(timeout - (time.monotonic() - started))
        except Closed:
            return time.monotonic() - started
        raise TimeoutError("the connection stayed open")

    def take_pushes(self, method: str) -> list[Any]:
        taken = [push["params"] for push in self.pushes if push.get("method") == method]
        self.pushes = [push for push in self.pushes if push.get("method") != method]
        return taken


def connect_when_ready(path: str, timeout: float = 20.0) -> tuple[KlippyClient, float]:
    """Connect (retrying every 50 ms) and poll ``info`` until not ``startup``;
    the client and the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            client = KlippyClient(path)
        except OSError:
            time.sleep(0.05)
            continue
        try:
            while time.monotonic() - started < timeout:
                if client.call("info")["result"]["state"] != "startup":
                    return client, time.monotonic() - started
                time.sleep(0.05)
        except (Closed, OSError):
            client.close()
            time.sleep(0.05)
    raise TimeoutError(f"no Klippy ready on {path}")
