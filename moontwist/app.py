"""Composition root: read options and config, build the services, wire them together."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from twisted.application.service import IService
from twisted.logger import Logger

from moontwist.cli import resolve
from moontwist.config import ConfigError, load_config
from moontwist.context import Options, ServerContext
from moontwist.resources.site import build_site
from moontwist.services.announcements import MOONLIGHT_URL, AnnouncementsService
from moontwist.services.authorization import AuthorizationService
from moontwist.services.collector import CollectorService
from moontwist.services.database import DatabaseService
from moontwist.services.files import FileManagerService
from moontwist.services.jobs import HistoryService, JobQueueService, JobStateService
from moontwist.services.klippy import KlippyService
from moontwist.services.listener import ListenerService
from moontwist.services.machine import MachineService, ProcStatsService
from moontwist.services.octoprint import OctoPrintCompat
from moontwist.services.ordered import OrderedMultiService
from moontwist.services.server import ServerService
from moontwist.services.unixsocket import UnixSocketService
from moontwist.services.webcams import WebcamService
from moontwist.logfile import start_file_logging
from moontwist.ports import ServerEndpoint, tcp_endpoint

log = Logger()

DATA_FOLDERS = ("config", "gcodes", "logs", "database", "comms")
# Where announcement feeds are fetched from; Moonraker has no option for it.
# For the test suite only (tests/__init__.py points it at loopback), so that
# no test ever reaches the network.
ANNOUNCEMENTS_URL_VARIABLE = "MOONTWIST_ANNOUNCEMENTS_URL"


def prepare_data_folder(data_path: Path) -> None:
    """Create Moonraker's data folder layout on first start."""
    for name in DATA_FOLDERS:
        (data_path / name).mkdir(parents=True, exist_ok=True)


class StartupError(Exception):
    """moontwist cannot start; the message tells the user why (file, line, option)."""


def makeService(raw_options: Any) -> IService:
    """Build the whole daemon from ``twistd moontwist`` options.

    A start-up error ends the process with its message and exit status 1,
    not a traceback.
    """
    try:
        return build(resolve(raw_options), freeze=True)
    except StartupError as error:
        sys.stderr.write(f"moontwist: {error}\n")
        raise SystemExit(1) from None


def build(options: Options, reactor: Any = None, freeze: bool = False) -> OrderedMultiService:
    """The daemon's service tree; ``freeze`` (the real daemon, not the test
    suite's many in one process) hides start-up objects from the garbage
    collector once everything is up (see services/collector.py)."""
    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    prepare_data_folder(options.data_path)
    log_file = None
    if options.log_file is not None:
        log_file = start_file_logging(options.log_file, options.verbose)
    try:
        config = load_config(options.config_file, options.data_path)
    except ConfigError as error:
        raise StartupError(f"Configuration error: {error}") from None
    ctx = ServerContext(reactor, options, config)
    ctx.warnings.extend(config.warnings)
    server = config.section("server")
    ctx.connections.max_websockets = server.get_int("max_websocket_connections", 50, minval=1)

    root = OrderedMultiService()
    root.setName("moontwist")

    def add(name: str, service: IService) -> None:
        service.setName(name)
        service.setServiceParent(root)
        ctx.add_component(name, service)
        # A section named for a served component counts as read even when the
        # component has no options in it ([history]), as in Moonraker.
        config.section(name)

    add("database", DatabaseService(ctx))
    add("file_manager", FileManagerService(ctx))
    if config.has_section("octoprint_compat"):
        add("octoprint_compat", OctoPrintCompat(ctx))
    add("authorization", AuthorizationService(ctx))
    add("server", ServerService(ctx))
    add("machine", MachineService(ctx, log_file))
    add("proc_stats", ProcStatsService(ctx))
    add("announcements", AnnouncementsService(ctx, os.environ.get(ANNOUNCEMENTS_URL_VARIABLE, MOONLIGHT_URL)))
    add("webcam", WebcamService(ctx))
    klippy = KlippyService.from_config(ctx)
    if options.simulate:
        # Imported only when asked for: a printer's daemon never loads the
        # simulator (1.7 MiB of resident memory, 9 ms of start-up).
        from moontwist.simulator.service import SimulatorService

        simulator = SimulatorService.create(reactor, klippy.socket_path, str(options.data_path / "gcodes"))
        simulator.setName("simulator")
        simulator.setServiceParent(root)
    add("klippy", klippy)
    add("job_state", JobStateService(ctx))
    add("history", HistoryService.create(ctx))
    add("job_queue", JobQueueService.from_config(ctx))
    add("unix_socket", UnixSocketService(ctx, options.unix_socket))
    if config.has_section("mqtt"):
        add("mqtt", _mqtt_service(ctx))
    _add_http_listeners(ctx, root, server)
    collector = CollectorService(reactor, ctx.connections, ctx.events, freeze)
    collector.setName("collector")
    collector.setServiceParent(root)
    ctx.warnings.extend(config.unread_warnings())
    root.ctx = ctx  # type: ignore[attr-defined]
    return root


def _mqtt_service(ctx: ServerContext) -> IService:
    """Imported only when configured: a printer without a broker pays nothing for MQTT."""
    from moontwist.services.mqtt import MQTTService

    try:
        return MQTTService.from_config(ctx)
    except ConfigError as error:
        raise StartupError(f"Configuration error: {error}") from None


def _add_http_listeners(ctx: ServerContext, root: OrderedMultiService, server: Any) -> None:
    host = server.get_str("host", "0.0.0.0")
    port = server.get_int("port", 7125, minval=0, maxval=65535)
    ssl_port = server.get_int("ssl_port", 7130, minval=0, maxval=65535)
    prefix = server.get_str("route_prefix", "")
    server.get_int("max_upload_size", 1024, minval=1)
    site = build_site(ctx, prefix)
    ListenerService("http", _tcp(ctx.reactor, host, port), site, "HTTP").setServiceParent(root)
    certificate, key = _tls_files(ctx, server)
    if certificate is None or key is None:
        return
    if ssl_port == port and port != 0:
        ctx.warnings.append(f"Invalid 'ssl_port': {ssl_port} equals 'port'; HTTPS disabled")
        return
    # Imported only with certificates: TLS is 12 MiB (moontwist/deferred_tls.py).
    from twisted.internet.endpoints import SSL4ServerEndpoint

    from moontwist.tls import TLSConfigError, server_tls_options

    try:
        tls = server_tls_options(certificate, key)
    except TLSConfigError as error:
        raise StartupError(str(error)) from None
    endpoint = SSL4ServerEndpoint(ctx.reactor, ssl_port, tls, interface=_interface(host))
    ListenerService("https", endpoint, site, "HTTPS").setServiceParent(root)


def _tls_files(ctx: ServerContext, server: Any) -> tuple[Path | None, Path | None]:
    certs = ctx.options.data_path / "certs"
    certificate, key = certs / "moonraker.cert", certs / "moonraker.key"
    configured_certificate = server.get_str("ssl_certificate_path", None)
    configured_key = server.get_str("ssl_key_path", None)
    if certificate.exists() and key.exists():
        return certificate, key
    if configured_certificate and configured_key:
        return Path(configured_certificate).expanduser(), Path(configured_key).expanduser()
    return None, None


def _interface(host: str) -> str:
    return "::" if host == "all" else host


def _tcp(reactor: Any, host: str, port: int) -> ServerEndpoint:
    return tcp_endpoint(reactor, port, interface=_interface(host))
