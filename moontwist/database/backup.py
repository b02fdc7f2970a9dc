"""Portable JSON backups, and importing them or Moonraker's databases.

A backup is one JSON document::

    {"format": "moontwist-database", "version": 1,
     "namespaces": {"<namespace>": {"<record key>": <value>, ...}, ...}}

Import merges: records in the source replace records with the same key, all
others stay. The whole import is one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import lmdb
from twisted.internet.defer import Deferred

from moontwist.database.moonraker import Imported, read_legacy_lmdb, read_sqlite
from moontwist.database.store import Store
from moontwist.protocols import jsoncodec

FORMAT = "moontwist-database"
VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """The source cannot be read as any format we import."""


def export_document(store: Store) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "namespaces": {name: store.records(name) for name in store.namespaces()},
    }


def write_backup(store: Store, path: Path) -> int:
    """Write every namespace to ``path`` atomically; returns the record count."""
    document = export_document(store)
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(jsoncodec.encode(document))
            output.flush()
            os.fsync(output.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return sum(len(records) for records in document["namespaces"].values())


def read_source(path: Path) -> Imported:
    """A JSON backup, a Moonraker SQLite file, or an old Moonraker lmdb folder."""
    try:
        if path.is_dir() or path.name == "data.mdb":
            folder = path if path.is_dir() else path.parent
            if not (folder / "data.mdb").is_file():
                raise BackupError(f"{path}: no data.mdb, not an lmdb database")
            return read_legacy_lmdb(folder)
        data = path.read_bytes()
        if data.startswith(_SQLITE_MAGIC):
            return read_sqlite(path)
    except OSError as error:
        raise BackupError(f"{path}: {error.strerror}") from None
    except (sqlite3.Error, lmdb.Error) as error:
        raise BackupError(f"{path}: {error}") from None
    return read_backup(data, path)


def read_backup(data: bytes, path: Path) -> Imported:
    try:
        document = jsoncodec.decode(data)
    except jsoncodec.DecodeError as error:
        raise BackupError(f"{path}: not JSON, SQLite or lmdb ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path}: not a {FORMAT} backup")
    if document.get("version") != VERSION:
        raise BackupError(f"{path}: unsupported backup version {document.get('version')!r}")
    namespaces = document.get("namespaces")
    if not isinstance(namespaces, dict) or not all(
        isinstance(records, dict) for records in namespaces.values()
    ):
        raise BackupError(f"{path}: 'namespaces' must map names to objects")
    return Imported(namespaces)


def import_into(store: Store, source: Imported) -> "Deferred[int]":
    """Write ``source`` into ``store`` in one transaction; fires with the records written.

    Records the store refuses are appended to ``source.skipped``.
    """
    count = sum(len(records) for records in source.namespaces.values())

    def imported(refused: list[str]) -> int:
        source.skipped.extend(refused)
        return count - len(refused)

    return store.import_namespaces(source.namespaces).addCallback(imported)
