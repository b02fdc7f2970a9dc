"""Raise3D ideaMaker: ``;Key: value`` header lines, numbered per extruder (``#1``)."""

from __future__ import annotations

import math
import re

from moontwist.metadata.reader import GcodeText
from moontwist.metadata.values import (
    NUMBER,
    Fields,
    numbers,
    one_or_json,
    put,
    search,
    search_number,
    to_float,
    total,
)

_IDENTITY = re.compile(r" ideaMaker (\S+),")
_FIRST_LAYER = re.compile(rf"^;LAYER:0\n(?:;.*\n)*?;HEIGHT:({NUMBER})", re.MULTILINE)
_SECOND_LAYER = re.compile(rf"^;LAYER:1\n(?:;.*\n)*?;HEIGHT:({NUMBER})", re.MULTILINE)
_BOUNDING_BOX = re.compile(r"^;Bounding Box:(.*)$", re.MULTILINE)
_DIMENSION = re.compile(r"^;Dimension:(.*)$", re.MULTILINE)
_MATERIAL_USED = re.compile(rf"^;Material#(\d+) Used:[ \t]*({NUMBER})", re.MULTILINE)
_DIAMETER = re.compile(rf"^;Filament Diameter #(\d+):[ \t]*({NUMBER})", re.MULTILINE)
_DENSITY = re.compile(rf"^;Filament Density #(\d+):[ \t]*({NUMBER})", re.MULTILINE)
_FILAMENT_TYPE = re.compile(r"^;Filament Type #\d+:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_FILAMENT_NAME = re.compile(r"^;Filament Name #\d+:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_PRINT_TIME = re.compile(rf"^;Print Time:[ \t]*({NUMBER})", re.MULTILINE)
_EXTRUDER_WAIT = re.compile(rf"^M109 T0 S({NUMBER})", re.MULTILINE)
_BED_WAIT = re.compile(rf"^M190 S({NUMBER})", re.MULTILINE)
_CHAMBER_WAIT = re.compile(rf"^M191 S({NUMBER})", re.MULTILINE)


def identify(head: str) -> tuple[str, str] | None:
    version = search(_IDENTITY, head)
    return None if version is None else ("IdeaMaker", version)


def parse(text: GcodeText) -> Fields:
    """Fields of an ideaMaker file."""
    head = text.head
    fields: Fields = {}
    put(fields, "first_layer_height", search_number(head, _FIRST_LAYER))
    put(fields, "layer_height", search_number(head, _SECOND_LAYER))
    box = numbers(search(_BOUNDING_BOX, head))
    put(fields, "object_height", box[5] if len(box) == 6 else None)
    dimension = numbers(search(_DIMENSION, head))
    put(fields, "nozzle_diameter", dimension[3] if len(dimension) >= 4 else None)
    used = _per_extruder(_MATERIAL_USED, head)
    put(fields, "filament_total", total(used.values()))
    put(fields, "filament_weight_total", _weight(used, head))
    put(fields, "filament_type", one_or_json(_FILAMENT_TYPE.findall(head)))
    put(fields, "filament_name", one_or_json(_FILAMENT_NAME.findall(head)))
    put(fields, "estimated_time", search_number(head, _PRINT_TIME))
    put(fields, "first_layer_extr_temp", search_number(head, _EXTRUDER_WAIT))
    put(fields, "first_layer_bed_temp", search_number(head, _BED_WAIT))
    put(fields, "chamber_temp", search_number(head, _CHAMBER_WAIT))
    return fields


def _per_extruder(pattern: re.Pattern[str], text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for extruder, number in pattern.findall(text):
        value = to_float(number)
        if value is not None:
            values.setdefault(extruder, value)
    return values


def _weight(used: dict[str, float], head: str) -> float | None:
    """Grams from length (mm), filament diameter (mm) and density (kg/m³)."""
    diameters = _per_extruder(_DIAMETER, head)
    densities = _per_extruder(_DENSITY, head)
    grams = [
        length * math.pi * (diameters[extruder] / 2) ** 2 * densities[extruder] / 1e6
        for extruder, length in used.items()
        if extruder in diameters and extruder in densities
    ]
    return total(grams)
