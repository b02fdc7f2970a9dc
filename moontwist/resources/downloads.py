"""Serving one file: Range requests, ETag and Last-Modified, a content type by extension.

``twisted.web.static.File`` does the ranges (single and multiple), HEAD,
``If-Modified-Since`` and streams the file with a producer; we add an ETag
(size and modification time) and our content types.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from twisted.web import http
from twisted.web.iweb import IRequest
from twisted.web.static import File

TEXT = "text/plain; charset=utf-8"
TEXT_EXTENSIONS = frozenset({".gcode", ".g", ".gco", ".nc", ".cfg", ".conf", ".log", ".txt", ".md", ".ini",
                             ".py", ".sh", ".csv", ".yaml", ".yml"})
EXTRA_TYPES = {".json": "application/json", ".zip": "application/zip", ".png": "image/png",
               ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".ufp": "application/zip"}


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TEXT_EXTENSIONS:
        return TEXT
    if suffix in EXTRA_TYPES:
        return EXTRA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    return guessed or "application/octet-stream"


def serve_file(request: IRequest, path: Path) -> Any:
    """What a Klein route returns to send ``path`` (a 304 when the client's copy is current)."""
    status = path.stat()
    tag = b'"%x-%x"' % (status.st_mtime_ns, status.st_size)
    if request.setETag(tag) is http.CACHED:
        return b""
    resource = File(str(path))
    resource.type = content_type(path)
    resource.encoding = None
    request.postpath = []  # type: ignore[attr-defined]
    return resource
