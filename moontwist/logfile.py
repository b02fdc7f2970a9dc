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
    Klippy is down); the Klippy service logs the state changes that matter."""

    def __call__(self, event: dict[str, Any]) -> PredicateResult:
        if str(event.get("log_format", "")).startswith("Scheduling retry"):
            return PredicateResult.no
        return PredicateResult.maybe


def start_file_logging(path: Path, verbose: bool) -> RollingLogFile:
    """Add an observer writing to ``path``; debug events and retries only when ``verbose``.

    Returns the file, so that ``server.logs.rollover`` can roll it.
    """
    log_file = open_log(path)
    predicates: list[ILogFilterPredicate] = [
        LogLevelFilterPredicate(defaultLogLevel=LogLevel.debug if verbose else LogLevel.info)
    ]
    if not verbose:
        predicates.insert(0, QuietRetries())
    observer = FilteringLogObserver(textFileLogObserver(log_file), predicates)
    globalLogPublisher.addObserver(observer)
    return log_file
