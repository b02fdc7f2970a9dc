"""Running host programs (systemctl, supervisorctl, sudo) as child processes.

Never blocks the reactor: the process is spawned, its output collected as it
arrives, and a timeout kills it. Programs are found on ``PATH`` at call time.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred, fail
from twisted.internet.error import ProcessDone, ProcessExitedAlready, ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

DEFAULT_TIMEOUT = 30.0


class CommandError(Exception):
    """A program could not be found, ran too long, or could not be started."""


@dataclass(frozen=True)
class CommandResult:
    stdout: str
    stderr: str
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class _Collector(ProcessProtocol):
    def __init__(self, stdin: bytes | None) -> None:
        self.stdin = stdin
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.done: Deferred[CommandResult] = Deferred()
        self.timed_out: CommandError | None = None

    def connectionMade(self) -> None:
        assert self.transport is not None
        if self.stdin is not None:
            self.transport.write(self.stdin)
        self.transport.closeStdin()

    def outReceived(self, data: bytes) -> None:
        self.out.append(data)

    def errReceived(self, data: bytes) -> None:
        self.err.append(data)

    def processEnded(self, reason: Failure) -> None:
        if self.timed_out is not None:
            self.done.errback(self.timed_out)
            return
        code = 0
        if reason.check(ProcessTerminated):
            value = reason.value
            code = value.exitCode if value.exitCode is not None else 128 + (value.signal or 0)
        elif not reason.check(ProcessDone):
            code = -1
        self.done.callback(CommandResult(b"".join(self.out).decode(errors="replace"),
                                         b"".join(self.err).decode(errors="replace"), code))


def which(program: str) -> str | None:
    return shutil.which(program, path=os.environ.get("PATH"))


def run(reactor: Any, argv: list[str], stdin: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT) -> "Deferred[CommandResult]":
    """Run ``argv``; fires with its output and exit code, fails with CommandError."""
    executable = which(argv[0])
    if executable is None:
        return fail(CommandError(f"Command not found: {argv[0]}"))
    collector = _Collector(stdin)
    try:
        process = reactor.spawnProcess(collector, executable, list(argv), env=None)
    except OSError as error:
        return fail(CommandError(f"Unable to run {argv[0]}: {error}"))

    def kill() -> None:
        """Fail once the killed process is gone, so none is left behind."""
        try:
            process.signalProcess("KILL")
        except ProcessExitedAlready:
            return
        collector.timed_out = CommandError(f"{argv[0]} timed out after {timeout:g} s")

    timer = reactor.callLater(timeout, kill)

    def stop_timer(result: Any) -> Any:
        if timer.active():
            timer.cancel()
        return result

    return collector.done.addBoth(stop_timer)
