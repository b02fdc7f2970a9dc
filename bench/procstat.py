"""CPU time and memory of a process, read from /proc."""

from __future__ import annotations

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of every live thread of ``pid`` so far, in nanoseconds'
    precision from schedstat where the kernel has it (/proc/<pid>/stat counts
    10 ms ticks: too coarse for a 1 % load over a few seconds)."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks) / 1e9
    except FileNotFoundError:
        return cpu_ticks_seconds(pid)


def cpu_ticks_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` (all threads) from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces: the fields we want follow its ")".
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / TICKS_PER_SECOND


def memory_mb(pid: int) -> dict[str, float]:
    """Resident set now (VmRSS) and its high-water mark (VmHWM), in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def rss_mb(pid: int) -> float:
    return memory_mb(pid)["VmRSS"]


def reset_peak(pid: int) -> None:
    """Set VmHWM back to the current RSS (Linux 4.0+: clear_refs value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
