"""Taking over Moonraker's database on the first start in its data folder.

Moonraker keeps ``<data>/database/moonraker-sql.db`` (older releases an lmdb
``data.mdb`` in the same folder). When our store is new and has never taken
one over, the daemon imports it before serving: every namespace, the users
with their password hashes, the API key, the history. Moonraker's file is
only read, so switching back finds it as it was. A record of the import
(``database`` namespace, key ``moonraker_import``, which clients cannot see)
makes it happen once.

The readers (``backup``, ``moonraker``: sqlite3 and its library, ~1 MiB
resident) are imported only when there is a database to take over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from twisted.internet.defer import Deferred

from moontwist.database.store import Store

if TYPE_CHECKING:
    from moontwist.database.moonraker import Imported

MOONRAKER_FILES = ("moonraker-sql.db", "data.mdb")
# Where Moonraker kept its lmdb database before the data folder existed (2022).
LEGACY_FOLDER = ".moonraker_database"
MARKER_NAMESPACE = "database"
MARKER_KEY = "moonraker_import"


def moonraker_database(data_path: Path, home: Path | None = None) -> Path | None:
    """Moonraker's database: in the data folder the SQLite file, else the old lmdb one;
    else the lmdb of ``~/.moonraker_database`` that installs from before the data folder
    still use (as Moonraker falls back to it)."""
    for name in MOONRAKER_FILES:
        path = data_path / "database" / name
        if path.is_file():
            return path
    legacy = (Path.home() if home is None else home) / LEGACY_FOLDER / "data.mdb"
    return legacy if legacy.is_file() else None


def previous_import(store: Store) -> dict[str, Any] | None:
    """The record of an earlier take-over, if any."""
    record = store.records(MARKER_NAMESPACE).get(MARKER_KEY)
    return record if isinstance(record, dict) else None


@dataclass
class Summary:
    """What a Moonraker database holds, in the words a user checks after a switch."""

    namespaces: dict[str, int] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)
    api_key: bool = False
    history_jobs: int = 0

    @classmethod
    def of(cls, source: Imported) -> "Summary":
        from moontwist.database.moonraker import API_KEY_USER

        users = source.namespaces.get("authorized_users", {})
        history = source.namespaces.get("history", {})
        return cls(
            namespaces={name: len(records) for name, records in sorted(source.namespaces.items())},
            users=sorted(name for name in users if name != API_KEY_USER),
            api_key=API_KEY_USER in users,
            history_jobs=sum(1 for key in history if key != "job_totals"),
        )

    def describe(self) -> str:
        users = ", ".join(self.users) or "none"
        return (f"namespaces {', '.join(self.namespaces) or 'none'}; users: {users}; "
                f"API key: {'yes' if self.api_key else 'no'}; history jobs: {self.history_jobs}")


@dataclass
class Outcome:
    """One take-over: what was imported, and what could not be."""

    source: Path
    records: int = 0
    summary: Summary = field(default_factory=Summary)
    problems: list[str] = field(default_factory=list)
    declined: str | None = None


async def take_over(store: Store, data_path: Path,
                    run_in_thread: Callable[..., "Deferred[Any]"]) -> Outcome | None:
    """Import Moonraker's database once, when our store is new; None when there is nothing to do.

    ``run_in_thread`` reads the source (SQLite or lmdb, a fraction of a
    second for a large history) off the reactor.
    """
    source_path = moonraker_database(data_path)
    if source_path is None or previous_import(store) is not None:
        return None
    outcome = Outcome(source_path)
    if store.namespaces():
        outcome.declined = ("moontwist's database already has data; merge with "
                            f"`python -m moontwist.database import {source_path}` while stopped")
        return outcome
    from moontwist.database.backup import BackupError, import_into, read_source

    try:
        source: Imported = await run_in_thread(read_source, source_path)
    except BackupError as error:
        outcome.problems.append(str(error))
    else:
        outcome.summary = Summary.of(source)
        outcome.records = await import_into(store, source)
        outcome.problems.extend(source.skipped)
    await store.insert(MARKER_NAMESPACE, [MARKER_KEY], {
        "source": str(source_path),
        "imported_on": time.time(),
        "records": outcome.records,
        "problems": outcome.problems,
    })
    return outcome
