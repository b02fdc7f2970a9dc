"""The HTTP connection: twisted.web's ``HTTPChannel`` that answers an oversized line.

Twisted drops a connection whose request line or a header line passes its
16 KiB line limit without a word; the client cannot tell a refusal from a
network fault. Ours answers first: 414 for the request line, 431 for a header.
"""

from __future__ import annotations

from twisted.web.http import HTTPChannel

from moontwist.errors import ApiError
from moontwist.resources.http import JSON_TYPE, error_body

MAX_LINE = 16 * 1024


class ApiChannel(HTTPChannel):
    MAX_LENGTH = MAX_LINE

    def lineLengthExceeded(self, line: bytes) -> None:
        if self.requests and not self._request_line_pending():
            self._answer_and_close(ApiError("Request header too long", 431), b"Request Header Fields Too Large")
        else:
            self._answer_and_close(ApiError("Request line too long", 414), b"URI Too Long")

    def _request_line_pending(self) -> bool:
        # HTTPChannel's private flag: true until a request's first line is read.
        return bool(self._HTTPChannel__first_line)  # type: ignore[attr-defined]

    def _answer_and_close(self, error: ApiError, reason: bytes) -> None:
        body = error_body(error)
        self.transport.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (error.status, reason, JSON_TYPE, len(body), body))
        self.loseConnection()
