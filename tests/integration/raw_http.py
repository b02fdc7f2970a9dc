"""A raw HTTP client on a blocking socket (in a thread): for requests no real client would send."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread


@dataclass
class RawAnswer:
    status: int
    head: bytes
    body: bytes
    # Whether the server closed the connection after answering.
    closed: bool


def exchange(port: int, *parts: bytes, read_timeout: float = 5.0) -> RawAnswer:
    """Send ``parts`` in order, stopping early if the server answers; read one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as raw:
        received = b""
        for part in parts:
            try:
                raw.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
            raw.setblocking(False)
            try:
                received += raw.recv(65536)
            except (BlockingIOError, ConnectionResetError):
                pass
            raw.setblocking(True)
            if received:
                break
        raw.settimeout(read_timeout)
        closed = False
        while b"\r\n\r\n" not in received or not _complete(received):
            try:
                chunk = raw.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                closed = True
                break
            received += chunk
        if not closed:
            raw.settimeout(0.5)
            try:
                closed = raw.recv(1) == b""
            except (TimeoutError, ConnectionResetError):
                closed = False
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    if b"transfer-encoding: chunked" in head.lower():
        body = _dechunk(body)
    return RawAnswer(status, head, body, closed)


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
        if line == b"transfer-encoding: chunked":
            return body.endswith(b"0\r\n\r\n")
    return False


def _dechunk(body: bytes) -> bytes:
    data = b""
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        data, body = data + body[:size], body[size + 2:]
    return data


def send_raw(port: int, *parts: bytes, read_timeout: float = 5.0) -> "Deferred[RawAnswer]":
    return deferToThread(exchange, port, *parts, read_timeout=read_timeout)
