"""Ultimaker Cura: ``;KEY:value`` header lines plus the start G-code's comments.

The filament name/type/weight and nozzle lines come from the widely used
Klipper start G-code templates (``;Filament type = {material_type}`` …); the
``PRINT.*`` and ``EXTRUDER_TRAIN.*`` keys are Cura's Griffin header flavour.
"""

from __future__ import annotations

import re

from moontwist.metadata.reader import GcodeText
from moontwist.metadata.values import (
    NUMBER,
    Fields,
    numbers,
    put,
    search,
    search_number,
    to_int,
    total,
)

_IDENTITY = re.compile(r"Cura_SteamEngine (\S+)")


def _line(key: str) -> re.Pattern[str]:
    return re.compile(rf"^;{re.escape(key)}(.*)$", re.MULTILINE)


def _command(code: str) -> re.Pattern[str]:
    return re.compile(rf"^{code}(?:[ \t]+T\d+)?[ \t]+S({NUMBER})", re.MULTILINE)


_LAYER_HEIGHT = _line("Layer height:")
_MIN_Z = _line("MINZ:")
_GRIFFIN_MIN_Z = _line("PRINT.SIZE.MIN.Z:")
_MAX_Z = _line("MAXZ:")
_GRIFFIN_MAX_Z = _line("PRINT.SIZE.MAX.Z:")
_FILAMENT_USED = _line("Filament used:")
_FILAMENT_WEIGHT = _line("Filament weight =")
_FILAMENT_TYPE = _line("Filament type =")
_FILAMENT_NAME = _line("Filament name =")
_TIME = _line("TIME:")
_GRIFFIN_TIME = _line("PRINT.TIME:")
_LAYER_COUNT = _line("LAYER_COUNT:")
_NOZZLE = _line("Nozzle diameter =")
_GRIFFIN_NOZZLE = _line("EXTRUDER_TRAIN.0.NOZZLE.DIAMETER:")
_GRIFFIN_EXTRUDER_TEMP = _line("EXTRUDER_TRAIN.0.INITIAL_TEMPERATURE:")
_GRIFFIN_BED_TEMP = _line("BUILD_PLATE.INITIAL_TEMPERATURE:")
_EXTRUDER_WAIT = _command("M109")
_BED_WAIT = _command("M190")
_CHAMBER_WAIT = _command("M191")


def identify(head: str) -> tuple[str, str] | None:
    version = search(_IDENTITY, head)
    return None if version is None else ("Cura", version)


def parse(text: GcodeText) -> Fields:
    """Fields of a Cura file."""
    head = text.head
    fields: Fields = {}

    def number(*patterns: re.Pattern[str]) -> float | None:
        return search_number(head, *patterns)

    put(fields, "layer_height", number(_LAYER_HEIGHT))
    put(fields, "first_layer_height", number(_MIN_Z, _GRIFFIN_MIN_Z))
    put(fields, "object_height", number(_MAX_Z, _GRIFFIN_MAX_Z))
    put(fields, "filament_total", _metres_to_mm(search(_FILAMENT_USED, head)))
    weights = numbers(search(_FILAMENT_WEIGHT, head))
    put(fields, "filament_weights", weights)
    put(fields, "filament_weight_total", total(weights))
    put(fields, "filament_type", search(_FILAMENT_TYPE, head))
    put(fields, "filament_name", _unquote(search(_FILAMENT_NAME, head)))
    put(fields, "estimated_time", number(_TIME, _GRIFFIN_TIME))
    put(fields, "layer_count", to_int(search(_LAYER_COUNT, head)))
    put(fields, "nozzle_diameter", number(_NOZZLE, _GRIFFIN_NOZZLE))
    put(fields, "first_layer_extr_temp", number(_EXTRUDER_WAIT, _GRIFFIN_EXTRUDER_TEMP))
    put(fields, "first_layer_bed_temp", number(_BED_WAIT, _GRIFFIN_BED_TEMP))
    put(fields, "chamber_temp", number(_CHAMBER_WAIT))
    return fields


def _metres_to_mm(value: str | None) -> float | None:
    metres = numbers(value)
    return None if not metres else round(sum(metres) * 1000, 2)


def _unquote(value: str | None) -> str | None:
    if value is not None and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
