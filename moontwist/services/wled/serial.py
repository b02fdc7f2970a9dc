"""WLED's JSON API over a serial line: each state is written as JSON; a state
asking for WLED's reply (``"v": true``) waits up to 2 s for a JSON line back.

The port is a plain file descriptor set to raw mode at the configured baud rate
(termios) and read by the reactor; a port that cannot be opened or goes away is
reopened at the next request.
"""

from __future__ import annotations

import json
import os
import termios
import tty
from typing import Any

from twisted.internet.defer import Deferred, TimeoutError as DeferredTimeout, fail, succeed
from zope.interface import implementer
from twisted.internet.interfaces import IReadDescriptor

REPLY_TIMEOUT = 2.0
MAX_LINE = 64 * 1024


def _baud_constant(baud: int) -> int:
    constant = getattr(termios, f"B{baud}", None)
    if constant is None:
        raise ValueError(f"Unsupported baud rate {baud}")
    return int(constant)


@implementer(IReadDescriptor)
class WledSerial:
    def __init__(self, reactor: Any, path: str, baud: int) -> None:
        self._reactor = reactor
        self.path = path
        self._speed = _baud_constant(baud)
        self._fd: int | None = None
        self._buffer = b""
        self._waiting: Deferred[dict[str, Any]] | None = None

    def _open(self) -> None:
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            tty.setraw(fd)
            attributes = termios.tcgetattr(fd)
            attributes[4] = attributes[5] = self._speed
            termios.tcsetattr(fd, termios.TCSANOW, attributes)
        except termios.error:
            os.close(fd)
            raise
        self._fd = fd
        self._reactor.addReader(self)

    def send(self, state: dict[str, Any]) -> "Deferred[dict[str, Any]]":
        try:
            self._open()
            assert self._fd is not None
            os.write(self._fd, json.dumps(state).encode())
        except (OSError, termios.error) as error:
            self._lost()
            return fail(error)
        if not state.get("v", False):
            return succeed({})
        waiting: Deferred[dict[str, Any]] = Deferred()
        self._waiting = waiting
        waiting.addTimeout(REPLY_TIMEOUT, self._reactor)

        def timed_out(failure: Any) -> Any:
            failure.trap(DeferredTimeout)
            raise TimeoutError(f"no reply from {self.path} within {REPLY_TIMEOUT} s")

        return waiting.addErrback(timed_out)

    def close(self) -> "Deferred[None]":
        """Stop: a request waiting for its reply is cancelled, the port closed."""
        waiting, self._waiting = self._waiting, None
        self._release()
        if waiting is not None and not waiting.called:
            waiting.cancel()
        return succeed(None)

    def _release(self) -> None:
        if self._fd is not None:
            self._reactor.removeReader(self)
            os.close(self._fd)
            self._fd = None
        self._buffer = b""

    def _lost(self) -> None:
        """The device went away: reopened at the next request; a waiting one fails now."""
        waiting, self._waiting = self._waiting, None
        self._release()
        if waiting is not None and not waiting.called:
            waiting.errback(OSError(f"serial device {self.path} closed"))

    # IReadDescriptor

    def fileno(self) -> int:
        return -1 if self._fd is None else self._fd

    def doRead(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lost()
            return
        self._buffer = (self._buffer + data)[-MAX_LINE:]
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._line(line.strip())

    def _line(self, line: bytes) -> None:
        try:
            reply = json.loads(line)
        except ValueError:
            return
        waiting, self._waiting = self._waiting, None
        if waiting is not None and not waiting.called:
            waiting.callback(reply if isinstance(reply, dict) else {})

    def connectionLost(self, reason: Any) -> None:
        self._fd = None

    def logPrefix(self) -> str:
        return f"wled serial {self.path}"

