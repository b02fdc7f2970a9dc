"""The HTTP connection: twisted.web's ``HTTPChannel`` with limits against hostile clients.

- Twisted drops a connection whose request line or a header line passes its
  16 KiB line limit without a word; the client cannot tell a refusal from a
  network fault. Ours answers first: 414 for the request line, 431 for a header.
- Twisted's idle timeout restarts with every byte received, so a client
  sending its headers a byte at a time (slowloris) holds a connection, and a
  file descriptor, for as long as it likes. Ours must deliver a whole request
  head within ``HEAD_TIMEOUT`` seconds of connecting or of its previous
  response: a partial head is answered 408, an idle keep-alive connection is
  closed.
"""

from __future__ import annotations

from typing import Any

from twisted.web.http import HTTPChannel

from moontwist.errors import ApiError
from moontwist.resources.http import JSON_TYPE, error_body

MAX_LINE = 16 * 1024
HEAD_TIMEOUT = 60.0


class ApiChannel(HTTPChannel):
    MAX_LENGTH = MAX_LINE
    _head_deadline: Any = None

    def connectionMade(self) -> None:
        super().connectionMade()
        self._start_head_clock()

    def allHeadersReceived(self) -> None:
        self._stop_head_clock()
        super().allHeadersReceived()

    def requestDone(self, request: Any) -> None:
        super().requestDone(request)
        # Not after a websocket upgrade: the connection then belongs to Autobahn.
        if self.persistent and self.transport is not None and not self.requests:
            self._start_head_clock()

    def connectionLost(self, reason: Any) -> None:
        self._stop_head_clock()
        super().connectionLost(reason)

    def _start_head_clock(self) -> None:
        self._stop_head_clock()
        self._head_deadline = self.callLater(HEAD_TIMEOUT, self._head_expired)

    def _stop_head_clock(self) -> None:
        if self._head_deadline is not None and self._head_deadline.active():
            self._head_deadline.cancel()
        self._head_deadline = None

    def _head_expired(self) -> None:
        self._head_deadline = None
        if self.transport is None:
            return
        if self.requests or self._buffer:
            self._answer_and_close(ApiError("Request head not received in time", 408), b"Request Timeout")
        else:
            self.loseConnection()

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
