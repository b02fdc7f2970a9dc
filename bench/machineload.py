"""How busy the machine is with other work: the benchmark's figures are only
as good as a quiet machine (the other engineers' test runs share it)."""

from __future__ import annotations

import time
from pathlib import Path


def _busy_and_total() -> tuple[int, int]:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def background_cores(seconds: float = 1.0) -> float:
    """Cores' worth of CPU in use while this process sleeps for ``seconds``."""
    busy_before, total_before = _busy_and_total()
    time.sleep(seconds)
    busy_after, total_after = _busy_and_total()
    cores = len([line for line in Path("/proc/stat").read_text().splitlines() if line[:3] == "cpu" and line[3:4].isdigit()])
    return cores * (busy_after - busy_before) / max(1, total_after - total_before)
