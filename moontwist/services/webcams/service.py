"""The webcam component: config webcams, database webcams, and changes announced.

Database webcams are read from the ``webcams`` namespace on every call rather
than kept in memory: Mainsail also writes that namespace directly (theme
defaults, reset, restore of its backups), and those webcams then show at
once (Moonraker sees them only after a restart). A config webcam wins over a
database webcam of the same name or uid, as in Moonraker.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.config import ConfigError
from moontwist.database import Namespace
from moontwist.errors import ApiError
from moontwist.instance import instance_uuid
from moontwist.services.machine.host import HostPaths
from moontwist.services.machine.network import network
from moontwist.services.webcams.camera import Webcam, from_config, from_record
from moontwist.services.webcams.endpoints import WebcamEndpoints
from moontwist.services.webcams.snapshot import SnapshotProbe

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

NAMESPACE = "webcams"
SECTION_PREFIX = "webcam "


class WebcamService(Service):
    """``server.webcams.*`` and ``notify_webcams_changed``."""

    def __init__(self, ctx: "ServerContext", probe: SnapshotProbe | None = None) -> None:
        self.ctx = ctx
        # The data folder's preparation writes the file; a dry run leaves it absent.
        self.instance = instance_uuid(ctx.options.data_path, create=False)
        self.configured: dict[str, Webcam] = {}
        for section_name in ctx.config.sections_with_prefix(SECTION_PREFIX):
            try:
                webcam = from_config(ctx.config.section(section_name), self.instance)
            except (ConfigError, ApiError) as error:
                # Moonraker fails the whole component; one bad section costs only its webcam here.
                ctx.warnings.append(f"[{section_name}]: {error}")
                continue
            self.configured[webcam.name] = webcam
        self.probe = probe if probe is not None else SnapshotProbe(ctx.reactor, _local_addresses)
        ctx.registry.register(WebcamEndpoints(self))

    def startService(self) -> "Deferred[None]":
        super().startService()
        return Deferred.fromCoroutine(self._settle_records())

    async def _settle_records(self) -> None:
        """Give a database webcam whose uid a config webcam has a new uid; log unusable records."""
        taken = {webcam.uid for webcam in self.configured.values()}
        for uid, record in self.records.items():
            try:
                webcam = from_record(uid, record)
            except (ApiError, KeyError, TypeError, ValueError, AttributeError) as error:
                log.warn("Webcam record {uid} in the database is not usable: {error}", uid=uid, error=error)
                continue
            if uid in taken:
                log.warn("Webcam uid collision: {uid}, database webcam gets a new uid", uid=uid)
                await self.records.delete(uid)
                webcam.uid = self.new_uid()
                await self.records.insert(webcam.uid, webcam.record())
            if webcam.name in self.configured:
                log.warn("Webcam name collision: {name}, uid {uid} is ignored", name=webcam.name, uid=uid)

    @property
    def records(self) -> Namespace:
        return self.ctx.component("database").namespace(NAMESPACE)

    def webcams(self) -> dict[str, Webcam]:
        """Every webcam by name: config ones first, then the database's usable ones."""
        cameras = dict(self.configured)
        taken = {webcam.uid for webcam in cameras.values()}
        for uid, record in self.records.items():
            try:
                webcam = from_record(uid, record)
            except (ApiError, KeyError, TypeError, ValueError, AttributeError):
                continue
            if uid not in taken and webcam.name not in cameras:
                cameras[webcam.name] = webcam
        return cameras

    def listed(self) -> list[dict[str, Any]]:
        return [webcam.as_dict() for webcam in self.webcams().values()]

    def new_uid(self) -> str:
        taken = {webcam.uid for webcam in self.webcams().values()}
        while True:
            uid = str(uuid.uuid4())
            if uid not in taken:
                return uid

    async def save(self, webcam: Webcam) -> None:
        await self.records.insert(webcam.uid, webcam.record())

    async def remove(self, webcam: Webcam) -> None:
        await self.records.delete(webcam.uid)

    def announce(self) -> None:
        """Tell clients the list changed; called after the change is committed."""
        self.ctx.notify("notify_webcams_changed", [{"webcams": self.listed()}])


def _local_addresses() -> list[str]:
    """This machine's addresses, as ``machine.system_info`` lists them."""
    return [entry["address"] for interface in network(HostPaths()).values() for entry in interface["ip_addresses"]]
