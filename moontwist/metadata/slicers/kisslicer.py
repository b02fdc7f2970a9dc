"""KISSlicer: ``; key = value`` settings in the header, build statistics at the end."""

from __future__ import annotations

import re

from moontwist.metadata.reader import GcodeText
from moontwist.metadata.values import (
    NUMBER,
    Fields,
    first_of,
    put,
    search,
    search_last,
    setting_number,
    to_float,
    total,
)

_IDENTITY = re.compile(r"^; KISSlicer", re.MULTILINE)
_VERSION = re.compile(r"^; version (.+)$", re.MULTILINE)
_SETTING = re.compile(r"^;[ \t]*(\w+) = (.*?)[ \t]*$", re.MULTILINE)
_FIRST_LAYER_Z = re.compile(rf"^; BEGIN_LAYER_OBJECT z=({NUMBER})", re.MULTILINE)
_LAYER_END_Z = re.compile(rf"^; END_LAYER_OBJECT z=({NUMBER})", re.MULTILINE)
_EXTRUDED = re.compile(rf"^;[ \t]*Ext #?\d+ =[ \t]*({NUMBER}) mm", re.MULTILINE)
_BUILD_MINUTES = re.compile(
    rf"^; (?:Estimated|Calculated) Build Time:[ \t]*({NUMBER}) minutes", re.MULTILINE)


def identify(head: str) -> tuple[str, str] | None:
    if _IDENTITY.search(head) is None:
        return None
    version = search(_VERSION, head)
    return "KISSlicer", "?" if version is None else version.replace(" ", "-")


def parse(text: GcodeText) -> Fields:
    """Fields of a KISSlicer file."""
    settings = dict(_SETTING.findall(text.head))
    tail = text.tail
    fields: Fields = {}

    def setting(*keys: str) -> float | None:
        return setting_number(settings, *keys)

    put(fields, "layer_height", setting("layer_thickness_mm", "max_layer_thickness_mm"))
    put(fields, "first_layer_height", first_of(
        lambda: setting("first_layer_thickness_mm"),
        lambda: to_float(search(_FIRST_LAYER_Z, text.head)),
    ))
    put(fields, "object_height", to_float(search_last(_LAYER_END_Z, tail)))
    put(fields, "filament_total", total(map(float, _EXTRUDED.findall(tail))))
    minutes = to_float(search(_BUILD_MINUTES, tail))
    put(fields, "estimated_time", None if minutes is None else round(minutes * 60, 2))
    put(fields, "first_layer_extr_temp", setting("first_layer_C"))
    put(fields, "first_layer_bed_temp", setting("bed_C"))
    put(fields, "chamber_temp", setting("chamber_C"))
    return fields
