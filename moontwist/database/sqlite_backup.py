"""Backups as SQLite files in Moonraker's layout, and what a backup file holds.

``server.database.post_backup`` writes every namespace into a
``namespace_store`` table with Moonraker's tagged record encoding, so a
backup is the SQLite file its ``.db`` name promises (``sqlite3`` reads it,
Moonraker 0.11 can restore its namespaces). ``read_sqlite`` reads it back,
and reads a backup Moonraker made too (its history and users tables
included).
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path
from typing import Any, Mapping

from moontwist.protocols import jsoncodec

NAMESPACE_TABLE = "namespace_store"
REGISTRATION_TABLE = "table_registry"
_NAMESPACE_PROTOTYPE = (
    f"{NAMESPACE_TABLE} (namespace TEXT NOT NULL, key TEXT NOT NULL, value record NOT NULL, "
    "PRIMARY KEY (namespace, key))"
)
_REGISTRATION_PROTOTYPE = f"{REGISTRATION_TABLE} (name TEXT NOT NULL PRIMARY KEY, prototype TEXT NOT NULL, version INT)"


class InvalidBackup(Exception):
    """The file is not a database a restore can use."""


def encode_record(value: Any) -> bytes:
    """One value in Moonraker's tagged encoding (``decode_record``'s inverse)."""
    if value is None:
        return b"\x00"
    if isinstance(value, bool):
        return b"?" + struct.pack("<?", value)
    if isinstance(value, int):
        return b"q" + struct.pack("<q", value)
    if isinstance(value, float):
        return b"d" + struct.pack("<d", value)
    if isinstance(value, str):
        return b"s" + value.encode("utf-8")
    return jsoncodec.encode(value)


def write_sqlite_backup(namespaces: Mapping[str, Mapping[str, Any]], path: Path) -> None:
    """Write the namespaces to ``path`` atomically (a temp file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    temporary.unlink(missing_ok=True)
    try:
        connection = sqlite3.connect(str(temporary))
        try:
            with connection:
                connection.execute(f"CREATE TABLE {_REGISTRATION_PROTOTYPE}")
                connection.execute(f"CREATE TABLE {_NAMESPACE_PROTOTYPE}")
                connection.execute(f"INSERT INTO {REGISTRATION_TABLE} VALUES (?, ?, 1)",
                                   (NAMESPACE_TABLE, _NAMESPACE_PROTOTYPE))
                connection.executemany(
                    f"INSERT INTO {NAMESPACE_TABLE} VALUES (?, ?, ?)",
                    ((namespace, key, encode_record(value))
                     for namespace, records in namespaces.items() for key, value in records.items()),
                )
        finally:
            connection.close()
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def backup_contents(path: Path) -> tuple[list[str], list[str]]:
    """The tables and the namespaces of a backup; InvalidBackup when it has no namespace table."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise InvalidBackup(f"Invalid database for restoration: {error}") from None
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if NAMESPACE_TABLE not in tables:
            raise InvalidBackup(f"Invalid database for restoration, missing table '{NAMESPACE_TABLE}'")
        namespaces = [name for (name,) in connection.execute(f"SELECT DISTINCT namespace FROM {NAMESPACE_TABLE}")]
    except sqlite3.DatabaseError as error:
        raise InvalidBackup(f"Invalid database for restoration: {error}") from None
    finally:
        connection.close()
    return tables, namespaces
