"""The ``server.files.*`` endpoints (uploads and downloads are on the HTTP side).

Each change is done on a worker thread with its paths muted for inotify,
announced once when done, and answered with Moonraker's ``{item, action}``.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import TYPE_CHECKING, Any

from moontwist.api import Request, endpoint
from moontwist.errors import ApiError
from moontwist.services.files import operations
from moontwist.services.files.items import describe, gone, source
from moontwist.services.files.paths import Location, inside
from moontwist.services.files.walk import list_directory, walk_files
from moontwist.services.files.zipping import zip_locations

if TYPE_CHECKING:
    from moontwist.services.files.service import FileManagerService


# Listing fields the metadata (possibly older than the file) must not override.
KEPT_FIELDS = frozenset({"filename", "size", "modified", "permissions"})


def _directory_blocking(location: Location, skip: set[str]) -> dict[str, Any]:
    listing = list_directory(location, skip)
    usage = shutil.disk_usage(location.path)
    listing["disk_usage"] = {"total": usage.total, "used": usage.used, "free": usage.free}
    return listing


class FileEndpoints:
    """Listing, folders, moves, copies, zips, deletes and metadata."""

    def __init__(self, files: "FileManagerService") -> None:
        self.files = files

    @endpoint("server.files.roots", "GET /server/files/roots")
    def roots(self, request: Request) -> list[dict[str, Any]]:
        return [{"name": root.name, "path": str(root.path), "permissions": root.permissions}
                for root in self.files.table.roots.values()]

    @endpoint("server.files.list", "GET /server/files/list")
    async def list_files(self, request: Request) -> list[dict[str, Any]]:
        """Every file of a root; beyond Moonraker, a page of them (``limit``, ``offset``) with metadata."""
        location = self.files.locate_in(request.get_str("root", "gcodes").lower(), "")
        limit = request.get_int("limit", None)
        offset = request.get_int("offset", 0)
        if offset < 0 or (limit is not None and limit < 0):
            raise ApiError("Arguments 'limit' and 'offset' must not be negative")
        root = location.root
        items: list[dict[str, Any]] = await self.files.blocking(
            walk_files, root, "", root.name == "gcodes", self.files.table.reserved_under(root))
        items = items[offset:] if limit is None else items[offset:offset + limit]
        if request.get_bool("include_metadata", False) and root.name == "gcodes":
            for item in items:
                metadata = self.files.metadata.get(item["path"])
                if metadata is not None:
                    item["metadata"] = metadata
        return items

    @endpoint("server.files.get_directory", "GET /server/files/directory")
    async def get_directory(self, request: Request) -> dict[str, Any]:
        path = request.get_str("path", "gcodes")
        location = self.files.locate(path)
        if not location.path.is_dir():
            raise ApiError(f"Directory does not exist ({path})")
        listing: dict[str, Any] = await self.files.blocking(
            _directory_blocking, location, self.files.table.reserved_under(location.root))
        if request.get_bool("extended", False) and location.root.name == "gcodes":
            for info in listing["files"]:
                metadata = self.files.metadata.get(location.child(info["filename"]).relative)
                if metadata is not None:
                    info.update({key: value for key, value in metadata.items() if key not in KEPT_FIELDS})
        listing["root_info"] = {"name": location.root.name, "permissions": location.root.permissions}
        return listing

    @endpoint("server.files.post_directory", "POST /server/files/directory")
    async def post_directory(self, request: Request) -> dict[str, Any]:
        location = self._writable(request.get_str("path"), "Operation Not Supported", 405)
        if not location.relative:
            raise ApiError("Operation Not Supported", 405)
        release = self.files.announcer.mute(str(location.path))
        try:
            await self.files.blocking(operations.make_directory, location.path)
            item = describe(location)
            self.files.announcer.announce("create_dir", item)
        finally:
            release()
        return {"item": item, "action": "create_dir"}

    @endpoint("server.files.delete_directory", "DELETE /server/files/directory")
    async def delete_directory(self, request: Request) -> dict[str, Any]:
        path = request.get_str("path")
        location = self._writable(path, "Operation Not Supported", 405)
        if not location.relative:
            raise ApiError("Cannot delete root directory")
        if not location.path.is_dir() or location.path.is_symlink():
            raise ApiError(f"Directory does not exist ({path})")
        force = request.get_bool("force", False)
        if force:
            self.files.guard.refuse_if_in_use(location)
        release = self.files.announcer.mute(str(location.path))
        try:
            await self.files.blocking(operations.remove_directory, location.path, force)
            await self.files.tracking.forget(location, True)
            self.files.announcer.announce("delete_dir", gone(location))
        finally:
            release()
        return {"item": gone(location), "action": "delete_dir"}

    @endpoint("server.files.move", "POST /server/files/move")
    async def move(self, request: Request) -> dict[str, Any]:
        origin, target = self._source_and_target(request, write_source=True)
        is_dir = origin.path.is_dir() and not origin.path.is_symlink()
        if is_dir and os.path.lexists(target.path):
            raise ApiError(f"Destination {target.display} already exists")
        self.files.guard.refuse_if_in_use(origin)
        self.files.guard.refuse_if_in_use(target)
        release = self.files.announcer.mute(str(origin.path), str(target.path))
        try:
            await self.files.blocking(operations.move, origin.path, target.path)
            await self.files.tracking.follow_move(origin, target, is_dir)
            item = describe(target)
            action = "move_dir" if is_dir else "move_file"
            self.files.announcer.announce(action, item, source(origin))
        finally:
            release()
        return {"item": item, "source_item": source(origin), "action": action}

    @endpoint("server.files.copy", "POST /server/files/copy")
    async def copy(self, request: Request) -> dict[str, Any]:
        origin, target = self._source_and_target(request, write_source=False)
        is_dir = origin.path.is_dir()
        existed = os.path.lexists(target.path)
        if not is_dir:
            self.files.guard.refuse_if_in_use(target)
        action = "create_dir" if is_dir else ("modify_file" if existed else "create_file")
        release = self.files.announcer.mute(str(target.path))
        try:
            await self.files.blocking(operations.copy, origin.path, target.path)
            await (self.files.tracking.scan_tree(target) if is_dir else self.files.tracking.scan_file(target))
            item = describe(target)
            self.files.announcer.announce(action, item)
        finally:
            release()
        return {"item": item, "action": action}

    def _source_and_target(self, request: Request, write_source: bool) -> tuple[Location, Location]:
        """Check ``source`` and ``dest``; a folder as destination receives the source by name."""
        target = self._writable(request.get_str("dest"), "Destination path is read-only: {root}")
        if write_source:
            origin = self._writable(request.get_str("source"), "Source path is read-only, cannot move: {root}")
        else:
            origin = self.files.locate(request.get_str("source"))
        if not origin.relative:
            raise ApiError("Operation Not Supported", 405)
        if not os.path.lexists(origin.path):
            raise ApiError(f"File {origin.display} does not exist")
        if target.path.is_dir() and target.path != origin.path:
            target = self.files.table.check(target.child(origin.name), write=True)
        if origin.root == target.root and (inside(target.relative, origin.relative) and origin.path.is_dir()
                                           or target.relative == origin.relative):
            raise ApiError(f"Cannot move or copy {origin.display} into itself")
        return origin, target

    def _writable(self, path: str, message: str, status: int = 400) -> Location:
        """``path`` checked for writing; a read-only root answers ``message`` (``{root}``
        is its name) with Moonraker's status."""
        location = self.files.table.locate(path)
        if not location.root.writable:
            raise ApiError(message.format(root=location.root.name), status)
        return self.files.table.check(location, write=True)

    @endpoint("server.files.zip", "POST /server/files/zip")
    async def zip(self, request: Request) -> dict[str, Any]:
        default = f"config/collection-{time.strftime('%Y%m%d-%H%M%S')}.zip"
        destination = self._writable(request.get_str("dest", default), "Destination Root '{root}' is read-only")
        if not destination.relative or destination.path.is_dir():
            raise ApiError(f"Cannot create a zip file at {destination.display}: it is a folder")
        if not destination.path.parent.is_dir():
            raise ApiError(f"Parent folder of {destination.display} does not exist")
        names = request.get_list("items")
        if not names:
            raise ApiError("No items to zip")
        items = [self.files.locate(name) for name in names]
        existed = destination.path.exists()
        release = self.files.announcer.mute(str(destination.path))
        try:
            await self.files.blocking(zip_locations, items, destination, request.get_bool("store_only", False),
                                      self.files.table)
            item = describe(destination)
            self.files.announcer.announce("modify_file" if existed else "create_file", item)
        finally:
            release()
        return {"destination": item, "action": "zip_files"}

    @endpoint("server.files.delete_file")
    async def delete_file(self, request: Request) -> dict[str, Any]:
        path = request.get_str("path")
        location = self.files.table.locate(path)
        if not location.root.writable or not location.relative:
            raise ApiError(f"Path not available for DELETE: {path}", 405)
        self.files.table.check(location, write=True)
        if not os.path.lexists(location.path) or os.path.isdir(location.path):
            raise ApiError(f"File {location.display} does not exist")
        self.files.guard.refuse_if_in_use(location)
        release = self.files.announcer.mute(str(location.path))
        try:
            await self.files.blocking(os.unlink, location.path)
            await self.files.tracking.forget(location, False)
            self.files.announcer.announce("delete_file", gone(location))
        finally:
            release()
        return {"item": gone(location), "action": "delete_file"}

    @endpoint("server.files.metadata", "GET /server/files/metadata")
    def metadata(self, request: Request) -> dict[str, Any]:
        filename = request.get_str("filename")
        location = self.files.locate_in("gcodes", filename)
        metadata = self.files.metadata.get(location.relative)
        if metadata is None:
            raise ApiError(f"Metadata not available for {filename}", 404)
        return metadata

    @endpoint("server.files.metascan", "GET,POST /server/files/metascan")
    async def metascan(self, request: Request) -> dict[str, Any]:
        filename = request.get_str("filename")
        location = self.files.locate_in("gcodes", filename)
        if not location.path.is_file():
            raise ApiError(f"File {filename} does not exist", 404)
        metadata = await self.files.metadata.scan(location.relative)
        if metadata is None:
            raise ApiError(f"Unable to extract metadata from {filename}", 500)
        return metadata

    @endpoint("server.files.thumbnails", "GET /server/files/thumbnails")
    def thumbnails(self, request: Request) -> list[dict[str, Any]]:
        location = self.files.locate_in("gcodes", request.get_str("filename"))
        metadata = self.files.metadata.get(location.relative) or {}
        folder = location.parent.relative
        return [
            {key: value for key, value in thumbnail.items() if key != "relative_path"}
            | {"thumbnail_path": f"{folder}/{thumbnail['relative_path']}" if folder else thumbnail["relative_path"]}
            for thumbnail in metadata.get("thumbnails") or () if "relative_path" in thumbnail
        ]
