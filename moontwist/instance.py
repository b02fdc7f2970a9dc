"""The instance's identity: ``<data>/.moonraker.uuid``, as Moonraker keeps it.

Moonraker writes a uuid4 (32 hex digits) there on first start and derives
config webcams' uids (and zeroconf names) from it; keeping the same file
keeps those stable when a user moves between Moonraker and moontwist.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

UUID_FILE = ".moonraker.uuid"


def instance_uuid(data_path: Path, create: bool = True) -> uuid.UUID:
    """The uuid in the data folder; a new one is written when it is absent or
    unreadable, or only made in memory without ``create`` (a dry run such as
    ``moontwist migrate --check`` leaves the folder as it is)."""
    path = data_path / UUID_FILE
    try:
        return uuid.UUID(path.read_text().strip())
    except (OSError, ValueError):
        pass
    created = uuid.uuid4()
    if not create:
        return created
    handle, temporary = tempfile.mkstemp(prefix=f"{UUID_FILE}.", dir=data_path)
    with os.fdopen(handle, "w") as output:
        output.write(created.hex)
    os.replace(temporary, path)
    return created
