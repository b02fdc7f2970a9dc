"""Finishing an upload: the received temp file checked, then renamed into place.

The HTTP side streams the body to a temp file (``IncomingFile``) and calls
``server.files.upload`` (HTTP only, so authorization checks apply) with the
form fields and the ``Upload``. A failure leaves no file behind; success
answers at once, and the notification follows the metadata extraction. With
``enable_object_processing`` a G-code upload is processed while it is still the
hidden temp file; a UFP package's G-code right after it is unpacked.
``moontwist.metadata`` is imported by the first upload that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from moontwist.api import Request, Transport, endpoint
from moontwist.errors import ApiError
from moontwist.services.files import operations
from moontwist.services.files.incoming import ReceivedFile
from moontwist.services.files.items import describe
from moontwist.services.files.paths import Location, check_relative

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

    from moontwist.services.files.service import FileManagerService

log = Logger()

UPLOAD_ARGUMENT = "_upload"


@dataclass(frozen=True)
class Upload:
    """The file part of an upload: the name the client gave and the received bytes."""

    filename: str
    file: ReceivedFile


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def _first_missing_folder(location: Location) -> Location | None:
    missing = None
    folder = location.parent
    while folder.relative and not folder.path.exists():
        missing = folder
        folder = folder.parent
    return missing


class UploadEndpoint:
    """``server.files.upload``: where the HTTP upload resource hands a received file."""

    def __init__(self, files: "FileManagerService") -> None:
        self.files = files

    @endpoint("server.files.upload", transports=Transport.HTTP)
    async def upload(self, request: Request) -> dict[str, Any]:
        upload = request.args.get(UPLOAD_ARGUMENT)
        if not isinstance(upload, Upload):
            raise ApiError("No file was uploaded")
        try:
            return await self._finish(request, upload)
        finally:
            await self.files.blocking(_discard, upload.file.path)

    async def _finish(self, request: Request, upload: Upload) -> dict[str, Any]:
        files = self.files
        root_name = request.get_str("root", "gcodes").lower()
        root = files.table.roots.get(root_name)
        if root is None or not root.writable:
            raise ApiError(f"Invalid root request: {root_name}")
        folder = request.get_str("path", "").rstrip("/")
        relative = check_relative(f"{folder}/{upload.filename}" if folder else upload.filename)
        location = files.table.check(Location(root, relative), write=True)
        if location.path.is_dir():
            raise ApiError(f"Cannot write to path {location.display}: it is a folder")
        checksum = request.get_str("checksum", None)
        if checksum and checksum.strip().lower() != upload.file.sha256:
            raise ApiError(f"File checksum mismatch: expected {checksum}, calculated {upload.file.sha256}", 422)
        is_ufp = root.name == "gcodes" and relative.lower().endswith(".ufp")
        final = Location(root, relative[:-4] + ".gcode") if is_ufp else location
        files.guard.refuse_if_in_use(final, "File is loaded, upload not permitted")
        start_print = request.get_bool("print", False)
        existed = final.path.exists()
        new_folder = _first_missing_folder(location)
        muted = [str(location.path), str(final.path)] + ([str(new_folder.path)] if new_folder else [])
        release = files.announcer.mute(*muted)
        try:
            if files.object_processing and root.name == "gcodes" and not is_ufp:
                await self._process_objects(upload.file.path, final)
            await files.blocking(operations.place, upload.file.path, location.path)
            if is_ufp:
                await files.blocking(_unpack, location.path)
                if files.object_processing:
                    await self._process_objects(final.path, final)
            item = describe(final)
        except BaseException:
            release()
            raise
        if new_folder is not None:
            files.announcer.announce("create_dir", describe(new_folder))
        files.ctx.events.emit("upload_stored", item["size"])
        result: dict[str, Any] = {"item": item, "action": "create_file"}
        scanned = self._scan(final)
        if root.name == "gcodes":
            started = queued = False
            if start_print and files.guard.can_print():
                # As Moonraker: the metadata first, so that the job's history record has it.
                await scanned
                user = request.user.get("username") if request.user else None
                started = await files.guard.start_print(final.relative, user)
            elif start_print:
                queued = await self._queue(final.relative)
            result["print_started"] = started
            result["print_queued"] = queued
        self._announce_after(scanned, final, "modify_file" if existed else "create_file", release)
        return result

    async def _process_objects(self, path: Path, location: Location) -> None:
        """Object processing on a worker thread; a file it cannot process is kept as it came."""
        from moontwist.metadata.objects import process_objects

        try:
            processed = await self.files.run_in_thread(process_objects, path, operations.replacing)
        except Exception as error:
            log.warn("Object processing of {file} failed, file kept as uploaded: {error}",
                     file=location.display, error=error)
            return
        if processed:
            log.info("Object processing done on {file}", file=location.display)

    async def _queue(self, relative: str) -> bool:
        """With ``queue_gcode_uploads``, a print that cannot start now joins the job queue."""
        queue = self.files.ctx.components.get("job_queue")
        if not self.files.queue_uploads or queue is None:
            return False
        try:
            return bool(await queue.queue_jobs([relative], check_exists=False))
        except ApiError as error:
            log.warn("Upload {file} not queued: {error}", file=relative, error=error.message)
            return False

    def _scan(self, location: Location) -> "Deferred[Any]":
        """Extract the file's metadata; fires (never fails) once it is stored."""
        scanned = self.files.tracking.scan_file(location)
        return scanned.addErrback(lambda failure: log.failure("Metadata of {file}", failure, file=location.display))

    def _announce_after(self, scanned: "Deferred[Any]", location: Location, action: str, release: Any) -> None:
        def announce(_: Any) -> None:
            try:
                self.files.announcer.announce(action, describe(location))
            except OSError:
                pass

        scanned.addCallback(announce).addBoth(lambda _: release())


def _unpack(path: Path) -> None:
    from moontwist.metadata import UfpError, unpack_ufp

    try:
        unpack_ufp(path)
    except UfpError as error:
        path.unlink(missing_ok=True)
        raise ApiError(str(error)) from error
