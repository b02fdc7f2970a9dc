"""File logging through twisted.logger to moonraker.log, rolled over by size and day."""

from __future__ import annotations

import time
from pathlib import Path

from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
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


def start_file_logging(path: Path, verbose: bool) -> RollingLogFile:
    """Add an observer writing to ``path``; debug events only when ``verbose``.

    Returns the file, so that ``server.logs.rollover`` can roll it.
    """
    level = LogLevel.debug if verbose else LogLevel.info
    log_file = open_log(path)
    observer = FilteringLogObserver(
        textFileLogObserver(log_file),
        [LogLevelFilterPredicate(defaultLogLevel=level)],
    )
    globalLogPublisher.addObserver(observer)
    return log_file
