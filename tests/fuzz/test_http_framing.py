"""Property-based fuzzing of HTTP framing on a running daemon.

Random request lines, headers, chunked bodies and multipart uploads. For each
request, sent whole and followed by the end of the client's stream:
- the daemon answers with a well-formed HTTP response or closes the
  connection — within the timeout, never hanging;
- no answer is a 500 (a malformed request is the client's error);
- another client's ``server.info`` keeps answering;
- no upload leaves a temp file behind, and nothing is written outside the roots.
"""

from __future__ import annotations

import json
import re
import socket
import time

from hypothesis import given
from twisted.trial.unittest import SynchronousTestCase

from tests.fuzz.daemon import DaemonProcess
from tests.fuzz.framing import requests, uploads
from tests.fuzz.settings import MEMORY_BOUND_KIB, hypothesis_settings
from tests.fuzz.wire import HttpRpc, server_info

STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?$")
ANSWER_TIMEOUT = 10.0


def send_and_read(port: int, request: bytes) -> bytes:
    """Send ``request``, end the stream, read until the daemon closes (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT) as raw:
        try:
            raw.sendall(request)
            raw.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while True:
            raw.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = raw.recv(65536)
            except ConnectionResetError:
                return received
            except TimeoutError:
                raise AssertionError(f"no answer and no close within {ANSWER_TIMEOUT} s") from None
            if not data:
                return received
            received += data


def check_responses(received: bytes) -> list[int]:
    """Every response in ``received`` is well-formed; their statuses."""
    statuses = []
    while received:
        head, separator, rest = received.partition(b"\r\n\r\n")
        assert separator, f"truncated response head: {received[:200]!r}"
        lines = head.split(b"\r\n")
        matched = STATUS_LINE.match(lines[0])
        assert matched, f"malformed status line: {lines[0][:200]!r}"
        status = int(matched.group(1))
        assert status != 500, f"500 for a client's request: {received[:500]!r}"
        fields = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            assert colon, f"malformed header line: {line[:200]!r}"
            fields[name.strip().lower()] = value.strip()
        statuses.append(status)
        if status == 101:
            return statuses
        if b"content-length" in fields:
            size = int(fields[b"content-length"])
            received = rest[size:]
        elif fields.get(b"transfer-encoding") == b"chunked":
            received = _skip_chunked(rest)
        else:
            received = b""
    return statuses


def _skip_chunked(body: bytes) -> bytes:
    while True:
        size_line, separator, body = body.partition(b"\r\n")
        assert separator, "truncated chunked body"
        size = int(size_line.split(b";")[0], 16)
        body = body[size + 2:]
        if size == 0:
            return body


class HttpFramingFuzzTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.daemon = DaemonProcess()
        self.addCleanup(self.daemon.stop)
        self.probe = HttpRpc(self.daemon.port)
        self.addCleanup(self.probe.close)

    def fuzz(self, kind: str, strategy: object) -> None:
        counts = {"cases": 0, "statuses": {}}

        @hypothesis_settings()
        @given(strategy)
        def check(request: bytes) -> None:
            counts["cases"] += 1
            for status in check_responses(send_and_read(self.daemon.port, request)):
                counts["statuses"][status] = counts["statuses"].get(status, 0) + 1
            assert "result" in server_info(self.probe), "another client's server.info failed"

        check()
        leftovers = [path.name for path in (self.daemon.data / "gcodes").rglob(".moontwist*")]
        self.assertEqual(leftovers, [])
        memory = self.daemon.memory()
        print("\nfuzz figures:", json.dumps({"kind": kind, "cases": counts["cases"], "failures": 0,
                                             "statuses": counts["statuses"], "peak_rss_kib": memory["VmHWM"]}))
        self.assertLess(memory["VmHWM"], MEMORY_BOUND_KIB)

    def test_request_lines_headers_and_bodies(self) -> None:
        self.fuzz("http-framing", requests())

    def test_multipart_uploads(self) -> None:
        self.fuzz("multipart", uploads())
