"""Progress of long operations: a log line every few seconds, and a bar on a terminal.

Used by the start-up metadata scan (thousands of files on a big SD card) and
the database import, so that neither looks like a hang.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

log = Logger()

LOG_EVERY = 10.0
BAR_WIDTH = 30


class Progress:
    """Counts ``total`` steps of ``label``; ``step`` passes its argument through (a callback)."""

    def __init__(self, label: str, total: int, clock: IReactorTime, stream: TextIO | None = None,
                 log_every: float = LOG_EVERY) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._clock = clock
        self._started = clock.seconds()
        self._logged = self._started
        self._log_every = log_every
        stream = sys.stderr if stream is None else stream
        self._bar = stream if stream.isatty() else None
        log.info("{label}: {total} to do", label=label, total=total)
        self._draw()

    def step(self, result: Any = None) -> Any:
        self.done += 1
        now = self._clock.seconds()
        if self.done == self.total:
            log.info("{label}: {total} done in {seconds:.1f} s", label=self.label, total=self.total,
                     seconds=now - self._started)
        elif now - self._logged >= self._log_every:
            self._logged = now
            log.info("{label}: {done} of {total}", label=self.label, done=self.done, total=self.total)
        self._draw()
        return result

    def _draw(self) -> None:
        if self._bar is None or not self.total:
            return
        filled = BAR_WIDTH * self.done // self.total
        end = "\n" if self.done == self.total else ""
        self._bar.write(f"\r{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                        f"{100 * self.done // self.total:3d}% ({self.done}/{self.total}){end}")
        self._bar.flush()
