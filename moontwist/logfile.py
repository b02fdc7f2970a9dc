"""File logging through twisted.logger to moonraker.log, rolled over by size and day."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from zope.interface import implementer

from twisted.logger import (
    FilteringLogObserver,
    ILogFilterPredicate,
    LogLevel,
    LogLevelFilterPredicate,
    PredicateResult,
    globalLogPublisher,
    textFileLogObserver,
)
from twisted.python.logfile import LogFile

ROTATE_BYTES = 10 * 1024 * 1024
KEEP_FILES = 3


class RollingLogFile(LogFile):
    """Rotates when the file passes ``rotateLength`` bytes or the day changes."""

    def _openFile(self) -> None:
        super()._openFile()
        self._day = time.localtime().tm_yday

    def shouldRotate(self) -> bool:
        return super().shouldRotate() or time.localtime().tm_yday != self._day


def open_log(path: Path) -> RollingLogFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    return RollingLogFile(path.name, str(path.parent), rotateLength=ROTATE_BYTES,
                          maxRotatedFiles=KEEP_FILES)


@implementer(ILogFilterPredicate)
class QuietRetries:
    """Drops ClientService's line per reconnect attempt (every few seconds while
    Klippy is down, with an endpoint's repr); the Klippy service says "Waiting
    for Klippy at ..." once a minute instead."""

    def __call__(self, event: dict[str, Any]) -> PredicateResult:
        if str(event.get("log_format", "")).startswith("Scheduling retry"):
            return PredicateResult.no
        return PredicateResult.maybe


def log_filters(verbose: bool) -> list[ILogFilterPredicate]:
    """What every log output drops: debug events unless ``verbose``, reconnect lines always."""
    return [QuietRetries(), LogLevelFilterPredicate(defaultLogLevel=LogLevel.debug if verbose else LogLevel.info)]


def start_file_logging(path: Path, verbose: bool) -> RollingLogFile:
    """Add an observer writing to ``path`` (see ``log_filters``).

    Returns the file, so that ``server.logs.rollover`` can roll it.
    """
    log_file = open_log(path)
    observer = FilteringLogObserver(textFileLogObserver(log_file), log_filters(verbose))
    globalLogPublisher.addObserver(observer)
    return log_file
