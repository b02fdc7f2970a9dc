"""ETX (0x03) framed messages, as spoken by Klippy's and Moonraker's Unix sockets."""

from __future__ import annotations

from twisted.internet.protocol import Protocol

ETX = b"\x03"
DEFAULT_MAX_MESSAGE = 20 * 1024 * 1024


class ETXProtocol(Protocol):
    """Split a byte stream on 0x03 and hand each complete message up.

    ``maxMessageLength`` bounds the bytes held for one unfinished message: a peer
    that never sends the terminator is disconnected instead of growing the buffer.
    """

    maxMessageLength = DEFAULT_MAX_MESSAGE

    _buffer: bytes = b""

    def dataReceived(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        if ETX not in data:
            if len(buffer) > self.maxMessageLength:
                self._buffer = b""
                self.messageLengthExceeded(len(buffer))
                return
            self._buffer = buffer
            return
        *messages, rest = buffer.split(ETX)
        self._buffer = rest
        for message in messages:
            if self.transport is None or getattr(self.transport, "disconnecting", False):
                return
            if len(message) > self.maxMessageLength:
                self.messageLengthExceeded(len(message))
                return
            if message:
                self.messageReceived(message)
        if len(rest) > self.maxMessageLength:
            self._buffer = b""
            self.messageLengthExceeded(len(rest))

    def sendMessage(self, message: bytes) -> None:
        """Write one message followed by its terminator."""
        assert self.transport is not None
        self.transport.writeSequence((message, ETX))

    def messageReceived(self, message: bytes) -> None:
        """Called with each complete message, terminator removed."""
        raise NotImplementedError

    def messageLengthExceeded(self, length: int) -> None:
        """A message grew past ``maxMessageLength``: drop the connection."""
        assert self.transport is not None
        self.transport.loseConnection()
