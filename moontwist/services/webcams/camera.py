"""One webcam: Moonraker 0.11's fields, defaults and checks, wherever the webcam comes from.

A webcam is defined in moonraker.conf (``[webcam NAME]``, read-only through
the API) or in the ``webcams`` database namespace, where Moonraker stores
records under their uid with Mainsail's field names (``urlStream``,
``flipX``, ...), the names Mainsail itself writes there.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

from moontwist.api import Request
from moontwist.config.section import Section
from moontwist.errors import ApiError
from moontwist.services.webcams.options import WEBCAM

ROTATIONS = (0, 90, 180, 270)
CONFIG = "config"
DATABASE = "database"

# API field -> its name in a ``webcams`` namespace record; the rest keep their name.
RECORD_NAMES = {
    "name": "name", "service": "service", "target_fps": "targetFps",
    "stream_url": "urlStream", "snapshot_url": "urlSnapshot",
    "flip_horizontal": "flipX", "flip_vertical": "flipY",
    "enabled": "enabled", "target_fps_idle": "targetFpsIdle",
    "aspect_ratio": "aspectRatio", "icon": "icon",
    "location": "location", "rotation": "rotation", "extra_data": "extra_data",
}
# Fields a client cannot change with ``server.webcams.post_item``.
FIXED_FIELDS = ("source", "uid")


@dataclass
class Webcam:
    """The fields in the order Moonraker's ``server.webcams.*`` answers show them."""

    name: str
    enabled: bool = True
    icon: str = "mdiWebcam"
    aspect_ratio: str = "4:3"
    target_fps: int = 15
    target_fps_idle: int = 5
    location: str = "printer"
    service: str = "mjpegstreamer"
    stream_url: str = ""
    snapshot_url: str = ""
    flip_horizontal: bool = False
    flip_vertical: bool = False
    rotation: int = 0
    source: str = DATABASE
    extra_data: dict[str, Any] = field(default_factory=dict)
    uid: str = ""

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ApiError(f"Invalid value for 'rotation': {self.rotation}")
        width, colon, height = self.aspect_ratio.partition(":")
        if not (width.isdigit() and colon and height.isdigit()):
            raise ApiError(f"Invalid value for 'aspect_ratio': {self.aspect_ratio}")

    def as_dict(self) -> dict[str, Any]:
        return {item.name: copy.deepcopy(getattr(self, item.name)) for item in dataclasses.fields(self)}

    def record(self) -> dict[str, Any]:
        """The ``webcams`` namespace value stored under ``uid``."""
        return {stored: copy.deepcopy(getattr(self, name)) for name, stored in RECORD_NAMES.items()}

    def updated(self, request: Request) -> "Webcam":
        """A copy with the fields ``request`` gives (checked and converted as the field's type)."""
        changes: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            if item.name in FIXED_FIELDS or item.name not in request.args:
                continue
            changes[item.name] = _read(request, item.name, getattr(self, item.name))
        return dataclasses.replace(self, **changes)


def _read(request: Request, name: str, current: Any) -> Any:
    if isinstance(current, bool):
        return request.get_bool(name)
    if isinstance(current, int):
        return request.get_int(name)
    if isinstance(current, str):
        return request.get_str(name)
    return request.get_dict(name)


def config_uid(namespace: uuid.UUID, name: str) -> str:
    """Moonraker's stable uid of a config webcam: uuid5 of the instance uuid and the name."""
    return str(uuid.uuid5(namespace, f"moonraker.webcam.{name}"))


def from_config(section: Section, namespace: uuid.UUID) -> Webcam:
    """A ``[webcam NAME]`` section; ApiError for a value Moonraker refuses."""
    name = section.name.split(maxsplit=1)[-1]
    options = WEBCAM.read(section)
    return Webcam(
        name=name,
        **options,
        source=CONFIG,
        uid=config_uid(namespace, name),
    )


def from_request(request: Request, uid: str) -> Webcam:
    """A new database webcam from ``server.webcams.post_item`` arguments."""
    return Webcam(
        name=request.get_str("name"),
        enabled=request.get_bool("enabled", True),
        icon=request.get_str("icon", "mdiWebcam"),
        aspect_ratio=request.get_str("aspect_ratio", "4:3"),
        target_fps=request.get_int("target_fps", 15),
        target_fps_idle=request.get_int("target_fps_idle", 5),
        location=request.get_str("location", "printer"),
        service=request.get_str("service", "mjpegstreamer"),
        stream_url=request.get_str("stream_url"),
        snapshot_url=request.get_str("snapshot_url", ""),
        flip_horizontal=request.get_bool("flip_horizontal", False),
        flip_vertical=request.get_bool("flip_vertical", False),
        rotation=request.get_int("rotation", 0),
        source=DATABASE,
        extra_data=request.get_dict("extra_data", {}),
        uid=uid,
    )


def from_record(uid: str, record: Any) -> Webcam:
    """A ``webcams`` namespace record (Mainsail's names; ``rotate`` from older Mainsail).

    Raises ValueError, TypeError, KeyError or ApiError for a record that is not a webcam.
    """
    extra_data = record.get("extra_data", {})
    if not isinstance(extra_data, dict):
        raise TypeError("extra_data is not an object")
    return Webcam(
        name=str(record["name"]),
        enabled=bool(record.get("enabled", True)),
        icon=str(record.get("icon", "mdiWebcam")),
        aspect_ratio=str(record.get("aspectRatio", "4:3")),
        target_fps=int(record.get("targetFps", 15)),
        target_fps_idle=int(record.get("targetFpsIdle", 5)),
        location=str(record.get("location", "printer")),
        service=str(record.get("service", "mjpegstreamer")),
        stream_url=str(record.get("urlStream", "")),
        snapshot_url=str(record.get("urlSnapshot", "")),
        flip_horizontal=bool(record.get("flipX", False)),
        flip_vertical=bool(record.get("flipY", False)),
        rotation=int(record.get("rotation", record.get("rotate", 0))),
        source=DATABASE,
        extra_data=extra_data,
        uid=uid,
    )
