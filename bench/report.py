"""The lines of issue 6, their goals, the table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVERS = ("moontwist", "moonraker")


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    unit: str
    higher_is_better: bool
    # The goal: "ratio>=" / "ratio<=" compare moontwist/Moonraker, "max" caps moontwist's value.
    goal: tuple[str, float] | None = None

    def goal_text(self) -> str:
        if self.goal is None:
            return ""
        kind, value = self.goal
        return {"ratio>=": f"≥ {value:g}×", "ratio<=": f"≤ {value:g}×", "max": f"< {value:g} {self.unit}"}[kind]

    def met(self, ours: float | None, theirs: float | None) -> bool | None:
        if self.goal is None or ours is None:
            return None
        kind, value = self.goal
        if kind == "max":
            return ours < value
        if not theirs:
            return None
        ratio = ours / theirs
        return ratio >= value if kind == "ratio>=" else ratio <= value


LINES = (
    Line("http_info", "1  HTTP GET /server/info, 10 conns", "req/s", True, ("ratio>=", 2.0)),
    Line("ws_info_1", "2  WS server.info, 1 client", "rt/s", True, ("ratio>=", 1.1)),
    Line("ws_info_10", "2  WS server.info, 10 clients", "rt/s", True, ("ratio>=", 1.5)),
    Line("gcode_1", "3  WS gcode G4 P0, 1 client", "rt/s", True, ("ratio>=", 1.2)),
    Line("gcode_10", "3  WS gcode G4 P0, 10 clients", "rt/s", True, ("ratio>=", 1.2)),
    Line("fanout_50_cpu", "4  fan-out 50 clients: CPU", "%", False),
    Line("fanout_50_per_1000", "4  fan-out 50: CPU per 1,000 notif.", "ms", False, ("ratio<=", 0.5)),
    Line("fanout_50_missing", "4  fan-out 50: updates missed", "", False, ("max", 1)),
    Line("fanout_200_cpu", "4  fan-out 200 clients: CPU", "%", False),
    Line("fanout_200_per_1000", "4  fan-out 200: CPU per 1,000 notif.", "ms", False, ("ratio<=", 0.5)),
    Line("fanout_200_missing", "4  fan-out 200: updates missed", "", False, ("max", 1)),
    Line("upload_100m_speed", "5  upload 100 MiB", "MiB/s", True, ("ratio>=", 1.0)),
    Line("upload_100m_peak", "5  upload 100 MiB: peak RSS above idle", "MiB", False, ("max", 16)),
    Line("upload_1g_speed", "5  upload {big}", "MiB/s", True, ("ratio>=", 1.0)),
    Line("upload_1g_peak", "5  upload {big}: peak RSS above idle", "MiB", False, ("max", 16)),
    Line("files_list", "6  files.list, 10,000 files", "ms", False, ("ratio<=", 0.5)),
    Line("metadata", "6  metascan, 500 MB PrusaSlicer file", "ms", False, ("ratio<=", 0.5)),
    Line("rss_idle", "7  RSS idle after start", "MiB", False, ("ratio<=", 0.8)),
    Line("rss_after", "7  RSS idle after the load", "MiB", False),
    Line("rss_growth", "7  RSS growth after the load", "MiB", False, ("max", 1)),
    Line("start_info", "8  start → server.info answers", "s", False, ("ratio<=", 0.8)),
    Line("start_ready", "8  start → klippy_state ready", "s", False, ("ratio<=", 0.5)),
    Line("small_peak_rss", "9  small board: peak RSS", "MiB", False),
    Line("small_cgroup_peak", "9  small board: cgroup peak (+ cache)", "MiB", False),
    Line("small_info_p99", "9  small board: server.info p99", "ms", False),
    Line("small_killed", "9  small board: killed or not answering", "", False, ("max", 1)),
)


def summary(samples: list[float] | None) -> dict[str, Any] | None:
    if not samples:
        return None
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "samples": samples}


def figure(stats: dict[str, Any] | None) -> str:
    if stats is None:
        return "n/a"
    return f"{_number(stats['median'])} ({_number(stats['min'])}–{_number(stats['max'])})"


def _number(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def rows(results: dict[str, dict[str, Any]], big_label: str) -> list[dict[str, Any]]:
    table = []
    for line in LINES:
        ours, theirs = results["moontwist"].get(line.key), results["moonraker"].get(line.key)
        ours_median = ours["median"] if ours else None
        theirs_median = theirs["median"] if theirs else None
        ratio = ours_median / theirs_median if ours_median is not None and theirs_median else None
        table.append({
            "key": line.key,
            "line": line.label.format(big=big_label),
            "unit": line.unit,
            "higher_is_better": line.higher_is_better,
            "moontwist": ours,
            "moonraker": theirs,
            "ratio": ratio,
            "goal": line.goal_text(),
            "met": line.met(ours_median, theirs_median),
        })
    return table


def render(table: list[dict[str, Any]]) -> str:
    header = ("line", "unit", "moontwist median (min–max)", "Moonraker median (min–max)", "mt/mr", "goal", "")
    body = [
        (
            row["line"], row["unit"], figure(row["moontwist"]), figure(row["moonraker"]),
            f"{row['ratio']:.2f}" if row["ratio"] is not None else "",
            row["goal"], {True: "ok", False: "BEHIND", None: ""}[row["met"]],
        )
        for row in table
    ]
    widths = [max(len(str(cells[i])) for cells in (header, *body)) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)).rstrip() for cells in (header, *body)]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = ""
    for text in Path("/proc/cpuinfo").read_text().splitlines():
        if text.startswith("model name"):
            model = text.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)
