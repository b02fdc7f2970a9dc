"""Run the daemon as a real `twistd moontwist` process and read where it listens."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import Any, Sequence

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol
from twisted.internet.task import deferLater

REPO = Path(__file__).resolve().parents[2]
TWISTD = Path(sys.executable).with_name("twistd")
LISTENING = re.compile(rb"(HTTPS?) listening on [^:]+:(\d+)")


class DaemonProcess(ProcessProtocol):
    """Collects output; ``ports`` fires once HTTP (and HTTPS when expected) listen."""

    def __init__(self, expect: set[str]) -> None:
        self.output = b""
        self.expect = expect
        self.ports: dict[str, int] = {}
        self.listening: Deferred[dict[str, int]] = Deferred()
        self.ended: Deferred[Any] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.output += data
        for name, port in LISTENING.findall(self.output):
            self.ports[name.decode()] = int(port)
        if not self.listening.called and self.expect <= set(self.ports):
            self.listening.callback(self.ports)

    errReceived = outReceived

    def processEnded(self, reason: Any) -> None:
        if not self.listening.called:
            self.listening.errback(RuntimeError(self.output.decode(errors="replace")))
        self.ended.callback(reason.value)

    def signal(self, name: str) -> None:
        if self.transport.pid:
            self.transport.signalProcess(name)

    async def kill(self) -> None:
        if not self.ended.called:
            self.signal("KILL")
            await self.ended


def spawn_daemon(data_path: Path, *args: str, expect: set[str] = frozenset({"HTTP"})) -> DaemonProcess:
    argv = [str(TWISTD), "--nodaemon", "--pidfile=", "moontwist", "--datapath", str(data_path), *args]
    return spawn(argv, data_path.parent, expect=expect)


def spawn_command(args: list[str], cwd: Path, env: dict[str, str] | None = None,
                  expect: set[str] = frozenset({"HTTP"}), python_flags: Sequence[str] = ()) -> DaemonProcess:
    """The ``moontwist`` command (``python -m moontwist``, what its entry point runs)."""
    return spawn([sys.executable, *python_flags, "-m", "moontwist", *args], cwd, env, expect)


def spawn(argv: list[str], cwd: Path, env: dict[str, str] | None = None,
          expect: set[str] = frozenset({"HTTP"})) -> DaemonProcess:
    process = DaemonProcess(set(expect))
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO)}
    reactor.spawnProcess(process, argv[0], argv, env=environment, path=str(cwd))
    return process


async def wait_for(predicate: Any, timeout: float = 10.0, step: float = 0.05) -> None:
    waited = 0.0
    while not predicate():
        if waited > timeout:
            raise TimeoutError("condition not reached")
        await deferLater(reactor, step, lambda: None)
        waited += step
