"""Reading Moonraker's databases for import: the SQLite file and the old lmdb one.

Both store values in Moonraker's tagged ``record`` encoding (one type byte,
then the payload). Besides ``namespace_store``, the SQLite file has tables
that we keep as namespaces:

- ``job_history`` -> namespace ``history``: one record per job, keyed by the
  job id as Moonraker shows it (``"%06X"``); the value is the row as a dict with
  ``job_id`` as that same string and ``metadata``/``auxiliary_data`` decoded.
- ``job_totals`` -> record ``job_totals`` of namespace ``history``: the rows as
  a list of dicts (``provider``, ``field``, ``maximum``, ``total``, ...).
- ``authorized_users`` -> namespace ``authorized_users``, one record per user
  name, in the legacy lmdb shape: the row as a dict with ``groups`` decoded,
  except ``_API_KEY_USER_`` which becomes ``{"api_key", "created_on"}``.
"""

from __future__ import annotations

import sqlite3
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lmdb

from moontwist.protocols import jsoncodec

API_KEY_USER = "_API_KEY_USER_"
_INT64 = struct.Struct("<q")
_FLOAT64 = struct.Struct("<d")


@dataclass
class Imported:
    """Namespaces read from a source, and the records that could not be read."""

    namespaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(self, namespace: str, key: str, value: Any) -> None:
        self.namespaces.setdefault(namespace, {})[key] = value


def decode_record(raw: bytes) -> Any:
    """One value in Moonraker's tagged encoding; ValueError when malformed."""
    tag, body = raw[:1], raw[1:]
    try:
        if tag == b"q":
            return _INT64.unpack(body)[0]
        if tag == b"d":
            return _FLOAT64.unpack(body)[0]
        if tag == b"?" and len(body) == 1:
            return body != b"\x00"
        if tag == b"s":
            return body.decode("utf-8")
        if tag in (b"[", b"{"):
            return jsoncodec.decode(raw)
        if raw == b"\x00":
            return None
    except (struct.error, UnicodeDecodeError) as error:
        raise ValueError(f"malformed {tag!r} record: {error}") from None
    raise ValueError(f"unknown record type {tag!r}")


def read_sqlite(path: Path) -> Imported:
    """Everything we keep from a ``moonraker-sql.db``."""
    result = Imported()
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        listed = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        tables = {name for (name,) in listed}
        if "namespace_store" in tables:
            rows = connection.execute("SELECT namespace, key, value FROM namespace_store")
            for namespace, key, raw in rows:
                _add_record(result, namespace, key, raw)
        if "job_history" in tables:
            for job in _rows(connection, "job_history"):
                _add_job(result, job)
        if "job_totals" in tables:
            result.add("history", "job_totals", _rows(connection, "job_totals"))
        if "authorized_users" in tables:
            for user in _rows(connection, "authorized_users"):
                _add_user(result, user)
    finally:
        connection.close()
    return result


def read_legacy_lmdb(path: Path) -> Imported:
    """Every namespace (named sub-database) of an old Moonraker lmdb folder."""
    result = Imported()
    env = lmdb.open(str(path), readonly=True, lock=False, max_dbs=1024)
    try:
        with env.begin() as txn:
            names = [name for name, _ in txn.cursor()]
            for name in names:
                namespace = name.decode("utf-8", "replace")
                try:
                    database = env.open_db(name, txn=txn, create=False)
                except lmdb.Error as error:
                    result.skipped.append(f"{namespace}: not a namespace ({error})")
                    continue
                for key, raw in txn.cursor(db=database):
                    _add_record(result, namespace, key.decode("utf-8", "replace"), raw)
    finally:
        env.close()
    _split_database_settings(result)
    return result


def _add_record(result: Imported, namespace: str, key: str, raw: bytes | str) -> None:
    try:
        value = decode_record(raw.encode("utf-8") if isinstance(raw, str) else bytes(raw))
    except ValueError as error:
        result.skipped.append(f"{namespace}/{key}: {error}")
        return
    result.add(namespace, key, value)


def _rows(connection: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    cursor = connection.execute(f'SELECT * FROM "{table}"')
    columns = [description[0] for description in cursor.description]
    return [dict(zip(columns, row)) for row in cursor]


def _json_column(row: dict[str, Any], column: str, result: Imported, label: str) -> None:
    if isinstance(row.get(column), (str, bytes)):
        try:
            row[column] = jsoncodec.decode(row[column])
        except jsoncodec.DecodeError as error:
            result.skipped.append(f"{label} {column}: {error}")


def _add_job(result: Imported, job: dict[str, Any]) -> None:
    job_id = f"{job['job_id']:06X}"
    job["job_id"] = job_id
    for column in ("metadata", "auxiliary_data"):
        _json_column(job, column, result, f"history/{job_id}")
    result.add("history", job_id, job)


def _add_user(result: Imported, user: dict[str, Any]) -> None:
    name = user["username"]
    if name == API_KEY_USER:
        api_key = {"api_key": user["password"], "created_on": user["created_on"]}
        result.add("authorized_users", name, api_key)
        return
    _json_column(user, "groups", result, f"authorized_users/{name}")
    result.add("authorized_users", name, user)


def _split_database_settings(result: Imported) -> None:
    """The legacy ``moonraker`` namespace held the database's own settings."""
    moonraker = result.namespaces.get("moonraker", {})
    settings = moonraker.pop("database", None)
    if isinstance(settings, dict):
        result.namespaces.setdefault("database", {}).update(settings)
    if "database_version" in moonraker:
        result.add("database", "database_version", moonraker.pop("database_version"))
    if "moonraker" in result.namespaces and not moonraker:
        del result.namespaces["moonraker"]
