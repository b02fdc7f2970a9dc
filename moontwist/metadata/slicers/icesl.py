"""IceSL: ``; key : value`` settings in the header."""

from __future__ import annotations

import re

from moontwist.metadata.reader import GcodeText
from moontwist.metadata.values import (
    Fields,
    first_of,
    max_z,
    put,
    search,
    setting_number,
    to_int,
)

_IDENTITY = re.compile(r"<IceSL\s+([^>\s]+)[^>]*>")
_SETTING = re.compile(r"^;[ \t]*(\w+) : (.*?)[ \t]*$", re.MULTILINE)

_NUMBERS = (
    ("first_layer_height", "z_layer_height_first_layer_mm"),
    ("layer_height", "z_layer_height_mm"),
    ("nozzle_diameter", "nozzle_diameter_mm_0"),
    ("first_layer_extr_temp", "extruder_temp_degree_c_0"),
    ("first_layer_bed_temp", "bed_temp_degree_c"),
    ("chamber_temp", "chamber_temp_degree_c"),
    ("filament_total", "filament_used_mm"),
    ("filament_weight_total", "filament_used_g"),
    ("estimated_time", "estimated_print_time_s"),
)
_STRINGS = (("filament_name", "filament_name"), ("filament_type", "filament_type"))


def identify(head: str) -> tuple[str, str] | None:
    version = search(_IDENTITY, head)
    return None if version is None else ("IceSL", version)


def parse(text: GcodeText) -> Fields:
    """Fields of an IceSL file."""
    settings = dict(_SETTING.findall(text.head))
    fields: Fields = {}
    for field, key in _NUMBERS:
        put(fields, field, setting_number(settings, key))
    for field, key in _STRINGS:
        put(fields, field, settings.get(key))
    put(fields, "layer_count", to_int(settings.get("layer_count")))
    put(fields, "object_height", first_of(
        lambda: setting_number(settings, "print_height_mm"),
        lambda: max_z(text.tail),
    ))
    return fields
