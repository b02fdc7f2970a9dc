"""A ``multipart/form-data`` upload body, parsed as its bytes arrive.

``multipart.PushMultipartParser`` (sans-IO, no buffering of part bodies)
turns each chunk into events: form fields are kept (they are small, and
capped), the file part is handed on chunk by chunk to an ``IncomingFile``.
When the file writer falls behind, the socket is paused until it catches up,
so memory stays bounded whatever the upload's size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header
from twisted.internet.defer import Deferred, fail

from moontwist.errors import ApiError
from moontwist.services.files.incoming import IncomingFile
from moontwist.services.files.uploads import Upload

MAX_FIELD_SIZE = 64 * 1024
MAX_PARTS = 64
HIGH_WATER = 4 * 1024 * 1024


def boundary_of(content_type: bytes | None) -> bytes:
    """The boundary of a ``multipart/form-data`` Content-Type, or ApiError 400."""
    try:
        kind, options = parse_options_header((content_type or b"").decode("latin-1"))
    except ValueError:
        kind, options = "", {}
    if kind != "multipart/form-data" or not options.get("boundary"):
        raise ApiError("Upload must be a multipart/form-data request with a boundary")
    return str(options["boundary"]).encode("latin-1")


class MultipartUpload:
    """Collects the fields and streams the one file part of an upload body."""

    def __init__(self, boundary: bytes, open_file: Callable[[], IncomingFile],
                 pause: Callable[[], None], resume: Callable[[], None]) -> None:
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.file: IncomingFile | None = None
        self.error: ApiError | None = None
        # Called once when the upload fails, whatever the cause (bad form, full disk).
        self.on_error: Callable[[ApiError], None] | None = None
        self.claimed = False
        self._parser = PushMultipartParser(boundary, max_segment_count=MAX_PARTS)
        self._open_file = open_file
        self._pause = pause
        self._resume = resume
        self._paused = False
        self._segment: MultipartSegment | None = None
        self._in_file = False
        self._field: list[bytes] = []
        self._field_size = 0

    def feed(self, data: bytes) -> None:
        """Parse the next chunk of the body."""
        if self.error is not None:
            return
        try:
            for event in self._parser.parse(data):
                if isinstance(event, MultipartSegment):
                    self._begin(event)
                elif event is None:
                    self._end_part()
                else:
                    self._part_data(event)
        except MultipartError as error:
            self.fail(ApiError(f"Invalid multipart body: {error}"))
        except ApiError as error:
            self.fail(error)
        if self.file is not None and self.file.pending > HIGH_WATER and not self._paused:
            self._paused = True
            self._pause()

    def end(self) -> None:
        """The whole body has arrived: it must have been a complete form with a file."""
        if self.error is not None:
            return
        try:
            self._parser.close(check_complete=True)
        except MultipartError:
            self.fail(ApiError("Invalid multipart body: truncated"))
            return
        if self.file is None:
            self.fail(ApiError("No file part in the upload"))

    def fail(self, error: ApiError) -> None:
        """Stop: the upload is refused, its temp file removed."""
        if self.error is None:
            self.error = error
            self.abort()
            if self.on_error is not None:
                self.on_error(error)

    def abort(self) -> "Deferred[None] | None":
        """Remove the temp file (client gone, or upload refused)."""
        self._resume_if_paused()
        return self.file.discard() if self.file is not None else None

    def received(self) -> "Deferred[Upload]":
        """Fires once the file is wholly on disk; from then on the caller owns the file."""
        self.claimed = True
        if self.error is not None:
            return fail(self.error)
        assert self.file is not None and self.filename is not None
        filename = self.filename
        return self.file.finish().addCallback(lambda received: Upload(filename, received))

    def _begin(self, segment: MultipartSegment) -> None:
        self._segment = segment
        self._in_file = segment.filename is not None
        self._field, self._field_size = [], 0
        if not self._in_file:
            return
        if self.file is not None:
            raise ApiError("Only one file may be uploaded per request")
        if not segment.filename:
            raise ApiError("Multipart filename omitted")
        self.filename = segment.filename
        self.file = self._open_file()
        self.file.on_drained = self._resume_if_paused
        self.file.on_failed = self.fail

    def _part_data(self, chunk: Any) -> None:
        if self._in_file:
            assert self.file is not None
            self.file.write(bytes(chunk))
            return
        self._field_size += len(chunk)
        if self._field_size > MAX_FIELD_SIZE:
            raise ApiError(f"Form field '{self._segment.name if self._segment else ''}' is too large")
        self._field.append(bytes(chunk))

    def _end_part(self) -> None:
        segment, self._segment = self._segment, None
        if segment is None or self._in_file:
            return
        try:
            self.fields[segment.name or ""] = b"".join(self._field).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(f"Form field '{segment.name}' is not UTF-8") from None

    def _resume_if_paused(self) -> None:
        if self._paused:
            self._paused = False
            self._resume()
