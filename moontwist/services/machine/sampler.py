"""Turns successive readings into rates: process and system CPU usage, network bandwidth."""

from __future__ import annotations

import os
from typing import Any

from moontwist.services.machine import readings
from moontwist.services.machine.host import HostPaths


class ProcStatsSampler:
    """Each ``sample(now)`` compares with the previous one (the first, with construction)."""

    def __init__(self, paths: HostPaths, now: float, clock_ticks: int | None = None) -> None:
        self.paths = paths
        self.clock_ticks = clock_ticks or os.sysconf("SC_CLK_TCK")
        self.temperature_file = readings.cpu_temperature_file(paths)
        self._time = now
        self._process_ticks = readings.process_cpu_ticks(paths)
        self._cpu = readings.cpu_times(paths)
        self._network = readings.network_counters(paths)

    def sample(self, now: float) -> dict[str, Any]:
        """What ``notify_proc_stat_update`` carries, as of ``now``."""
        elapsed = now - self._time
        self._time = now
        memory, units = readings.process_memory(self.paths)
        return {
            "moonraker_stats": {
                "time": now,
                "cpu_usage": self._process_usage(elapsed),
                "memory": memory,
                "mem_units": units,
            },
            "cpu_temp": readings.cpu_temperature(self.temperature_file),
            "network": self._bandwidth(elapsed),
            "system_cpu_usage": self._system_usage(),
            "system_memory": readings.system_memory(self.paths),
        }

    def _process_usage(self, elapsed: float) -> float | None:
        ticks = readings.process_cpu_ticks(self.paths)
        before, self._process_ticks = self._process_ticks, ticks
        if ticks is None or before is None or elapsed <= 0:
            return None
        return round((ticks - before) / self.clock_ticks / elapsed * 100, 2)

    def _system_usage(self) -> dict[str, float]:
        current = readings.cpu_times(self.paths)
        before, self._cpu = self._cpu, current
        usage = {}
        for name, (total, idle) in current.items():
            if name not in before:
                continue
            total_delta = total - before[name][0]
            busy_delta = total_delta - (idle - before[name][1])
            usage[name] = round(busy_delta / total_delta * 100, 2) if total_delta > 0 else 0.0
        return usage

    def _bandwidth(self, elapsed: float) -> dict[str, dict[str, Any]]:
        current = readings.network_counters(self.paths)
        before, self._network = self._network, current
        network: dict[str, dict[str, Any]] = {}
        for name, counters in current.items():
            entry: dict[str, Any] = dict(counters)
            previous = before.get(name)
            if previous is None or elapsed <= 0:
                entry["bandwidth"] = 0.0
            else:
                moved = counters["rx_bytes"] + counters["tx_bytes"] - previous["rx_bytes"] - previous["tx_bytes"]
                entry["bandwidth"] = round(max(moved, 0) / elapsed, 2)
            network[name] = entry
        return network
