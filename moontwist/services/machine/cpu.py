"""``cpu_info`` of ``machine.system_info``: /proc/cpuinfo, /proc/meminfo, the device tree."""

from __future__ import annotations

import os
import platform
import struct
from typing import Any

from moontwist.services.machine.host import HostPaths, read_text

# /proc/cpuinfo keys and the cpu_info fields they fill.
CPUINFO_FIELDS = {
    "model name": "cpu_desc",
    "Serial": "serial_number",
    "Hardware": "hardware_desc",
    "Model": "model",
}


def parse_key_values(text: str, separator: str = ":") -> list[tuple[str, str]]:
    """``key: value`` lines (as /proc/cpuinfo and /proc/meminfo write them)."""
    pairs = []
    for line in text.splitlines():
        key, found, value = line.partition(separator)
        if found:
            pairs.append((key.strip(), value.strip()))
    return pairs


def meminfo(paths: HostPaths) -> dict[str, tuple[int, str]]:
    """/proc/meminfo as ``{name: (value, unit)}``."""
    result = {}
    for key, value in parse_key_values(read_text(paths.proc("meminfo")) or ""):
        number, _, unit = value.partition(" ")
        if number.isdigit():
            result[key] = (int(number), unit.strip())
    return result


def cpu_info(paths: HostPaths) -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": None,
        # What platform.architecture() reports for the running interpreter,
        # without the `file` process it starts to look at the executable.
        "bits": f"{struct.calcsize('P') * 8}bit",
        "processor": platform.machine(),
        "cpu_desc": "",
        "serial_number": "",
        "hardware_desc": "",
        "model": "",
        "total_memory": None,
        "memory_units": "",
    }
    processors = 0
    for key, value in parse_key_values(read_text(paths.proc("cpuinfo")) or ""):
        if key == "processor":
            processors += 1
        field = CPUINFO_FIELDS.get(key)
        if field == "serial_number":
            value = value.lstrip("0") or value[-1:]  # As Moonraker: 00000000b898bdb4 -> b898bdb4
        if field is not None and not info[field]:
            info[field] = value
    info["cpu_count"] = processors or os.cpu_count()
    if not info["model"]:
        info["model"] = (read_text(paths.proc("device-tree", "model")) or "").strip("\x00\n ")
    total = meminfo(paths).get("MemTotal")
    if total is not None:
        info["total_memory"], info["memory_units"] = total
    return info
