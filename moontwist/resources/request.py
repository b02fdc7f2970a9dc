"""Our ``Request``: every body is bounded and judged on its headers first.

twisted.web's stock request stores any body whole before anything looks at
it: up to 100 kB in memory, beyond that spooled to a temp file in $TMPDIR (a
small tmpfs on a Pi), whoever sent it. This request decides on the headers,
before one byte of the body is stored:

- the authorization guard judges the request (every route, not just uploads):
  a request it refuses is answered at once and its body is never stored;
- a streamed upload (the paths ``BodyGate`` names) may be ``max_upload_size``
  bytes; its body goes to a ``MultipartUpload`` as it arrives, whose file part
  streams into a temp file in the destination root;
- any other body may be ``body_limit`` bytes (``[server] max_request_body_size``)
  and is held in memory: a larger ``Content-Length`` is 413 at once, a chunked
  body is counted as it arrives and refused the moment it passes the limit; it
  must arrive within ``BODY_TIMEOUT`` seconds of the head, else 408 (a body sent
  a byte at a time would otherwise hold the connection: Twisted's idle timeout
  restarts with every byte). An upload has no such deadline: a large file on a
  slow link is legitimate, and its size limit still holds.

A refused request is answered with ``Connection: close``; the rest of its body
is discarded unread until the client stops sending (or for ``LINGER`` seconds),
so the client sees the answer rather than a reset.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs

from twisted.web.server import Request

from moontwist.errors import ApiError
from moontwist.resources.http import JSON_TYPE, error_body
from moontwist.resources.multipart_upload import MultipartUpload, boundary_of
from moontwist.services.files.incoming import IncomingFile

LINGER = 30.0
BODY_TIMEOUT = 60.0
# The default of [server] max_request_body_size, in bytes: a JSON or form body
# (a database value, a G-code script) is far smaller; a websocket message has
# the same bound.
DEFAULT_BODY_LIMIT = 4 * 1024 * 1024


class BodyGate:
    """How large a request's body may be, and which requests are streamed uploads.

    ``body_limit`` bounds every body but an upload's; ``accept_uploads`` names
    the upload paths, their limit and where their files go.
    """

    def __init__(self, body_limit: int, reactor: Any) -> None:
        self.body_limit = body_limit
        self.reactor = reactor
        self.upload_paths: set[bytes] = set()
        self.max_upload_size = 0
        self.open_file: Callable[[str], IncomingFile] | None = None

    def accept_uploads(self, paths: set[bytes], max_size: int, open_file: Callable[[str], IncomingFile]) -> None:
        self.upload_paths = paths
        self.max_upload_size = max_size
        self.open_file = open_file

    def is_upload(self, method: bytes, target: bytes) -> bool:
        return method.upper() == b"POST" and target.split(b"?", 1)[0] in self.upload_paths


def _request_line(channel: Any) -> tuple[bytes, bytes, bytes]:
    # Twisted hands a request its method and URI only once the body is in;
    # HTTPChannel keeps the request line in these attributes until then.
    return channel._command, channel._path, channel._version


def _root_hint(target: bytes) -> str:
    """The ``root`` of the query string, where the temp file goes (the form may change it)."""
    query = target.split(b"?", 1)[1] if b"?" in target else b""
    values = parse_qs(query.decode("utf-8", "replace")).get("root")
    return values[-1].lower() if values else "gcodes"


class BoundedRequest(Request):
    """A ``twisted.web.server.Request`` whose body ``gate`` bounds (see the module)."""

    def __init__(self, *args: Any, gate: BodyGate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate
        self.upload: MultipartUpload | None = None
        self._refused: ApiError | None = None
        self._limit = gate.body_limit
        self._kind = "Request body"
        self._body_size = 0
        self._body_done = False
        self._linger: Any = None
        self._body_deadline: Any = None

    def gotLength(self, length: int | None) -> None:
        command, target, _ = _request_line(self.channel)
        self.content = BytesIO()
        try:
            upload = self.gate.is_upload(command, target)
            # A body is coming (None: chunked): judge the caller before storing any of it.
            if length != 0 or upload:
                refusal = self._authorization_refusal(command, target)
                if refusal is not None:
                    raise refusal
            if upload:
                self._start_upload(length, target)
            elif length is not None and length > self._limit:
                raise self._too_large(length)
            elif length != 0:
                self._body_deadline = self.gate.reactor.callLater(BODY_TIMEOUT, self._body_expired)
        except ApiError as error:
            self._refuse(error)

    def _body_expired(self) -> None:
        self._body_deadline = None
        self._refuse(ApiError("Request body not received in time", 408))
        self._stop_lingering()
        self.channel.loseConnection()

    def _start_upload(self, length: int | None, target: bytes) -> None:
        gate = self.gate
        open_file = gate.open_file
        assert open_file is not None
        self._limit, self._kind = gate.max_upload_size, "Upload"
        boundary = boundary_of(self.requestHeaders.getRawHeaders(b"content-type", [b""])[0])
        if length is not None and length > self._limit:
            raise self._too_large(length)
        root = _root_hint(target)
        transport = self.channel.transport
        self.upload = MultipartUpload(boundary, lambda: open_file(root),
                                      transport.pauseProducing, transport.resumeProducing)
        self.upload.on_error = self._upload_failed
        self.notifyFinish().addBoth(self._answered)

    def _too_large(self, length: int | None) -> ApiError:
        size = f" of {length} bytes" if length is not None else ""
        return ApiError(f"{self._kind}{size} exceeds the limit of {self._limit} bytes", 413)

    def _authorization_refusal(self, command: bytes, target: bytes) -> ApiError | None:
        """Refuse an unauthorized request on its headers, before any of its body is stored."""
        guard = getattr(getattr(self.channel, "site", None), "guard", None)
        return guard.refusal(self, command, target) if guard is not None else None

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused is not None:
            return
        self._body_size += len(data)
        if self._body_size > self._limit:
            self._refuse(self._too_large(None))
            return
        if self.upload is None:
            self.content.write(data)
            return
        self.upload.feed(data)

    def _upload_failed(self, error: ApiError) -> None:
        """A broken form or a full disk while the body arrives: answer now. Once the
        body is in, the route answers (it is waiting for the file)."""
        if not self._body_done:
            self._refuse(error)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        self._body_done = True
        self._stop_body_clock()
        if self._refused is not None:
            self._stop_lingering()
            self.finish()
            return
        if self.upload is not None:
            self.upload.end()
        super().requestReceived(command, path, version)

    def connectionLost(self, reason: Any) -> None:
        self._stop_lingering()
        self._stop_body_clock()
        super().connectionLost(reason)

    def _answered(self, _: Any) -> None:
        """Answered or gone: a file no route took (client gone, refused by the guard) is removed."""
        if self.upload is not None and not self.upload.claimed:
            self.upload.abort()

    def _refuse(self, error: ApiError) -> None:
        """Answer now, before reading the body; then drop the connection."""
        if self._refused is not None:
            return
        self._refused = error
        self._stop_body_clock()
        self.content = BytesIO()
        if self.upload is not None:
            self.upload.fail(error)
        self.requestHeaders.removeHeader(b"expect")
        self.channel.persistent = False
        self.method, self.uri, self.clientproto = _request_line(self.channel)
        self.path = self.uri.split(b"?", 1)[0]
        body = error_body(error)
        self.setResponseCode(error.status)
        self.setHeader(b"content-type", JSON_TYPE)
        self.setHeader(b"content-length", b"%d" % len(body))
        self.setHeader(b"connection", b"close")
        self.write(body)
        self._linger = self.gate.reactor.callLater(LINGER, self._give_up)

    def _give_up(self) -> None:
        self._linger = None
        if self.channel is not None and self.channel.transport is not None:
            self.channel.transport.abortConnection()

    def _stop_body_clock(self) -> None:
        if self._body_deadline is not None and self._body_deadline.active():
            self._body_deadline.cancel()
        self._body_deadline = None

    def _stop_lingering(self) -> None:
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        self._linger = None


def request_factory(gate: BodyGate) -> Callable[..., BoundedRequest]:
    """A ``Site.requestFactory`` making ``BoundedRequest`` objects for ``gate``."""

    def make(channel: Any, queued: Any = None) -> BoundedRequest:
        return BoundedRequest(channel, gate=gate)

    return make
