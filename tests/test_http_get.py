"""moontwist/http_get.py against HTTP servers on loopback: statuses, size limits, downloads
hashed as they arrive, and a download that stops when the reactor begins to shut down."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

from moontwist.http_get import Stopped, download, fetch

CHUNK = b"x" * 65536


class Server(Resource):
    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.started: Deferred[None] = Deferred()
        self.pending: Any = None

    def render_GET(self, request: Request) -> Any:
        if request.path == b"/doc":
            request.setHeader(b"ETag", b'"v1"')
            return b"<rss/>"
        if request.path == b"/big":
            return b"y" * 2000
        if request.path == b"/endless":
            # One chunk now, then one every 10 ms until the client goes away.
            gone: list[Any] = []
            request.notifyFinish().addBoth(gone.append)

            def more() -> None:
                if not gone:
                    request.write(CHUNK)
                    self.pending = reactor.callLater(0.01, more)

            more()
            self.started.callback(None)
            return NOT_DONE_YET
        request.setResponseCode(404)
        return b"missing"


class ShutdownWatch:
    """The real reactor, with the "before shutdown" triggers kept here to be fired by the test."""

    def __init__(self) -> None:
        self.triggers: list[Any] = []

    def addSystemEventTrigger(self, phase: str, event: str, callable: Any) -> int:
        assert (phase, event) == ("before", "shutdown")
        self.triggers.append(callable)
        return len(self.triggers)

    def removeSystemEventTrigger(self, trigger: int) -> None:
        self.triggers[trigger - 1] = None

    def __getattr__(self, name: str) -> Any:
        return getattr(reactor, name)


class HttpGetTests(TestCase):
    def setUp(self) -> None:
        self.server = Server()
        port = reactor.listenTCP(0, Site(self.server), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.base = f"http://127.0.0.1:{port.getHost().port}"

    async def test_a_document_with_its_headers_in_lower_case(self) -> None:
        got = await fetch(reactor, f"{self.base}/doc", {"Accept": "application/xml"}, 5.0, 100)
        self.assertEqual((got.status, got.body, got.headers["etag"]), (200, b"<rss/>", '"v1"'))

    async def test_an_error_status_is_an_answer_not_a_failure(self) -> None:
        got = await fetch(reactor, f"{self.base}/nothing", {}, 5.0, 100)
        self.assertEqual((got.status, got.body), (404, b""))

    async def test_a_body_over_the_limit_fails(self) -> None:
        failure = await self.assertFailure(fetch(reactor, f"{self.base}/big", {}, 5.0, 1000), ValueError)
        self.assertIn("larger than 1000 bytes", str(failure))

    async def test_a_refused_connection_fails_with_an_os_error(self) -> None:
        port = reactor.listenTCP(0, Site(self.server), interface="127.0.0.1")
        url = f"http://127.0.0.1:{port.getHost().port}/doc"
        await port.stopListening()
        await self.assertFailure(fetch(reactor, url, {}, 5.0, 100), OSError)

    async def test_a_download_is_written_and_hashed(self) -> None:
        destination = Path(self.mktemp())
        status, digest = await download(reactor, f"{self.base}/big", {}, 5.0, destination)
        self.assertEqual((status, digest), (200, hashlib.sha256(b"y" * 2000).hexdigest()))
        self.assertEqual(destination.read_bytes(), b"y" * 2000)

    async def test_a_download_stops_when_the_reactor_begins_to_shut_down(self) -> None:
        watch = ShutdownWatch()
        running = download(watch, f"{self.base}/endless", {}, 5.0, Path(self.mktemp()))
        await self.server.started
        self.addCleanup(lambda: self.server.pending.active() and self.server.pending.cancel())
        [stop] = watch.triggers
        stop()
        await self.assertFailure(running, Stopped)
        self.assertEqual(watch.triggers, [None])
