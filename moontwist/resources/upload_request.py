"""Our ``Request``: upload bodies are parsed as they arrive, never spooled.

twisted.web's stock request writes the whole body to a temp file in $TMPDIR
(a small tmpfs on a Pi) and its multipart parsing then reads it into memory.
For the upload paths this request instead feeds each body chunk to a
``MultipartUpload`` whose file part streams into a temp file in the
destination root. An upload refused before its body is read (too large, not
multipart, a broken form) is answered at once with ``Connection: close``; the
rest of the body is discarded unread until the client stops sending (or for
``LINGER`` seconds), so the client sees the answer rather than a reset.
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


class UploadGate:
    """Which requests are streamed uploads, their size limit and where their files go."""

    def __init__(self, paths: set[bytes], max_size: int, open_file: Callable[[str], IncomingFile],
                 reactor: Any) -> None:
        self.paths = paths
        self.max_size = max_size
        self.open_file = open_file
        self.reactor = reactor

    def matches(self, method: bytes, target: bytes) -> bool:
        return method.upper() == b"POST" and target.split(b"?", 1)[0] in self.paths


def _request_line(channel: Any) -> tuple[bytes, bytes, bytes]:
    # Twisted hands a request its method and URI only once the body is in;
    # HTTPChannel keeps the request line in these attributes until then.
    return channel._command, channel._path, channel._version


def _root_hint(target: bytes) -> str:
    """The ``root`` of the query string, where the temp file goes (the form may change it)."""
    query = target.split(b"?", 1)[1] if b"?" in target else b""
    values = parse_qs(query.decode("utf-8", "replace")).get("root")
    return values[-1].lower() if values else "gcodes"


class UploadRequest(Request):
    """A ``twisted.web.server.Request`` that streams the bodies ``gate`` selects."""

    def __init__(self, *args: Any, gate: UploadGate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate
        self.upload: MultipartUpload | None = None
        self._refused: ApiError | None = None
        self._body_size = 0
        self._body_done = False
        self._linger: Any = None

    def gotLength(self, length: int | None) -> None:
        command, target, _ = _request_line(self.channel)
        if self.gate is None or not self.gate.matches(command, target):
            super().gotLength(length)
            return
        self.content = BytesIO()
        gate = self.gate
        try:
            refusal = self._authorization_refusal(command, target)
            if refusal is not None:
                raise refusal
            boundary = boundary_of(self.requestHeaders.getRawHeaders(b"content-type", [b""])[0])
            if length is not None and length > gate.max_size:
                raise ApiError(f"Upload of {length} bytes exceeds the limit of {gate.max_size} bytes", 413)
            root = _root_hint(target)
            transport = self.channel.transport
            self.upload = MultipartUpload(boundary, lambda: gate.open_file(root),
                                          transport.pauseProducing, transport.resumeProducing)
            self.notifyFinish().addBoth(self._answered)
        except ApiError as error:
            self._refuse(error)

    def _authorization_refusal(self, command: bytes, target: bytes) -> ApiError | None:
        """Refuse an unauthorized upload on its headers, before any of its body is stored."""
        guard = getattr(getattr(self.channel, "site", None), "guard", None)
        return guard.refusal(self, command, target) if guard is not None else None

    def handleContentChunk(self, data: bytes) -> None:
        if self.upload is None and self._refused is None:
            super().handleContentChunk(data)
            return
        if self._refused is not None or self.upload is None:
            return
        assert self.gate is not None
        self._body_size += len(data)
        if self._body_size > self.gate.max_size:
            self._refuse(ApiError(f"Upload exceeds the limit of {self.gate.max_size} bytes", 413))
            return
        self.upload.feed(data)
        if self.upload.error is not None:
            self._refuse(self.upload.error)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        self._body_done = True
        if self._refused is not None:
            self._stop_lingering()
            self.finish()
            return
        if self.upload is not None:
            self.upload.end()
        super().requestReceived(command, path, version)

    def connectionLost(self, reason: Any) -> None:
        self._stop_lingering()
        super().connectionLost(reason)

    def _answered(self, _: Any) -> None:
        """Answered or gone: a file no route took (client gone, refused by the guard) is removed."""
        if self.upload is not None and not self.upload.claimed:
            self.upload.abort()

    def _refuse(self, error: ApiError) -> None:
        """Answer now, before reading the body; then drop the connection."""
        self._refused = error
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
        assert self.gate is not None
        self._linger = self.gate.reactor.callLater(LINGER, self._give_up)

    def _give_up(self) -> None:
        self._linger = None
        if self.channel is not None and self.channel.transport is not None:
            self.channel.transport.abortConnection()

    def _stop_lingering(self) -> None:
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        self._linger = None


def request_factory(gate: UploadGate) -> Callable[..., UploadRequest]:
    """A ``Site.requestFactory`` making ``UploadRequest`` objects for ``gate``."""

    def make(channel: Any, queued: Any = None) -> UploadRequest:
        return UploadRequest(channel, gate=gate)

    return make

