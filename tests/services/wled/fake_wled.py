"""A WLED controller on loopback: ``POST /json`` with WLED's JSON API state, as firmware 0.14 takes it."""

from __future__ import annotations

import json
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
