"""``server.files.zip``: files, and the files directly inside folders, into one archive.

Blocking: the service runs it on a worker thread.
"""

from __future__ import annotations

import os

from moontwist.errors import ApiError
from moontwist.services.files.operations import zip_files
from moontwist.services.files.paths import GIT_DIR, Location, RootTable, inside, is_internal


def zip_locations(items: list[Location], destination: Location, store_only: bool, table: RootTable) -> None:
    """Zip ``items`` (folders not recursively) to ``destination``; names are ``root/path``."""
    members = []
    for location in items:
        if location.path.is_file():
            members.append((location.path, location.display))
        elif location.path.is_dir():
            members.extend((location.child(name).path, location.child(name).display)
                           for name in _readable_files(location, table))
        else:
            raise ApiError(f"File {location.display} does not exist")
    zip_files(members, destination.path, store_only)


def _readable_files(folder: Location, table: RootTable) -> list[str]:
    names = []
    for entry in sorted(os.scandir(folder.path), key=lambda entry: entry.name):
        if entry.name == GIT_DIR or is_internal(entry.name) or not entry.is_file():
            continue
        real = os.path.realpath(entry.path)
        if not inside(real, str(folder.root.path)):
            continue
        if any(inside(real, reserved.path) and not reserved.readable for reserved in table.reserved):
            continue
        names.append(entry.name)
    return names
