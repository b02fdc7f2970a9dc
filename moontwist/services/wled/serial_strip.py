"""A strip on a serial line (WLED 0.13+ reads JSON API states from its serial port).

Twisted's SerialPort (on pyserial, the optional extra ``serial``) keeps the
port; it is opened again every 2 s while it cannot be (unplugged, not yet
there). A state asking for an answer (``v``) waits 2 s for WLED's JSON line.
"""

from __future__ import annotations

import json
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.services.wled.strip import Strip, StripError

log = Logger()

REOPEN_DELAY = 2.0
ANSWER_TIMEOUT = 2.0
MAX_LINE = 64 * 1024


class _WledLine(Protocol):
    def __init__(self, strip: "SerialStrip") -> None:
        self.strip = strip
        self.buffer = b""

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.strip.line_received(line.strip())
        if len(self.buffer) > MAX_LINE:
            self.buffer = b""

    def connectionLost(self, reason: Any = None) -> None:
        self.strip.port_lost()


class SerialStrip(Strip):
    def __init__(self, name: str, options: dict[str, Any], reactor: Any) -> None:
        super().__init__(name, options)
        try:
            from twisted.internet.serialport import SerialPort
        except ImportError:
            raise ConfigError("serial WLED strips need the pyserial package (pip install 'moontwist[serial]')") from None
        self._serial_port = SerialPort
        self.device: str = options["serial"]
        self.baud: int = options["baud"]
        self.reactor = reactor
        self._port: Any = None
        self._reopen: Any = None
        self._answer: Deferred[dict[str, Any]] | None = None
        self._enabled = True
        self._open_error = ""

    @property
    def connected(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        self._reopen = None
        if not self._enabled or self._port is not None:
            return
        try:
            self._port = self._serial_port(_WledLine(self), self.device, self.reactor, baudrate=self.baud)
        except Exception as error:
            if str(error) != self._open_error:
                log.warn("WLED {name}: cannot open {device}: {error}", name=self.name, device=self.device,
                         error=error)
                self._open_error = str(error)
            self._reopen = self.reactor.callLater(REOPEN_DELAY, self.open)
            return
        self._open_error = ""
        log.info("WLED {name}: serial port {device} open", name=self.name, device=self.device)

    async def initialise(self) -> None:
        self.open()
        await super().initialise()

    def port_lost(self) -> None:
        self._port = None
        answer, self._answer = self._answer, None
        if answer is not None and not answer.called:
            answer.errback(StripError(f"serial port {self.device} closed"))
        if self._enabled and self._reopen is None:
            self._reopen = self.reactor.callLater(REOPEN_DELAY, self.open)

    def line_received(self, line: bytes) -> None:
        try:
            decoded = json.loads(line)
        except ValueError:
            log.debug("WLED {name}: serial data {line!r}", name=self.name, line=line)
            return
        answer, self._answer = self._answer, None
        if answer is not None and not answer.called:
            answer.callback(decoded if isinstance(decoded, dict) else {})

    async def send(self, state: dict[str, Any]) -> dict[str, Any]:
        if self._port is None:
            raise StripError(f"serial port {self.device} is not open")
        wants_answer = bool(state.get("v"))
        answer: Deferred[dict[str, Any]] = Deferred()
        if wants_answer:
            self._answer = answer
        self._port.write(json.dumps(state).encode())
        if not wants_answer:
            return {}
        timer = self.reactor.callLater(ANSWER_TIMEOUT, answer.cancel)
        try:
            return await answer
        except StripError:
            raise
        except Exception:
            raise StripError(f"no answer on {self.device} within {ANSWER_TIMEOUT:g} s") from None
        finally:
            self._answer = None
            if timer.active():
                timer.cancel()

    def stop(self) -> None:
        self._enabled = False
        if self._reopen is not None and self._reopen.active():
            self._reopen.cancel()
        self._reopen = None
        if self._port is not None:
            self._port.loseConnection()
