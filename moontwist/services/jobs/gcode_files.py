"""What the job services need to know about G-code files: where they are, their metadata.

Files live in the ``gcodes`` folder of the data folder; metadata in the
``gcode_metadata`` namespace, keyed by the path relative to that folder.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred, gatherResults
from twisted.logger import Logger

from moontwist.database import Namespace

log = Logger()

METADATA_NAMESPACE = "gcode_metadata"
# Fields a job's metadata snapshot leaves out: the latest job's, and the name (the job has it).
JOB_FIELDS = ("print_start_time", "job_id", "filename")


class GcodeFiles:
    def __init__(self, root: Path, metadata: Namespace) -> None:
        self.root = root
        self.metadata_records = metadata

    def path(self, filename: str) -> Path | None:
        """The file's path, or None when the name leaves the folder."""
        root = os.path.realpath(self.root)
        path = os.path.realpath(os.path.join(root, filename.lstrip("/")))
        if os.path.commonpath([root, path]) != root or path == root:
            return None
        return Path(path)

    def exists(self, filename: str) -> bool:
        path = self.path(filename)
        return path is not None and path.is_file()

    def metadata(self, filename: str) -> dict[str, Any]:
        """The file's metadata as a job records it (no job fields, no thumbnail data)."""
        found = self.metadata_records.get(filename, None)
        if not isinstance(found, dict):
            return {}
        snapshot = copy.deepcopy(found)
        for field in JOB_FIELDS:
            snapshot.pop(field, None)
        for thumbnail in snapshot.get("thumbnails") or ():
            if isinstance(thumbnail, dict):
                thumbnail.pop("data", None)
        return snapshot

    def unchanged(self, filename: str, metadata: dict[str, Any]) -> bool:
        """The file is still there and, when the metadata knows it, has the same mtime."""
        path = self.path(filename)
        try:
            modified = path.stat().st_mtime if path is not None and path.is_file() else None
        except OSError:
            modified = None
        if modified is None:
            return False
        return "modified" not in metadata or metadata["modified"] == modified

    def note_job(self, filename: str, start_time: float, job_id: str) -> "Deferred[Any]":
        """Write the job's start and id into the file's metadata, when it has any.

        Fires once written (a failure is logged, never passed on).
        """
        writes = []
        if isinstance(self.metadata_records.get(filename, None), dict):
            for field, value in (("print_start_time", start_time), ("job_id", job_id)):
                writes.append(self.metadata_records.insert([filename, field], value).addErrback(
                    lambda failure: log.warn("Could not note the job in {file}'s metadata: {error}",
                                             file=filename, error=failure.getErrorMessage())))
        return gatherResults(writes)
