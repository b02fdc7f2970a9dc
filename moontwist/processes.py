"""Running host programs (systemctl, sudo, uhubctl, git, pip, apt) as child processes.

Never blocks the reactor: the program is spawned with ``spawnProcess``, fed its
stdin, its output collected as it arrives (and handed line by line to an
optional callback), and a timeout kills it. A bare program name is looked up
on ``PATH`` at call time; ``env`` adds to this process's environment.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any, Callable

from twisted.internet.defer import Deferred, fail
from twisted.internet.error import ProcessDone, ProcessExitedAlready, ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

LineCallback = Callable[[str], None]


class ProcessError(Exception):
    """A program could not be found or started, ran too long, or (``check``) exited with an error."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class Completed:
    stdout: str
    stderr: str
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class _Collector(ProcessProtocol):
    def __init__(self, on_line: LineCallback | None, stdin: bytes | None) -> None:
        self.on_line = on_line
        self.stdin = stdin
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.partial = {1: b"", 2: b""}
        self.done: Deferred[Completed] = Deferred()
        self.timed_out: str | None = None

    def connectionMade(self) -> None:
        assert self.transport is not None
        if self.stdin is not None:
            self.transport.write(self.stdin)
        self.transport.closeStdin()

    def childDataReceived(self, fd: int, data: bytes) -> None:
        (self.out if fd == 1 else self.err).append(data)
        if self.on_line is None:
            return
        text = self.partial.get(fd, b"") + data
        *lines, self.partial[fd] = text.replace(b"\r", b"\n").split(b"\n")
        for line in lines:
            if line.strip():
                self.on_line(line.decode(errors="replace").strip())

    def processEnded(self, reason: Failure) -> None:
        if self.on_line is not None:
            for rest in self.partial.values():
                if rest.strip():
                    self.on_line(rest.decode(errors="replace").strip())
        code = 0
        if reason.check(ProcessTerminated):
            value = reason.value
            code = value.exitCode if value.exitCode is not None else 128 + (value.signal or 0)
        elif not reason.check(ProcessDone):
            code = -1
        result = Completed(b"".join(self.out).decode(errors="replace"),
                           b"".join(self.err).decode(errors="replace"), code)
        if self.timed_out is not None:
            self.done.errback(ProcessError(self.timed_out, result.stderr or result.stdout))
            return
        self.done.callback(result)


def which(program: str) -> str | None:
    return shutil.which(program, path=os.environ.get("PATH"))


def _name(argv: list[str]) -> str:
    return " ".join(argv[:2])


def run(reactor: Any, argv: list[str], *, timeout: float, stdin: bytes | None = None,
        cwd: str | None = None, env: dict[str, str] | None = None,
        on_line: LineCallback | None = None) -> "Deferred[Completed]":
    """Run ``argv``; fires with its output whatever its exit code, fails with ProcessError."""
    executable = argv[0] if "/" in argv[0] else which(argv[0])
    if executable is None:
        return fail(ProcessError(f"Command not found: {argv[0]}"))
    collector = _Collector(on_line, stdin)
    try:
        process = reactor.spawnProcess(collector, executable, list(argv),
                                       env={**os.environ, **(env or {})}, path=cwd)
    except OSError as error:
        return fail(ProcessError(f"Unable to run {argv[0]}: {error}"))

    def kill() -> None:
        """Fail once the killed process is gone, so none is left behind."""
        try:
            process.signalProcess("KILL")
        except ProcessExitedAlready:
            return
        collector.timed_out = f"{_name(argv)} timed out after {timeout:g} s"

    timer = reactor.callLater(timeout, kill)

    def stop_timer(result: Any) -> Any:
        if timer.active():
            timer.cancel()
        return result

    return collector.done.addBoth(stop_timer)


async def check(reactor: Any, argv: list[str], **kwargs: Any) -> Completed:
    """Like ``run`` but a non-zero exit fails with the program's own message."""
    result = await run(reactor, argv, **kwargs)
    if not result.ok:
        output = result.stderr.strip() or result.stdout.strip()
        raise ProcessError(f"{_name(argv)} failed (exit {result.exit_code}): {output}", output)
    return result
