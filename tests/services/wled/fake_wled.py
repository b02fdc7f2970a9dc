"""A WLED controller on loopback: ``POST /json`` with WLED's JSON API state, as firmware 0.14 takes it."""

from __future__ import annotations

import json
import os
from typing import Any

from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Request, Site


class _Json(Resource):
    isLeaf = True

    def __init__(self, wled: "FakeWled") -> None:
        super().__init__()
        self.wled = wled

    def render_POST(self, request: Request) -> bytes:
        if request.path != b"/json":
            request.setResponseCode(404)
            return b'{"error": 3}'
        state = json.loads(request.content.read())
        self.wled.received.append(state)
        self.wled.apply(state)
        request.setHeader("content-type", "application/json")
        if state.get("v"):
            return json.dumps({"state": self.wled.state, "info": {"ver": "0.14.0", "leds": {"count": 30}}}).encode()
        return b'{"success": true}'


class FakeWled:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {"on": False, "bri": 128, "ps": -1, "seg": [{"id": 0, "ix": 128, "sx": 128}]}
        self.leds: dict[int, list[int]] = {}
        self.port: Any = None

    def start(self) -> "FakeWled":
        site = Site(_Json(self))
        site.noisy = False
        self.port = reactor.listenTCP(0, site, interface="127.0.0.1")
        return self

    def stop(self) -> Any:
        return self.port.stopListening()

    def apply(self, state: dict[str, Any]) -> None:
        for key in ("on", "bri", "ps"):
            if key in state:
                self.state[key] = state[key]
        segment = state.get("seg")
        if isinstance(segment, dict):
            for key in ("ix", "sx", "bri"):
                if key in segment:
                    self.state["seg"][0][key] = segment[key]
            self._colors(segment.get("i", []))

    def _colors(self, items: list[Any]) -> None:
        """WLED's individual LED control: ``[start, stop, color]``, ``[index, color]`` or a color per LED."""
        if len(items) == 3 and isinstance(items[0], int) and isinstance(items[1], int):
            for index in range(items[0], items[1]):
                self.leds[index] = items[2]
        elif len(items) == 2 and isinstance(items[0], int):
            self.leds[items[0]] = items[1]
        else:
            for index, color in enumerate(items):
                self.leds[index] = color


class SerialWled:
    """WLED on a serial line: the far end of a pseudo-terminal, reading JSON states as WLED does
    (objects back to back) and answering ``{"v": true}`` with its state on one line."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)
        self.received: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {"on": False, "bri": 128, "ps": -1}
        self.answering = True
        self._buffer = ""
        reactor.addReader(self)

    def fileno(self) -> int:
        return self.master

    def logPrefix(self) -> str:
        return "SerialWled"

    def doRead(self) -> None:
        try:
            self._buffer += os.read(self.master, 65536).decode()
        except (BlockingIOError, OSError):
            return
        decoder = json.JSONDecoder()
        while self._buffer.strip():
            try:
                state, end = decoder.raw_decode(self._buffer.lstrip())
            except ValueError:
                return
            self._buffer = self._buffer.lstrip()[end:]
            self.received.append(state)
            self.state.update({k: v for k, v in state.items() if k in ("on", "bri", "ps")})
            if state.get("v") and self.answering:
                os.write(self.master, json.dumps({"state": self.state}).encode() + b"\n")

    def connectionLost(self, reason: Any) -> None:
        pass

    def close(self) -> None:
        reactor.removeReader(self)
        os.close(self.master)
        os.close(self.slave)
