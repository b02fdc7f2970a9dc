"""HTTP(S) GETs with the standard library, run on the reactor's worker threads.

For the requests every printer makes on its own (announcement feeds) or that a
click starts (the update manager asking GitHub or a package index, and its
downloads), not treq: Twisted's HTTPS client needs pyOpenSSL and cryptography,
which stay resident once imported (+14.9 MiB after one request, against +2.4 MiB
this way; Twisted itself already imports the standard library's ``ssl``).
Certificates are checked against the system's trust store (``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` move it); redirects are followed.

A download stops between two chunks once the reactor begins to shut down, so a
stop never waits for a transfer to end.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool

CHUNK = 64 * 1024
# What a request can fail with (besides a status): refused, reset, timed out, bad TLS, bad URL.
FAILURES = (OSError, HTTPException, ValueError)
USER_AGENT = "moontwist"


@dataclass
class Fetched:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    """Names in lower case."""


class Stopped(Exception):
    """The reactor began to shut down during a download."""


def fetch(reactor: Any, url: str, headers: dict[str, str], timeout: float, limit: int) -> "Deferred[Fetched]":
    """GET ``url`` on a worker thread; a body over ``limit`` bytes fails with ``ValueError``."""
    return deferToThreadPool(reactor, reactor.getThreadPool(), _get, url, headers, timeout, limit)


def download(reactor: Any, url: str, headers: dict[str, str], timeout: float,
             destination: Path) -> "Deferred[tuple[int, str]]":
    """Stream ``url`` into ``destination`` on a worker thread: the status and, for a 200, the
    body's sha256 (nothing is written otherwise). It stops between two chunks once the
    reactor begins to shut down."""
    stop = threading.Event()
    trigger = reactor.addSystemEventTrigger("before", "shutdown", stop.set)

    def done(result: Any) -> Any:
        reactor.removeSystemEventTrigger(trigger)
        return result

    return deferToThreadPool(reactor, reactor.getThreadPool(), _download, stop, url, headers, timeout,
                             destination).addBoth(done)


def _open(url: str, headers: dict[str, str], timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    return urllib.request.urlopen(request, timeout=timeout, context=ssl.create_default_context())


def _get(url: str, headers: dict[str, str], timeout: float, limit: int) -> Fetched:
    try:
        with _open(url, headers, timeout) as response:
            body = response.read(limit + 1)
            if len(body) > limit:
                raise ValueError(f"response larger than {limit} bytes")
            return Fetched(response.status, body, _lower(response.headers))
    except urllib.error.HTTPError as error:
        with error:
            return Fetched(error.code, b"", _lower(error.headers))


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _download(stop: threading.Event, url: str, headers: dict[str, str], timeout: float,
              destination: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    try:
        with _open(url, headers, timeout) as response, destination.open("wb") as handle:
            while chunk := response.read(CHUNK):
                if stop.is_set():
                    raise Stopped(f"download of {url} stopped: the server is shutting down")
                digest.update(chunk)
                handle.write(chunk)
            return response.status, digest.hexdigest()
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, ""
