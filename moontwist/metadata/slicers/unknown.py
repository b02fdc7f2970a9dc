"""Files no known slicer claims: what the G-code itself says."""

from __future__ import annotations

import re

from moontwist.metadata.reader import GcodeText
from moontwist.metadata.values import NUMBER, Fields, max_z, min_positive_z, put, search_number

_EXTRUDER_WAIT = re.compile(rf"^M109(?:[ \t]+T\d+)?[ \t]+S({NUMBER})", re.MULTILINE)
_BED_WAIT = re.compile(rf"^M190[ \t]+S({NUMBER})", re.MULTILINE)
_CHAMBER_WAIT = re.compile(rf"^M191[ \t]+S({NUMBER})", re.MULTILINE)


def parse(text: GcodeText) -> Fields:
    """First layer and object height from Z moves, temperatures from heat-and-wait commands."""
    fields: Fields = {}
    put(fields, "first_layer_height", min_positive_z(text.head))
    put(fields, "object_height", max_z(text.tail))
    put(fields, "first_layer_extr_temp", search_number(text.head, _EXTRUDER_WAIT))
    put(fields, "first_layer_bed_temp", search_number(text.head, _BED_WAIT))
    put(fields, "chamber_temp", search_number(text.head, _CHAMBER_WAIT))
    return fields
