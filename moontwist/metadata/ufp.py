"""Ultimaker Format Packages: a zip holding the G-code and a thumbnail."""

from __future__ import annotations

import shutil
import zipfile
import zlib
from pathlib import Path

from moontwist.metadata.atomic import atomic_writer
from moontwist.metadata.thumbnails import THUMBS_DIR

MODEL = "3D/model.gcode"
THUMBNAIL = "Metadata/thumbnail.png"


class UfpError(ValueError):
    """The file is not a UFP package this server can unpack."""


def unpack_ufp(path: Path) -> Path:
    """Replace ``<name>.ufp`` with ``<name>.gcode`` (and ``.thumbs/<name>.png``).

    The G-code replaces an existing ``<name>.gcode`` atomically (the symlink's
    target when that name is a symlink); the package is deleted afterwards.
    Returns the path of the G-code, to be parsed as usual.
    """
    destination = path.with_suffix(".gcode")
    if destination.is_symlink():
        destination = destination.resolve()
    try:
        with zipfile.ZipFile(path) as package:
            members = {info.filename.lstrip("/"): info for info in package.infolist()}
            if MODEL not in members:
                raise UfpError(f"UFP file {path.name} has no {MODEL}")
            with package.open(members[MODEL]) as model, atomic_writer(destination) as output:
                shutil.copyfileobj(model, output, 1024 * 1024)
            if THUMBNAIL in members:
                _unpack_thumbnail(package, members[THUMBNAIL], path.parent, path.stem)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as error:
        raise UfpError(f"UFP file {path.name} is not a valid zip: {error}") from error
    path.unlink()
    return path.with_suffix(".gcode")


def _unpack_thumbnail(
    package: zipfile.ZipFile, member: zipfile.ZipInfo, directory: Path, stem: str
) -> None:
    """Copy the package's thumbnail to ``.thumbs/<stem>.png``; it is optional, so a
    directory we cannot write to only costs the thumbnail."""
    try:
        thumbs = directory / THUMBS_DIR
        thumbs.mkdir(exist_ok=True)
        with package.open(member) as image, atomic_writer(thumbs / f"{stem}.png") as output:
            shutil.copyfileobj(image, output, 1024 * 1024)
    except OSError:
        return
