"""Blocking file operations behind the API. The service runs them in a thread.

Paths here are already checked; failures of the operating system come back
as ApiError with a message a user can act on.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from moontwist.errors import ApiError
from moontwist.services.files.paths import INTERNAL_PREFIX, is_internal

# As Moonraker, a path that is missing, taken or not empty is a bad request (400).
_STATUS = {errno.ENOENT: 400, errno.EEXIST: 400, errno.ENOTEMPTY: 400, errno.EACCES: 403, errno.EPERM: 403,
           errno.ENOSPC: 507, errno.EROFS: 403}


def to_api_error(error: OSError) -> ApiError:
    status = _STATUS.get(error.errno or 0, 500)
    return ApiError(error.strerror or str(error), status)


def make_directory(path: Path) -> None:
    try:
        os.mkdir(path)
    except FileExistsError:
        raise ApiError(f"Directory already exists ({path.name})") from None
    except FileNotFoundError:
        raise ApiError(f"Parent directory does not exist ({path.parent.name})") from None


def remove_directory(path: Path, force: bool) -> None:
    if force:
        shutil.rmtree(path)
        return
    try:
        os.rmdir(path)
    except OSError as error:
        if error.errno == errno.ENOTEMPTY:
            raise ApiError(f"Directory {path.name} is not empty; use force to delete it") from None
        raise


def move(source: Path, destination: Path) -> None:
    """Rename ``source`` to the final ``destination`` (copy and delete across file systems)."""
    try:
        os.replace(source, destination)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        shutil.move(str(source), str(destination))


def copy(source: Path, destination: Path) -> None:
    """Copy a file, or merge a folder into ``destination`` (symlinks copied as links)."""
    if source.is_dir():
        shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True,
                        ignore=lambda folder, names: [name for name in names if is_internal(name)])
        return
    with replacing(destination) as temporary:
        shutil.copy2(source, temporary)


def place(temporary: Path, destination: Path) -> None:
    """Put an uploaded temp file at ``destination``, creating folders, writing through a symlink."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.is_symlink():
        destination = Path(os.path.realpath(destination))
    try:
        os.replace(temporary, destination)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        with replacing(destination) as staged:
            shutil.copyfile(temporary, staged)
        os.unlink(temporary)


def zip_files(members: list[tuple[Path, str]], destination: Path, store_only: bool) -> None:
    """Write ``(path, name in archive)`` members to ``destination``, replacing it whole."""
    method = zipfile.ZIP_STORED if store_only else zipfile.ZIP_DEFLATED
    with replacing(destination) as temporary:
        with zipfile.ZipFile(temporary, "w", compression=method) as archive:
            for path, name in members:
                archive.write(path, name)


@contextmanager
def replacing(destination: Path) -> Iterator[Path]:
    """A temp path beside ``destination`` that replaces it when the block succeeds."""
    descriptor, name = tempfile.mkstemp(prefix=f"{INTERNAL_PREFIX}-", suffix=".part", dir=destination.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
