"""The file manager: roots, the ``server.files.*`` API, uploads, change notifications.

Roots come from the data folder (``gcodes``, ``config``, ``logs``) and, once
Klippy has said where Klipper lives, its ``config`` and ``docs`` folders
(read-only). Every walk, copy, zip and metadata extraction runs on a worker
thread; start-up (stale temp files, watches, the metadata scan) runs in the
background so the server answers at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.context import ServerContext
from moontwist.errors import ApiError
from moontwist.services.files.announcer import Announcer
from moontwist.services.files.coalesce import Coalescer
from moontwist.services.files.endpoints import FileEndpoints
from moontwist.services.files.external import ExternalChanges
from moontwist.services.files.incoming import IncomingFile, remove_stale_uploads
from moontwist.services.files.metadata import IDLE_EVENT as METADATA_IDLE, NAMESPACE, MemoryRecords, MetadataStore
from moontwist.services.files.operations import to_api_error
from moontwist.services.files.options import FILE_MANAGER
from moontwist.services.files.paths import Location, Root, RootTable
from moontwist.services.files.printing import PrintGuard
from moontwist.services.files.tracking import MetadataTracking
from moontwist.services.files.uploads import UploadEndpoint
from moontwist.services.files.walk import walk_files
from moontwist.services.files.watcher import Watcher
from moontwist.services.server_options import SERVER

log = Logger()

DATA_ROOTS = (("gcodes", True), ("config", True), ("logs", False))
KLIPPER_ROOTS = (("config_examples", "config"), ("docs", "docs"))
RESERVED_FOLDERS = ("database", "certs", "systemd", "backup")
RESERVED_FILES = (("moonraker.secrets", "secrets"), ("moonraker.asvc", "allowed_services"))
MEGABYTE = 1024 * 1024


def _object_processing_available(ctx: ServerContext) -> bool:
    """Imports the package now, so that uploads find it loaded; warns when it is missing."""
    from moontwist.metadata.objects import ObjectProcessingUnavailable, load_processor_module

    try:
        load_processor_module()
    except ObjectProcessingUnavailable as error:
        ctx.warnings.append(f"[file_manager]: {error}")
        return False
    return True


class FileManagerService(Service):
    """Owns the roots and everything clients do with files."""

    name = "file_manager"

    def __init__(self, ctx: ServerContext, run_in_thread: Callable[..., "Deferred[Any]"] | None = None) -> None:
        self.ctx = ctx
        self.run_in_thread = run_in_thread or self._thread_pool_runner(ctx.reactor)
        options = FILE_MANAGER.read(ctx.config.section("file_manager"))
        config_writable = options["enable_config_write_access"]
        self.queue_uploads = options["queue_gcode_uploads"]
        observer = options["file_system_observer"].lower()
        self.observer_warnings = options["enable_observer_warnings"]
        # Add EXCLUDE_OBJECT definitions to uploaded G-code (preprocess-cancellation).
        self.object_processing = options["enable_object_processing"]
        if self.object_processing:
            self.object_processing = _object_processing_available(ctx)
        if observer not in ("inotify", "none"):
            ctx.warnings.append(f"[file_manager]: invalid file_system_observer '{observer}', using 'none'")
        self.max_upload_size = SERVER.read(ctx.config.section("server"))["max_upload_size"] * MEGABYTE
        self.table = RootTable()
        data_path = ctx.options.data_path
        for name, writable in DATA_ROOTS:
            self._register(name, data_path / name, writable and (name != "config" or config_writable))
        for folder in RESERVED_FOLDERS:
            self.table.reserve(data_path / folder, folder)
        for file_name, label in RESERVED_FILES:
            self.table.reserve(data_path / file_name, label)
        self.table.reserve(Path(__file__).resolve().parents[2], "moonraker")
        self.announcer = Announcer(ctx.notify, ctx.events.emit, ctx.reactor)
        self.metadata = MetadataStore(MemoryRecords(), self.table.root("gcodes").path, self.run_in_thread,
                                      ctx.reactor)
        self.metadata.on_idle = lambda: ctx.events.emit(METADATA_IDLE)
        self.guard = PrintGuard(None)
        self.tracking = MetadataTracking(self)
        self.external = ExternalChanges(self)
        self.coalescer = Coalescer(ctx.reactor, self.external.handle)
        self.watcher: Watcher | None = None
        if observer == "inotify":
            self.watcher = Watcher(ctx.reactor, self.coalescer, self.external.accept, self.run_in_thread,
                                   self._watch_skip, self._observer_warning)
        self.klippy_log: Path | None = None
        self.ready: Deferred[None] = Deferred()
        ctx.registry.register(FileEndpoints(self))
        ctx.registry.register(UploadEndpoint(self))

    @staticmethod
    def _thread_pool_runner(reactor: Any) -> Callable[..., "Deferred[Any]"]:
        def run(function: Callable[..., Any], *args: Any) -> "Deferred[Any]":
            return deferToThreadPool(reactor, reactor.getThreadPool(), function, *args)

        return run

    def _register(self, name: str, folder: Path, writable: bool) -> bool:
        real = Path(os.path.realpath(folder))
        if not real.is_dir() or real == Path("/"):
            log.warn("Root {name}: {folder} is not a usable folder", name=name, folder=folder)
            return False
        self.table.add(Root(name, real, writable))
        return True

    # What other services and the HTTP side use.

    def root_names(self) -> list[str]:
        return list(self.table.roots)

    def locate(self, request_path: str, write: bool = False) -> Location:
        """Parse and check ``root/relative`` (symlinks, reserved paths, write access)."""
        return self.table.check(self.table.locate(request_path), write)

    def locate_in(self, root: str, relative: str, write: bool = False) -> Location:
        return self.table.check(self.table.locate_in(root, relative), write)

    def blocking(self, function: Callable[..., Any], *args: Any) -> "Deferred[Any]":
        """Run ``function`` on a worker thread; OSError becomes ApiError."""
        try:
            running = self.run_in_thread(function, *args)
        except Exception:
            return fail()
        return running.addErrback(_os_to_api)

    def open_incoming(self, root: str) -> IncomingFile:
        """A temp file for an upload in the top folder of ``root`` (which must be writable).

        Refused as the upload itself refuses a root given as a form field.
        """
        found = self.table.roots.get(root)
        if found is None or not found.writable:
            raise ApiError(f"Invalid root request: {root}")
        location = self.table.check(Location(found, ""), write=True)
        return IncomingFile(location.root.path, self.run_in_thread)

    def download_path(self, root: str, relative: str) -> Path:
        """The file a client may download, or ApiError (404 when there is no such file)."""
        if root not in self.table.roots:
            raise ApiError("Not Found", 404)
        location = self.locate_in(root, relative)
        if not location.relative or not location.path.is_file():
            raise ApiError(f"File {location.display} does not exist", 404)
        return location.path

    def log_path(self, name: str) -> Path:
        """``klippy.log`` (where Klippy said it writes) or ``moonraker.log``."""
        if name == "klippy.log" and self.klippy_log is not None:
            return self.klippy_log
        if name == "moonraker.log" and self.ctx.options.log_file is not None:
            return self.ctx.options.log_file
        return self.ctx.options.data_path / "logs" / name

    # Lifecycle.

    def startService(self) -> None:
        super().startService()
        database = self.ctx.components.get("database")
        if database is not None:
            self.metadata.records = database.namespace(NAMESPACE)
        self.guard = PrintGuard(self.ctx.components.get("klippy"))
        self.guard.start()
        self.ctx.events.on("klippy_ready", self._klippy_ready)
        started = Deferred.fromCoroutine(self._start_in_background())
        started.addErrback(lambda failure: log.failure("File manager start-up scan failed", failure))
        started.chainDeferred(self.ready)

    def stopService(self) -> "Deferred[None]":
        super().stopService()
        self.ctx.events.off("klippy_ready", self._klippy_ready)
        self.guard.stop()
        self.announcer.stop()
        self.coalescer.cancel()
        if self.watcher is not None:
            self.watcher.stop()
        return self.metadata.stop()

    async def _start_in_background(self) -> None:
        writable = [root for root in self.table.roots.values() if root.writable]
        for root in writable:
            removed = await self.blocking(remove_stale_uploads, root.path)
            if removed:
                log.info("Removed unfinished uploads from {root}: {names}", root=root.name, names=removed)
        if self.watcher is not None and self.running:
            self.watcher.start()
            for root in writable:
                await self.watcher.watch_tree(str(root.path))
        gcodes = self.table.root("gcodes")
        files = await self.blocking(walk_files, gcodes, "", True, self.table.reserved_under(gcodes))
        if self.running:
            await self.metadata.sync(files)

    def _observer_warning(self, message: str) -> None:
        log.warn("{message}", message=message)
        if self.observer_warnings:
            self.ctx.warnings.append(message)

    def _watch_skip(self) -> set[str]:
        skip: set[str] = set()
        for root in self.table.roots.values():
            skip |= self.table.reserved_under(root)
        return skip

    def _klippy_ready(self) -> None:
        klippy = self.ctx.components.get("klippy")
        if klippy is not None:
            klippy.request("info").addCallback(self._klippy_info).addErrback(
                lambda failure: log.warn("Klippy info failed: {error}", error=failure.getErrorMessage()))

    def _klippy_info(self, info: Any) -> None:
        if not isinstance(info, dict):
            return
        if info.get("log_file"):
            self.klippy_log = Path(str(info["log_file"]))
        klipper_path = info.get("klipper_path")
        if not klipper_path:
            return
        # Readable, not writable, as Moonraker reserves it.
        self.table.reserve(Path(str(klipper_path)), "klipper", readable=True)
        for name, folder in KLIPPER_ROOTS:
            previous = self.table.roots.get(name)
            if self._register(name, Path(str(klipper_path)) / folder, False):
                root = self.table.root(name)
                if previous is None or previous.path != root.path:
                    item = {"path": "", "root": name, "size": 0, "modified": 0, "permissions": "r"}
                    self.announcer.announce("root_update", item)


def _os_to_api(failure: Failure) -> Failure:
    if failure.check(OSError):
        return Failure(to_api_error(failure.value))
    return failure
