"""Registers ``<instance> @ <host>._moonraker._tcp.local.`` while the server runs, as Moonraker does.

The zeroconf package runs its own thread; registering (which probes the
network for a second or two) and unregistering run on a worker thread so the
reactor never waits for them, and the start does not wait for the announcement.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.internet.threads import deferToThread
from twisted.logger import Logger
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from moontwist import __version__
from moontwist.instance import instance_uuid
from moontwist.services.machine.host import HostPaths
from moontwist.services.machine.network import network
from moontwist.services.server_options import SERVER
from moontwist.services.zeroconf.options import ZEROCONF

if TYPE_CHECKING:
    from moontwist.context import ServerContext

log = Logger()

SERVICE_TYPE = "_moonraker._tcp.local."
class ZeroconfService(Service):
    """Announces the HTTP port once it listens; withdraws the announcement on stop."""

    name = "zeroconf"

    def __init__(self, ctx: "ServerContext", paths: HostPaths = HostPaths()) -> None:
        self.ctx = ctx
        self.paths = paths
        options = ZEROCONF.read(ctx.config.section("zeroconf"))
        server = SERVER.read(ctx.config.section("server"))
        self.hostname = options["mdns_hostname"] or socket.gethostname().split(".")[0]
        self.host = "::" if server["host"] == "all" else server["host"]
        self.route_prefix = server["route_prefix"] or ""
        self.uuid = ""
        self.info: ServiceInfo | None = None
        # Fires once the announcement is made (or failed); stopping waits for it.
        self.announcement: Deferred[Zeroconf | None] = succeed(None)

    def startService(self) -> None:
        super().startService()
        self.uuid = instance_uuid(self.ctx.options.data_path).hex
        http = self.parent.getServiceNamed("http") if self.parent is not None else None
        port = http.port.getHost().port if http is not None and http.port is not None else 7125
        self.info = self.service_info(port)
        self.announcement = deferToThread(self._register, self.info).addCallbacks(self._registered, self._failed)

    def service_info(self, port: int) -> ServiceInfo:
        instance = f"moontwist-{self.uuid[:8]}"
        return ServiceInfo(
            SERVICE_TYPE,
            f"{instance} @ {self.hostname}.{SERVICE_TYPE}",
            addresses=[ipaddress.ip_address(address).packed for address in self.addresses()],
            port=port,
            properties={"uuid": self.uuid, "https_port": "", "version": __version__,
                        "route_prefix": self.route_prefix},
            server=f"{self.hostname}.local.",
        )

    def addresses(self) -> list[str]:
        """The configured address, or every routable one of the network interfaces when bound to all."""
        if self.host not in ("0.0.0.0", "::"):
            return [self.host]
        found = []
        for interface in network(self.paths).values():
            for entry in interface["ip_addresses"]:
                if not entry.get("is_link_local") and (self.host == "::" or entry["family"] == "ipv4"):
                    found.append(entry["address"])
        return found or ["127.0.0.1"]

    def _register(self, info: ServiceInfo) -> Zeroconf:
        version = IPVersion.All if self.host == "::" else IPVersion.V4Only
        if self.host not in ("0.0.0.0", "::") and ipaddress.ip_address(self.host).version == 6:
            version = IPVersion.V6Only
        zeroconf = Zeroconf(ip_version=version)
        zeroconf.register_service(info, allow_name_change=True)
        return zeroconf

    def _registered(self, zeroconf: Zeroconf) -> Zeroconf:
        assert self.info is not None
        log.info("Announced on the LAN as {name}", name=self.info.name)
        return zeroconf

    def _failed(self, failure: Any) -> None:
        message = f"[zeroconf]: cannot announce the printer on the LAN: {failure.getErrorMessage()}"
        log.warn("{message}", message=message)
        self.ctx.warnings.append(message)

    def stopService(self) -> "Deferred[None]":
        """Withdraw the announcement, once it is made if it is still being made."""
        super().stopService()
        info = self.info

        def withdraw(zeroconf: Zeroconf | None) -> "Deferred[None]":
            if zeroconf is None or info is None:
                return succeed(None)
            return deferToThread(_withdraw, zeroconf, info)

        registering, self.announcement = self.announcement, succeed(None)
        return registering.addCallback(withdraw)


def _withdraw(zeroconf: Zeroconf, info: ServiceInfo) -> None:
    zeroconf.unregister_service(info)
    zeroconf.close()
