"""What ``/metrics`` reports: calls and errors per method and transport, connections, Klippy,
notifications, uploads, the process and the print."""

from __future__ import annotations

import collections
import os
import time
from typing import TYPE_CHECKING

from twisted.application.service import Service

from moontwist import API_VERSION, __version__
from moontwist.api import Endpoint, Request
from moontwist.errors import ApiError
from moontwist.metrics import Family, render
from moontwist.services.machine.host import HostPaths
from moontwist.services.machine.readings import process_cpu_ticks, process_memory

if TYPE_CHECKING:
    from moontwist.context import ServerContext

KLIPPY_STATES = ("disconnected", "startup", "ready", "error", "shutdown")
PRINT_STATES = ("standby", "printing", "paused", "complete", "cancelled", "error")
PRINT_OBJECTS = {"print_stats": ["state"], "virtual_sdcard": ["progress"]}
MEMORY_UNITS = {"kB": 1024, "B": 1}


class MetricsService(Service):
    """Counts as things happen; reads gauges when scraped."""

    name = "metrics"

    def __init__(self, ctx: "ServerContext", paths: HostPaths = HostPaths()) -> None:
        self.ctx = ctx
        self.paths = paths
        self.calls: collections.Counter[tuple[str, str]] = collections.Counter()
        self.errors: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.uploads = 0
        self.upload_bytes = 0
        self.started_at = time.time()
        ctx.registry.observers.append(self._call_ended)
        ctx.events.on("upload_stored", self._upload_stored)

    def startService(self) -> None:
        super().startService()
        klippy = self.ctx.components.get("klippy")
        if klippy is not None:
            klippy.subscribe(self, PRINT_OBJECTS).addErrback(lambda _: None)

    def _call_ended(self, entry: Endpoint, request: Request, error: ApiError | None) -> None:
        transport = (request.transport.name or "").lower()
        self.calls[(entry.method, transport)] += 1
        if error is not None:
            self.errors[(entry.method, transport, str(error.status))] += 1

    def _upload_stored(self, size: int) -> None:
        self.uploads += 1
        self.upload_bytes += size

    def exposition(self) -> str:
        """Every metric, in Prometheus' text format."""
        return render([*self._server(), *self._klippy(), *self._process(), *self._print()])

    def _server(self) -> list[Family]:
        connections = self.ctx.connections
        calls = Family("moontwist_requests_total", "counter", "API calls handled, by method and transport")
        for (method, transport), count in sorted(self.calls.items()):
            calls.add(count, method=method, transport=transport)
        errors = Family("moontwist_request_errors_total", "counter",
                        "API calls that ended in an error, by method, transport and HTTP status")
        for (method, transport, status), count in sorted(self.errors.items()):
            errors.add(count, method=method, transport=transport, status=status)
        notifications = Family("moontwist_notifications_total", "counter", "Notifications sent, by method")
        for method, count in sorted(connections.notifications_sent.items()):
            notifications.add(count, method=method)
        return [
            Family("moontwist_info", "gauge", "moontwist's version and the Moonraker API level it serves").add(
                1, version=__version__, api_version=".".join(map(str, API_VERSION))),
            calls,
            errors,
            Family("moontwist_websocket_connections", "gauge", "Open websocket connections").add(
                connections.websocket_count()),
            notifications,
            Family("moontwist_notification_messages_total", "counter",
                   "Notification messages written, one per receiving connection").add(
                connections.notification_messages),
            Family("moontwist_uploads_total", "counter", "Files uploaded").add(self.uploads),
            Family("moontwist_upload_bytes_total", "counter", "Bytes of uploaded files stored").add(
                self.upload_bytes),
        ]

    def _klippy(self) -> list[Family]:
        klippy = self.ctx.components.get("klippy")
        state = klippy.state if klippy is not None else "disconnected"
        states = Family("moontwist_klippy_state", "gauge", "Klippy's state (1 for the current one)")
        for name in KLIPPY_STATES:
            states.add(int(name == state), state=name)
        families = [states]
        round_trip = klippy.round_trip if klippy is not None else None
        if round_trip is not None:
            families.append(Family("moontwist_klippy_round_trip_seconds", "gauge",
                                   "Time Klippy took to answer the last request").add(round_trip))
        return families

    def _process(self) -> list[Family]:
        families = [Family("process_start_time_seconds", "gauge", "Start time of the process (Unix time)").add(
            self.started_at)]
        ticks = process_cpu_ticks(self.paths)
        if ticks is not None:
            families.append(Family("process_cpu_seconds_total", "counter", "User and system CPU time").add(
                ticks / os.sysconf("SC_CLK_TCK")))
        rss, unit = process_memory(self.paths)
        if rss is not None:
            families.append(Family("process_resident_memory_bytes", "gauge", "Resident memory").add(
                rss * MEMORY_UNITS.get(unit, 1)))
        return families

    def _print(self) -> list[Family]:
        klippy = self.ctx.components.get("klippy")
        status = klippy.status if klippy is not None and klippy.connected else {}
        state = (status.get("print_stats") or {}).get("state")
        states = Family("moontwist_print_state", "gauge", "The print job's state (1 for the current one)")
        for name in PRINT_STATES:
            states.add(int(name == state), state=name)
        families = [states]
        progress = (status.get("virtual_sdcard") or {}).get("progress")
        if isinstance(progress, (int, float)):
            families.append(Family("moontwist_print_progress_ratio", "gauge",
                                   "Progress of the file being printed, 0 to 1").add(float(progress)))
        return families
