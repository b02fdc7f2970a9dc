"""``server.database.post_backup / delete_backup / restore / compact``, as Moonraker 0.11 serves them.

Backups live in ``<data>/backup/database/`` under Moonraker's default name
``sqldb-backup-YYYYmmdd-HHMMSS.db`` (local time); they are SQLite files in
Moonraker's layout (``database/sqlite_backup.py``), so a backup Moonraker made
can be restored here too. A restore reads and checks the whole file first,
then replaces every namespace in one transaction (a failure leaves the
database as it was) and restarts the server, as Moonraker does, so that every
component reads the restored state. Until then, backup, compact and another
restore are refused.

sqlite3 (~1 MiB resident with its library) is imported at the first backup or
restore, not at start-up.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError

if TYPE_CHECKING:
    from moontwist.services.database import DatabaseService

log = Logger()

_T = TypeVar("_T")
RESTART_DELAY = 0.1


class DatabaseBackups:
    def __init__(self, database: "DatabaseService") -> None:
        self.database = database
        self.ctx = database.ctx
        self.lock = DeferredLock()
        self.restored = False

    @property
    def folder(self) -> Path:
        return (self.ctx.options.data_path / "backup" / "database").resolve()

    def names(self) -> list[str]:
        """The backup files, as ``server.database.list`` shows them (not one being written)."""
        if not self.folder.is_dir():
            return []
        return sorted(entry.name for entry in self.folder.iterdir()
                      if entry.is_file() and not (entry.name.startswith(".") and entry.name.endswith(".partial")))

    @endpoint("server.database.post_backup", "POST /server/database/backup")
    async def post_backup(self, request: Request) -> dict[str, Any]:
        await self.lock.acquire()
        try:
            self._refuse_while_printing("backup")
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.ctx.reactor.seconds()))
            path = self._path(request.get_str("filename", f"sqldb-backup-{stamp}.db"))
            if self.restored:
                raise ApiError("Cannot backup restored database, awaiting restart")
            records = self.database.store.snapshot()
            from moontwist.database.sqlite_backup import write_sqlite_backup

            await self._in_thread(write_sqlite_backup, records, path)
        finally:
            self.lock.release()
        return {"backup_path": str(path)}

    @endpoint("server.database.delete_backup", "DELETE /server/database/backup")
    async def delete_backup(self, request: Request) -> dict[str, Any]:
        await self.lock.acquire()
        try:
            name = request.get_str("filename")
            path = self._path(name)
            if not path.is_file():
                raise ApiError(f"Backup file {name} does not exist", 404)
            await self._in_thread(path.unlink)
        finally:
            self.lock.release()
        return {"backup_path": str(path)}

    @endpoint("server.database.restore", "POST /server/database/restore")
    async def restore(self, request: Request) -> dict[str, Any]:
        self._refuse_while_printing("restore")
        await self.lock.acquire()
        try:
            path = self._path(request.get_str("filename"))
            if self.restored:
                raise ApiError("Database already restored")
            if not path.is_file():
                raise ApiError(f"Restoration File {path} does not exist")
            from moontwist.database.moonraker import read_sqlite
            from moontwist.database.sqlite_backup import InvalidBackup, backup_contents

            try:
                tables, namespaces = await self._in_thread(backup_contents, path)
                imported = await self._in_thread(read_sqlite, path)
            except InvalidBackup as error:
                raise ApiError(str(error)) from None
            refused = await self.database.store.replace_all(imported.namespaces)
            for line in imported.skipped + refused:
                log.warn("Restore of {name} left out {line}", name=path.name, line=line)
            self.restored = True
        finally:
            self.lock.release()
        log.info("Database restored from {path}; restarting", path=path)
        self.ctx.component("server").schedule_restart(RESTART_DELAY)
        return {"restored_tables": tables, "restored_namespaces": namespaces}

    @endpoint("server.database.compact", "POST /server/database/compact")
    async def compact(self, request: Request) -> dict[str, int]:
        self._refuse_while_printing("compact")
        await self.lock.acquire()
        try:
            if self.restored:
                raise ApiError("Cannot compact restored database, awaiting restart")
            before, after = await self.database.store.compact()
        finally:
            self.lock.release()
        return {"previous_size": before, "new_size": after}

    def _path(self, name: str) -> Path:
        """``name`` inside the backup folder; 400 for a name that leaves it."""
        path = self.folder.joinpath(name).resolve()
        if self.folder not in path.parents:
            raise ApiError(f"Invalid name {name}.")
        return path

    def _refuse_while_printing(self, action: str) -> None:
        job_state = self.ctx.components.get("job_state")
        if job_state is not None and job_state.tracking and job_state.state == "printing":
            raise ApiError(f"Cannot {action} when Klipper is printing")

    def _in_thread(self, function: Callable[..., _T], *args: Any) -> Any:
        reactor = self.ctx.reactor
        return deferToThreadPool(reactor, reactor.getThreadPool(), function, *args)
