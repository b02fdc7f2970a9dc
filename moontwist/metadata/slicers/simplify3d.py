"""Simplify3D: ``;   key,value`` settings in the header, statistics at the end.

Version 4 names its heaters in ``temperatureName``/``temperatureSetpointTemperatures``
lists; version 5 writes one ``temperatureController`` block per heater with
``temperatureType`` and ``temperatureSetpoints,<layer>|<temp>,…``.
"""

from __future__ import annotations

import re

from moontwist.metadata.reader import GcodeText
from moontwist.metadata.values import (
    NUMBER,
    Fields,
    duration,
    first_number,
    first_of,
    largest,
    max_z,
    put,
    search,
    search_number,
    to_float,
)

_IDENTITY = re.compile(r"Simplify3D\(R\) Version (\S+)")
_SETTING = re.compile(r"^;[ \t]+(\w+),(.*?)[ \t]*$", re.MULTILINE)
_LAYER_Z = re.compile(rf"^; layer \d+, Z = ({NUMBER})", re.MULTILINE)
_FILAMENT_LENGTH = re.compile(
    rf"^;[ \t]+(?:Filament length|Material Length): ({NUMBER}) mm", re.MULTILINE)
_FILAMENT_WEIGHT = re.compile(
    rf"^;[ \t]+(?:Plastic weight|Material Weight): ({NUMBER}) g", re.MULTILINE)
_BUILD_TIME = re.compile(r"^;[ \t]+Build [Tt]ime: (.+)$", re.MULTILINE)
_CONTROLLER = re.compile(r"^;[ \t]+temperatureController,", re.MULTILINE)


def identify(head: str) -> tuple[str, str] | None:
    version = search(_IDENTITY, head)
    return None if version is None else ("Simplify3D", version)


def parse(text: GcodeText) -> Fields:
    """Fields of a Simplify3D file."""
    settings = dict(_SETTING.findall(text.head))
    tail = text.tail
    fields: Fields = {}
    layer_height = first_number(settings.get("layerHeight"))
    put(fields, "layer_height", layer_height)
    percent = first_number(settings.get("firstLayerHeightPercentage"))
    if layer_height is not None and percent is not None:
        put(fields, "first_layer_height", round(layer_height * percent / 100, 6))
    put(fields, "object_height", first_of(
        lambda: largest(_LAYER_Z.findall(tail)),
        lambda: max_z(tail),
    ))
    put(fields, "filament_total", search_number(tail, _FILAMENT_LENGTH))
    put(fields, "filament_weight_total", search_number(tail, _FILAMENT_WEIGHT))
    put(fields, "estimated_time", duration(search(_BUILD_TIME, tail)))
    put(fields, "nozzle_diameter", first_number(
        settings.get("extruderDiameter") or settings.get("nozzleDiameter")))
    heaters = _heaters_v5(text.head) or _heaters_v4(settings)
    for kind, field in (("extruder", "first_layer_extr_temp"),
                        ("bed", "first_layer_bed_temp"),
                        ("chamber", "chamber_temp")):
        put(fields, field, heaters.get(kind))
    return fields


def _kind(name: str) -> str:
    lowered = name.lower()
    if "bed" in lowered or "platform" in lowered:
        return "bed"
    if "chamber" in lowered:
        return "chamber"
    return "extruder"


def _heaters_v4(settings: dict[str, str]) -> dict[str, float]:
    """First-layer setpoint of the first heater of each kind (v4 lists)."""
    names = settings.get("temperatureName", "").split(",")
    temperatures = settings.get("temperatureSetpointTemperatures", "").split(",")
    bed_flags = settings.get("temperatureHeatedBed", "").split(",")
    heaters: dict[str, float] = {}
    for index, (name, temperature) in enumerate(zip(names, temperatures)):
        value = to_float(temperature)
        if value is None:
            continue
        is_bed = index < len(bed_flags) and bed_flags[index].strip() == "1"
        heaters.setdefault("bed" if is_bed else _kind(name), value)
    return heaters


def _heaters_v5(head: str) -> dict[str, float]:
    """First-layer setpoint of the first heater of each kind (v5 blocks)."""
    heaters: dict[str, float] = {}
    starts = [match.start() for match in _CONTROLLER.finditer(head)]
    for start, end in zip(starts, starts[1:] + [len(head)]):
        block = dict(_SETTING.findall(head, start, min(end, start + 4096)))
        kind = _kind(block.get("temperatureType", "") + block.get("temperatureController", ""))
        setpoints = block.get("temperatureSetpoints", "").split(",")[0]
        value = to_float(setpoints.partition("|")[2])
        if value is not None:
            heaters.setdefault(kind, value)
    return heaters
