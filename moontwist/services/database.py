"""The database service: the store's lifecycle, the database API, the internal API.

Clients reach namespaces through ``server.database.*``, subject to protection:
protected namespaces are read-only, forbidden ones (credentials, the
database's own settings) are invisible. Services inside the server use
``namespace(name)``, which ignores protection. ``debug.database.*`` bypasses
protection too; it lives on a separate object that is registered only when
the server runs with ``--debug``, so without it those methods do not exist.
"""

from __future__ import annotations

from typing import Any

import lmdb
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread
from twisted.logger import Logger

from moontwist.api import Request, endpoint
from moontwist.config.options import Option, SectionOptions
from moontwist.context import ServerContext
from moontwist.database import DEFAULT_MAP_SIZE, DatabaseLocked, Namespace, Store, parse_api_key, store_path
from moontwist.database.migration import take_over
from moontwist.errors import ApiError
from moontwist.services.database_backups import DatabaseBackups
from moontwist.startup import StartupError

log = Logger()

# ``webcams`` stays writable: Mainsail writes it directly (theme defaults, reset, restore).
PROTECTED = ("moonraker", "gcode_metadata", "history", "update_manager", "announcements")
FORBIDDEN = ("database", "authorized_users", "simplyprint")

DATABASE = SectionOptions(
    "database",
    "The lmdb database in `<data>/database`. No options of its own.",
    (
        Option("database_path", "str", None, "Deprecated and ignored: the database is in `<data>/database`.",
               deprecated=True, ignored=True),
        Option("enable_database_debug", "bool", False, "Deprecated: start with `-g` for `debug.database.*`.",
               deprecated=True, ignored=True),
    ),
)


class DatabaseService(Service):
    """Owns the store; serves ``server.database.*`` (and ``debug.database.*``)."""

    name = "database"

    def __init__(self, ctx: ServerContext, map_size: int = DEFAULT_MAP_SIZE) -> None:
        self.ctx = ctx
        DATABASE.read(ctx.config.section("database"))
        self.store = Store(store_path(ctx.options.data_path), ctx.reactor, map_size)
        self.protected = set(PROTECTED)
        self.forbidden = set(FORBIDDEN)
        self.backups = DatabaseBackups(self)
        ctx.registry.register(self.backups)
        if ctx.options.debug:
            ctx.registry.register(DatabaseDebugEndpoints(self))

    def startService(self) -> "Deferred[None]":
        """Open the store, then take over Moonraker's database if this is the first start."""
        try:
            self.store.open()
        except (DatabaseLocked, lmdb.Error, OSError) as error:
            raise StartupError(f"cannot open the database in {self.store.path}: {error}") from None
        super().startService()
        return Deferred.fromCoroutine(self._take_over_moonraker())

    async def _take_over_moonraker(self) -> None:
        outcome = await take_over(self.store, self.ctx.options.data_path, deferToThread)
        if outcome is None:
            return
        if outcome.declined is not None:
            log.info("Moonraker's database {source} is not imported: {reason}",
                     source=str(outcome.source), reason=outcome.declined)
            return
        log.info("Imported {records} records of Moonraker's database {source} ({summary}); "
                 "the file is left as it was", records=outcome.records, source=str(outcome.source),
                 summary=outcome.summary.describe())
        for problem in outcome.problems:
            log.warn("Not imported from Moonraker's database: {problem}", problem=problem)
        if outcome.problems:
            self.ctx.warnings.append(
                f"Moonraker's database {outcome.source} was imported with {len(outcome.problems)} "
                f"problem(s): {'; '.join(outcome.problems[:5])}")

    def stopService(self) -> "Deferred[None]":
        """Commit the queued writes, then close the store."""
        super().stopService()
        return self.store.close()

    # -- internal API -----------------------------------------------------------

    def namespace(self, name: str) -> Namespace:
        """Unrestricted access to one namespace, for services inside the server."""
        return Namespace(self.store, name)

    def register_protected(self, namespace: str) -> None:
        """Clients may read ``namespace`` but not write it."""
        self.protected.add(namespace)

    def register_forbidden(self, namespace: str) -> None:
        """Clients may neither see, read nor write ``namespace``."""
        self.forbidden.add(namespace)

    # -- API ----------------------------------------------------------------------

    @endpoint("server.database.list", "GET /server/database/list")
    def list_namespaces(self, request: Request) -> dict[str, Any]:
        return self.serve_list(guarded=True)

    @endpoint("server.database.get_item", "GET /server/database/item")
    def get_item(self, request: Request) -> dict[str, Any]:
        return self.serve_get(request, guarded=True)

    @endpoint("server.database.post_item", "POST /server/database/item")
    def post_item(self, request: Request) -> "Deferred[dict[str, Any]]":
        return self.serve_post(request, guarded=True)

    @endpoint("server.database.delete_item", "DELETE /server/database/item")
    def delete_item(self, request: Request) -> "Deferred[dict[str, Any]]":
        return self.serve_delete(request, guarded=True)

    def serve_list(self, guarded: bool) -> dict[str, Any]:
        names = self.store.namespaces()
        if guarded:
            names = [name for name in names if name not in self.forbidden]
        return {"namespaces": names, "backups": self.backups.names()}

    def serve_get(self, request: Request, guarded: bool) -> dict[str, Any]:
        namespace = self._namespace_argument(request, guarded, write=False)
        key = request.get("key", None)
        if key is None:
            value: Any = self.store.records(namespace)
            if not value:
                raise ApiError(f"Namespace {namespace} not found", 404)
        else:
            value = self.store.get(namespace, parse_api_key(key))
        return {"namespace": namespace, "key": key, "value": value}

    def serve_post(self, request: Request, guarded: bool) -> "Deferred[dict[str, Any]]":
        namespace = self._namespace_argument(request, guarded, write=True)
        key = request.get("key")
        value = request.get("value")
        inserted = self.store.insert(namespace, parse_api_key(key), value)
        return inserted.addCallback(lambda _: {"namespace": namespace, "key": key, "value": value})

    def serve_delete(self, request: Request, guarded: bool) -> "Deferred[dict[str, Any]]":
        namespace = self._namespace_argument(request, guarded, write=True)
        key = request.get("key")
        deleted = self.store.delete(namespace, parse_api_key(key))
        return deleted.addCallback(
            lambda value: {"namespace": namespace, "key": key, "value": value}
        )

    def _namespace_argument(self, request: Request, guarded: bool, write: bool) -> str:
        namespace: str = request.get_str("namespace")
        if not guarded:
            return namespace
        if namespace in self.forbidden:
            raise ApiError(f"Read/Write access to namespace '{namespace}' is forbidden", 403)
        if write and namespace in self.protected:
            raise ApiError(f"Write access to namespace '{namespace}' is forbidden", 403)
        return namespace


class DatabaseDebugEndpoints:
    """``debug.database.*``: the database API without protection (``--debug`` only)."""

    def __init__(self, service: DatabaseService) -> None:
        self._service = service

    @endpoint("debug.database.list", "GET /debug/database/list")
    def list_namespaces(self, request: Request) -> dict[str, Any]:
        return self._service.serve_list(guarded=False)

    @endpoint("debug.database.get_item", "GET /debug/database/item")
    def get_item(self, request: Request) -> dict[str, Any]:
        return self._service.serve_get(request, guarded=False)

    @endpoint("debug.database.post_item", "POST /debug/database/item")
    def post_item(self, request: Request) -> "Deferred[dict[str, Any]]":
        return self._service.serve_post(request, guarded=False)

    @endpoint("debug.database.delete_item", "DELETE /debug/database/item")
    def delete_item(self, request: Request) -> "Deferred[dict[str, Any]]":
        return self._service.serve_delete(request, guarded=False)
