"""Build Moonraker's metadata object for one G-code file."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from moontwist.metadata.objects import processors_of
from moontwist.metadata.reader import read_gcode
from moontwist.metadata.slicers import identify
from moontwist.metadata.thumbnails import ufp_thumbnails, write_thumbnails
from moontwist.metadata.values import put


def extract(path: Path, relative_name: str) -> dict[str, Any]:
    """Metadata of the G-code file at ``path`` (``relative_name`` in the gcodes root).

    Blocking: reads at most 2 MiB whatever the file's size and writes thumbnails
    to ``.thumbs/`` beside it. Fields the file does not provide are omitted.
    """
    stat = path.stat()
    text = read_gcode(path, stat.st_size)
    slicer = identify(text.head)
    metadata: dict[str, Any] = {
        "size": stat.st_size,
        "modified": stat.st_mtime,
        "uuid": str(uuid.uuid4()),
        "file_processors": processors_of(text.head),
        "slicer": slicer.name,
        "slicer_version": slicer.version,
    }
    metadata.update(slicer.parse(text))
    if slicer.has_thumbnails:
        thumbnails = write_thumbnails(path, text.head)
        if not thumbnails and slicer.name == "Cura":
            thumbnails = ufp_thumbnails(path)
        put(metadata, "thumbnails", thumbnails)
    put(metadata, "gcode_start_byte", text.gcode_start_byte)
    put(metadata, "gcode_end_byte", text.gcode_end_byte)
    metadata["filename"] = relative_name
    metadata["print_start_time"] = None
    metadata["job_id"] = None
    return metadata
