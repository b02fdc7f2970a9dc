"""BoundedRequest on a real HTTPChannel with an in-memory transport."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.defer import maybeDeferred
from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

from moontwist.errors import ApiError
from moontwist.resources import multipart_upload
from moontwist.resources.request import BODY_TIMEOUT, LINGER, BodyGate, request_factory
from moontwist.services.files.incoming import IncomingFile
from tests.services.files.helpers import ManualThreads

BOUNDARY = "----moontwistBoundary"


def multipart(fields: dict[str, str], filename: str | None = "part.gcode", data: bytes = b"G1 X1\n",
              complete: bool = True) -> bytes:
    body = b""
    for name, value in fields.items():
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    if filename is not None:
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    if complete:
        body += f"--{BOUNDARY}--\r\n".encode()
    return body


def head(path: str, length: int | None, extra: str = "") -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    return (f"POST {path} HTTP/1.1\r\nHost: printer\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{size}{extra}\r\n").encode()


class Refuse(Resource):
    """A guard in front of the route: answers 401 without looking at the upload."""

    isLeaf = True

    def render_POST(self, request: Any) -> bytes:
        request.setResponseCode(401)
        return b"Unauthorized"


class Echo(Resource):
    """Answers with what the upload stream received (or its error)."""

    isLeaf = True

    def render_POST(self, request: Any) -> Any:
        self.spooled = request.content.read()
        stream = getattr(request, "upload", None)
        if stream is None:
            return b"plain:" + self.spooled

        def received(upload: Any) -> None:
            request.write(json.dumps({"filename": upload.filename, "size": upload.file.size,
                                      "sha256": upload.file.sha256, "fields": stream.fields,
                                      "temp": str(upload.file.path)}).encode())
            request.finish()

        def failed(failure: Failure) -> None:
            error = failure.value
            assert isinstance(error, ApiError)
            request.setResponseCode(error.status)
            request.write(error.message.encode())
            request.finish()

        stream.received().addCallbacks(received, failed)
        return NOT_DONE_YET


class HeaderGuard:
    """The site's guard as the request sees it: refuses any target without ``?token=ok``."""

    def __init__(self) -> None:
        self.judged: list[bytes] = []

    def refusal(self, request: Any, method: bytes, target: bytes) -> ApiError | None:
        self.judged.append(target)
        return None if target.endswith(b"?token=ok") else ApiError("Unauthorized", 401)


class ChannelTestCase(SynchronousTestCase):
    """A Site with ``BoundedRequest`` on an in-memory connection."""

    def setUp(self) -> None:
        self.folder = Path(self.mktemp()).resolve()
        self.folder.mkdir()
        self.clock = Clock()
        self.threads: Any = maybeDeferred
        self.opened_roots: list[str] = []
        self.gate = BodyGate(600, self.clock)
        self.gate.accept_uploads({b"/server/files/upload"}, 1000, self.open_file)
        self.resource = Echo()
        self.connect(self.resource)

    def connect(self, resource: Resource) -> None:
        site = Site(resource, requestFactory=request_factory(self.gate), reactor=self.clock)
        self.channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 9))
        self.transport = StringTransport()
        self.channel.makeConnection(self.transport)

    def open_file(self, root: str) -> IncomingFile:
        self.opened_roots.append(root)
        return IncomingFile(self.folder, self.threads)

    def send(self, data: bytes, chunk: int = 7) -> None:
        for start in range(0, len(data), chunk):
            self.channel.dataReceived(data[start:start + chunk])

    def response(self) -> tuple[int, bytes]:
        raw = self.transport.value()
        status = int(raw.split(b" ", 2)[1])
        body = raw.split(b"\r\n\r\n", 1)[1]
        if b"transfer-encoding: chunked" in raw.lower():
            size, _, rest = body.partition(b"\r\n")
            body = rest[:int(size, 16)]
        return status, body



class UploadRequestTests(ChannelTestCase):
    """Streamed uploads."""

    def test_body_streams_to_the_temp_file_and_is_never_spooled(self) -> None:
        body = multipart({"root": "gcodes", "path": "sub"}, data=b"G1 X5\n" * 50)
        self.send(head("/server/files/upload?root=config", len(body)) + body)
        status, answer = self.response()
        result = json.loads(answer)
        self.assertEqual(status, 200)
        self.assertEqual(self.resource.spooled, b"")
        self.assertEqual((result["filename"], result["size"], result["fields"]),
                         ("part.gcode", 300, {"root": "gcodes", "path": "sub"}))
        self.assertEqual(result["sha256"], hashlib.sha256(b"G1 X5\n" * 50).hexdigest())
        self.assertEqual(Path(result["temp"]).read_bytes(), b"G1 X5\n" * 50)
        self.assertEqual(self.opened_roots, ["config"])

    def test_other_posts_are_spooled_as_usual(self) -> None:
        self.send(b"POST /other HTTP/1.1\r\nHost: p\r\nContent-Length: 5\r\n\r\nhello")
        self.assertEqual(self.response(), (200, b"plain:hello"))

    def test_too_large_content_length_is_413_before_any_body_byte(self) -> None:
        self.channel.dataReceived(head("/server/files/upload", 5000, "Expect: 100-continue\r\n"))
        raw = self.transport.value()
        self.assertTrue(raw.startswith(b"HTTP/1.1 413 "), raw)
        self.assertNotIn(b"100 Continue", raw)
        self.assertIn(b"connection: close", raw.lower())
        self.assertEqual(self.response()[1], b'{"error":{"code":413,"message":"Upload of 5000 bytes exceeds the '
                                             b'limit of 1000 bytes"}}')
        self.send(b"x" * 5000, chunk=1000)
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(list(self.folder.iterdir()), [])

    def test_chunked_body_over_the_limit_is_413_and_leaves_no_file(self) -> None:
        body = multipart({}, data=b"x" * 2000)
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100]) for i in range(0, len(body), 100))
        self.send(head("/server/files/upload", None) + chunked[:1500])
        self.assertEqual(self.response()[0], 413)
        self.send(chunked[1500:] + b"0\r\n\r\n")
        self.assertEqual(list(self.folder.iterdir()), [])
        self.assertTrue(self.transport.disconnecting)

    def test_client_disconnect_mid_upload_removes_the_temp_file(self) -> None:
        body = multipart({}, data=b"G1\n" * 100)
        self.send(head("/server/files/upload", len(body)) + body[:200])
        self.assertEqual(len(list(self.folder.iterdir())), 1)
        self.channel.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(list(self.folder.iterdir()), [])

    def test_truncated_multipart_is_400_and_leaves_no_file(self) -> None:
        body = multipart({}, complete=False)
        self.send(head("/server/files/upload", len(body)) + body)
        self.assertEqual(self.response(), (400, b"Invalid multipart body: truncated"))
        self.assertEqual(list(self.folder.iterdir()), [])

    def test_form_without_a_file_part_is_400(self) -> None:
        body = multipart({"root": "gcodes"}, filename=None)
        self.send(head("/server/files/upload", len(body)) + body)
        self.assertEqual(self.response(), (400, b"No file part in the upload"))

    def test_file_part_without_a_filename_is_400_at_once(self) -> None:
        body = multipart({}, filename="")
        self.send(head("/server/files/upload", len(body)) + body)
        self.assertEqual(self.response()[0], 400)
        self.assertIn(b"Multipart filename omitted", self.transport.value())

    def test_not_multipart_is_400_at_once(self) -> None:
        self.send(b"POST /server/files/upload HTTP/1.1\r\nHost: p\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: 3\r\n\r\nabc")
        self.assertEqual(self.response()[0], 400)

    def test_refused_client_that_keeps_the_connection_is_dropped_after_the_linger(self) -> None:
        self.channel.dataReceived(head("/server/files/upload", 5000))
        self.clock.advance(LINGER)
        self.assertTrue(self.transport.disconnected)

    def test_slow_disk_pauses_the_socket_until_the_writer_catches_up(self) -> None:
        self.patch(multipart_upload, "HIGH_WATER", 100)
        self.threads = ManualThreads()
        body = multipart({}, data=b"y" * 700)
        self.send(head("/server/files/upload", len(body)) + body[:600], chunk=50)
        self.assertEqual(self.transport.producerState, "paused")
        while self.threads.jobs:
            self.threads.run_one()
        self.assertEqual(self.transport.producerState, "producing")
        self.send(body[600:])
        self.threads.run_all()
        self.assertEqual(json.loads(self.response()[1])["size"], 700)

    def test_upload_refused_before_the_route_leaves_no_file(self) -> None:
        self.connect(Refuse())
        body = multipart({}, data=b"G1\n" * 100)
        self.send(head("/server/files/upload", len(body)) + body)
        self.assertEqual(self.response(), (401, b"Unauthorized"))
        self.assertEqual(list(self.folder.iterdir()), [])


class BodyLimitTests(ChannelTestCase):
    """Bodies of requests that are not uploads: bounded, held in memory, judged first."""

    def test_json_content_length_over_the_limit_is_413_before_any_body_byte(self) -> None:
        self.channel.dataReceived(b"POST /server/jsonrpc HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
                                  b"Content-Length: 300000000\r\nExpect: 100-continue\r\n\r\n")
        raw = self.transport.value()
        self.assertTrue(raw.startswith(b"HTTP/1.1 413 "), raw)
        self.assertNotIn(b"100 Continue", raw)
        self.assertIn(b"connection: close", raw.lower())
        self.assertEqual(self.response()[1], b'{"error":{"code":413,"message":"Request body of 300000000 bytes '
                                             b'exceeds the limit of 600 bytes"}}')

    def test_chunked_body_is_counted_as_it_arrives_and_refused_past_the_limit(self) -> None:
        self.send(b"POST /server/jsonrpc HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(6):
            self.send(b"64\r\n" + b"x" * 100 + b"\r\n", chunk=200)
        self.assertEqual(self.transport.value(), b"")
        self.send(b"1\r\ny\r\n")
        self.assertEqual(self.response(), (413, b'{"error":{"code":413,"message":"Request body exceeds the limit '
                                                b'of 600 bytes"}}'))
        for _ in range(100):
            self.send(b"64\r\n" + b"x" * 100 + b"\r\n", chunk=200)
        self.send(b"0\r\n\r\n")
        self.assertFalse(hasattr(self.resource, "spooled"))
        self.assertTrue(self.transport.disconnecting)

    def test_body_at_the_limit_is_held_in_memory_and_read_by_the_route(self) -> None:
        self.send(b"POST /other HTTP/1.1\r\nHost: p\r\nContent-Length: 600\r\n\r\n" + b"z" * 600, chunk=128)
        self.assertEqual(self.response(), (200, b"plain:" + b"z" * 600))

    def test_guard_refuses_a_body_on_its_headers_and_never_stores_it(self) -> None:
        guard = self.channel.site.guard = HeaderGuard()
        self.channel.dataReceived(b"POST /server/database/item HTTP/1.1\r\nHost: p\r\nContent-Type: "
                                  b"application/json\r\nContent-Length: 500\r\n\r\n")
        self.assertEqual(guard.judged, [b"/server/database/item"])
        self.assertTrue(self.transport.value().startswith(b"HTTP/1.1 401 "))
        self.assertIn(b"connection: close", self.transport.value().lower())
        self.send(b"{" * 500)
        self.assertFalse(hasattr(self.resource, "spooled"))
        self.assertTrue(self.transport.disconnecting)

    def test_guard_refuses_an_upload_on_its_headers(self) -> None:
        self.channel.site.guard = HeaderGuard()
        body = multipart({}, data=b"G1\n" * 10)
        self.send(head("/server/files/upload", len(body)) + body)
        self.assertEqual(self.response()[0], 401)
        self.assertEqual(self.opened_roots, [])
        self.assertEqual(list(self.folder.iterdir()), [])

    def test_request_the_guard_accepts_reads_its_body(self) -> None:
        self.channel.site.guard = HeaderGuard()
        self.send(b"POST /other?token=ok HTTP/1.1\r\nHost: p\r\nContent-Length: 5\r\n\r\nhello")
        self.assertEqual(self.response(), (200, b"plain:hello"))

    def test_request_without_a_body_is_left_to_the_guard_at_the_route(self) -> None:
        guard = self.channel.site.guard = HeaderGuard()
        self.send(b"GET /other HTTP/1.1\r\nHost: p\r\n\r\n")
        self.assertEqual(guard.judged, [])

    def test_body_not_in_within_the_deadline_is_408_and_closed(self) -> None:
        self.channel.dataReceived(b"POST /server/jsonrpc HTTP/1.1\r\nHost: p\r\nContent-Length: 100\r\n\r\n")
        for _ in range(int(BODY_TIMEOUT)):
            self.channel.dataReceived(b"x")
            self.clock.advance(1)
        self.assertEqual(self.response(), (408, b'{"error":{"code":408,"message":"Request body not received in time"}}'))
        self.assertTrue(self.transport.disconnecting)
        self.assertEqual(self.body_clocks(), [])

    def test_body_in_before_the_deadline_leaves_no_timer(self) -> None:
        self.send(b"POST /other HTTP/1.1\r\nHost: p\r\nContent-Length: 5\r\n\r\nhello")
        self.assertEqual(self.body_clocks(), [])

    def body_clocks(self) -> list[Any]:
        return [call for call in self.clock.getDelayedCalls() if call.func.__name__ == "_body_expired"]

    def test_upload_has_no_body_deadline(self) -> None:
        body = multipart({}, data=b"G1\n" * 10)
        self.send(head("/server/files/upload", len(body)))
        step = len(body) // 20 + 1
        for start in range(0, len(body), step):
            self.clock.advance(BODY_TIMEOUT / 10)
            self.send(body[start:start + step])
        self.assertEqual(self.response()[0], 200)
