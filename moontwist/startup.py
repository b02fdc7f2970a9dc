"""Start-up that fails loudly: one clear line on stderr and in the log, then exit status 1.

A failure while building the services (config, certificates, data folder) is a
``StartupError`` raised before anything runs; a failure while starting them (a
port already in use, a database that cannot open) fails the root service's
``ready`` Deferred, and ``exit_when_start_fails`` turns it into the same line
and stops the process with status 1, so systemd sees the failure.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, TextIO

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

log = Logger()

EXIT_FAILURE = 1


class StartupError(Exception):
    """moontwist cannot start; the message tells the user why (file, line, option, port)."""


def report(message: str, stderr: TextIO | None = None) -> None:
    """The one line: on stderr and, once file logging runs, in the log."""
    log.critical("moontwist: {message}", message=message)
    stream = sys.stderr if stderr is None else stderr
    stream.write(f"moontwist: {message}\n")
    stream.flush()


def describe(failure: Failure) -> str:
    """A start failure as one line: its message, with the type when that says more."""
    error = failure.value
    if isinstance(error, StartupError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def exit_when_start_fails(ready: "Deferred[Any]", reactor: Any, stderr: TextIO | None = None,
                          exit: Callable[[int], Any] = os._exit) -> None:
    """Report a failed start, stop the reactor and leave with status 1 once it has stopped."""

    def failed(failure: Failure) -> None:
        report(f"cannot start: {describe(failure)}", stderr)
        reactor.addSystemEventTrigger("after", "shutdown", _leave, exit)
        # twistd starts the services before the reactor runs: stop once it does.
        reactor.callWhenRunning(reactor.stop)

    ready.addErrback(failed)


def _leave(exit: Callable[[int], Any]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    exit(EXIT_FAILURE)
