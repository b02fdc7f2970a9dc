"""What every service is given: the shared registry, events, connections and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twisted.application.service import IService

from moontwist.api import Registry
from moontwist.connections import ConnectionManager
from moontwist.events import EventBus
from moontwist.systemd import SystemdEnvironment

if TYPE_CHECKING:
    from moontwist.config import Config


@dataclass
class Options:
    """Command-line settings (Moonraker's flags and MOONRAKER_* variables)."""

    data_path: Path
    config_file: Path
    log_file: Path | None
    unix_socket: Path
    verbose: bool = False
    debug: bool = False
    simulate: bool = False
    systemd: SystemdEnvironment = field(default_factory=SystemdEnvironment)
    simulate_speed: float = 1.0


@dataclass
class ServerContext:
    """The application object passed to every service at construction."""

    reactor: Any
    options: Options
    config: "Config"
    registry: Registry = field(default_factory=Registry)
    events: EventBus = field(default_factory=EventBus)
    connections: ConnectionManager = field(default_factory=ConnectionManager)
    warnings: list[str] = field(default_factory=list)
    components: dict[str, IService] = field(default_factory=dict)
    failed_components: list[str] = field(default_factory=list)

    def add_component(self, name: str, service: IService) -> None:
        """Make ``service`` findable by name and register its endpoints."""
        self.components[name] = service
        self.registry.register(service)

    def component(self, name: str) -> Any:
        return self.components[name]

    def notify(self, method: str, params: list[Any] | None = None) -> None:
        """Broadcast a JSON-RPC notification to every client connection."""
        self.connections.broadcast(method, params)
