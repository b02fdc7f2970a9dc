"""A small HTTP server on loopback that records every request: the far end of a
notifier's ``json://`` URL, a fake WLED, a webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.trial.unittest import TestCase
from twisted.web import resource, server


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int
    requests: list[Received] = field(default_factory=list)
    # Builds the reply (status, JSON-able body) for a request; default 200 {}.
    answer: Callable[[Received], tuple[int, Any]] = lambda received: (200, {})


class _Recorder(resource.Resource):
    isLeaf = True

    def __init__(self, receiver: "Receiver") -> None:
        super().__init__()
        self.receiver = receiver

    def render(self, request: server.Request) -> bytes:
        headers = {key.decode().lower(): value[0].decode() for key, value in request.requestHeaders.getAllRawHeaders()}
        assert request.content is not None
        received = Received(request.method.decode(), request.uri.decode(), headers, request.content.read())
        self.receiver.requests.append(received)
        status, body = self.receiver.answer(received)
        request.setResponseCode(status)
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(body).encode()


async def start_receiver(test: TestCase) -> Receiver:
    receiver = Receiver(0)
    site = server.Site(_Recorder(receiver))
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(site)
    receiver.port = port.getHost().port
    test.addCleanup(port.stopListening)
    return receiver
