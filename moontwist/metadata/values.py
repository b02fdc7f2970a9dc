"""Small, forgiving converters shared by the slicer parsers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

Fields = dict[str, Any]
T = TypeVar("T")

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)"
_NUMBER = re.compile(NUMBER)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)\b")
_WORDY_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(day|hour|min|sec)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_SECONDS.update(day=86400, hour=3600, min=60, sec=1)
_Z_MOVE = re.compile(rf"^G[01][ \t][^;\n]*?Z[ \t]*({NUMBER})", re.MULTILINE)


def to_float(text: str | None) -> float | None:
    """``text`` as a float, or None when it is not a finite number."""
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def to_int(text: str | None) -> int | None:
    """``text`` as an int (``"3.0"`` included), or None."""
    value = to_float(text)
    return None if value is None or value != int(value) else int(value)


def numbers(text: str | None) -> list[float]:
    """Every number in ``text`` (``"1.5, 2.5"``, ``"[1.5, 2.5]"``, ``"1.2m, 0.5m"``)."""
    if text is None:
        return []
    return [value for value in map(to_float, _NUMBER.findall(text)) if value is not None]


def first_number(text: str | None) -> float | None:
    """The first number in a list such as ``"215,240"``."""
    values = numbers(text)
    return values[0] if values else None


def total(values: Iterable[float]) -> float | None:
    """The sum of ``values`` rounded to 2 places, or None when there are none."""
    listed = list(values)
    return round(sum(listed), 2) if listed else None


def duration(text: str | None) -> float | None:
    """Seconds in ``"1d 2h 3m 4s"`` or ``"1 hour 2 minutes"`` style durations."""
    if not text:
        return None
    parts = _DURATION_PART.findall(text) or _WORDY_DURATION_PART.findall(text)
    if not parts:
        return None
    return round(sum(float(count) * _UNIT_SECONDS[unit.lower()] for count, unit in parts), 2)


def search(pattern: re.Pattern[str], text: str) -> str | None:
    """Group 1 of the first match of ``pattern``, stripped, or None."""
    match = pattern.search(text)
    return None if match is None else match.group(1).strip()


def search_number(text: str, *patterns: re.Pattern[str]) -> float | None:
    """The number captured by the first of ``patterns`` that finds one."""
    for pattern in patterns:
        value = to_float(search(pattern, text))
        if value is not None:
            return value
    return None


def setting_number(settings: Mapping[str, str], *keys: str) -> float | None:
    """The first number of the first of ``keys`` present in ``settings``."""
    for key in keys:
        value = first_number(settings.get(key))
        if value is not None:
            return value
    return None


def search_last(pattern: re.Pattern[str], text: str) -> str | None:
    """Group 1 of the last match of ``pattern``, stripped, or None."""
    found = pattern.findall(text)
    return found[-1].strip() if found else None


def first_of(*candidates: Callable[[], T | None]) -> T | None:
    """The first candidate that yields something other than None."""
    for candidate in candidates:
        value = candidate()
        if value is not None:
            return value
    return None


def largest(texts: Iterable[str]) -> float | None:
    """The largest of ``texts`` read as numbers, or None."""
    return max((value for value in map(to_float, texts) if value is not None), default=None)


def _z_heights(text: str) -> list[float]:
    """Z values of every G0/G1 move in ``text``."""
    return [value for value in map(to_float, _Z_MOVE.findall(text)) if value is not None]


def max_z(text: str) -> float | None:
    """The highest Z a G0/G1 move reaches in ``text``."""
    return largest(_Z_MOVE.findall(text))


def min_positive_z(text: str) -> float | None:
    """The lowest Z above zero a G0/G1 move reaches in ``text``."""
    return min((z for z in _z_heights(text) if z > 0), default=None)


def config_list(text: str | None, separators: str = ";") -> list[str]:
    """Split a slicer setting list (``"PLA;PETG"``, ``"\\"A; B\\";C"``), unquoting items."""
    if text is None:
        return []
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in separators and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return items


def one_or_json(items: list[str]) -> str | None:
    """One value as itself, several as a JSON-encoded list (Moonraker's convention)."""
    kept = [item for item in items if item]
    if not kept:
        return None
    return kept[0] if len(items) == 1 else json.dumps(items)


def put(fields: Fields, name: str, value: object) -> None:
    """Set ``fields[name]`` unless ``value`` is None or empty (Moonraker omits those)."""
    if value is None or value == "" or value == []:
        return
    fields[name] = value
