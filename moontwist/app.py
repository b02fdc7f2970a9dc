"""Composition root: read options and config, build the services, wire them together."""

from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path
from typing import Any, Callable

from twisted.application.service import IService
from twisted.logger import Logger

from moontwist import API_VERSION, __version__
from moontwist.cli import resolve
from moontwist.config import ConfigError, load_config
from moontwist.context import Options, ServerContext
from moontwist.resources.site import build_site
from moontwist.services.announcements import MOONLIGHT_URL, AnnouncementsService
from moontwist.services.authorization import AuthorizationService
from moontwist.services.collector import CollectorService
from moontwist.services.database import DatabaseService
from moontwist.services.extensions import ExtensionsService
from moontwist.services.files import FileManagerService
from moontwist.services.jobs import HistoryService, JobQueueService, JobStateService
from moontwist.services.klippy import KlippyService
from moontwist.services.listener import ListenerService
from moontwist.services.machine import MachineService, ProcStatsService
from moontwist.services.metrics import MetricsService
from moontwist.services.octoprint import OctoPrintCompat
from moontwist.services.ordered import OrderedMultiService
from moontwist.services.server import ServerService
from moontwist.services.server_options import SERVER
from moontwist.services.systemd import SystemdNotifyService
from moontwist.services.unixsocket import UnixSocketService
from moontwist.services.webcams import WebcamService
from moontwist.instance import instance_uuid
from moontwist.logfile import RollingLogFile, start_file_logging
from moontwist.startup import EXIT_FAILURE, StartupError, exit_when_start_fails, report
from moontwist.ports import ServerEndpoint, adopted_tcp_endpoint, tcp_endpoint
from moontwist.systemd import Notifier, socket_family

log = Logger()

DATA_FOLDERS = ("config", "gcodes", "logs", "database", "comms")
# Where announcement feeds are fetched from; Moonraker has no option for it.
# For the test suite only (tests/__init__.py points it at loopback), so that
# no test ever reaches the network.
ANNOUNCEMENTS_URL_VARIABLE = "MOONTWIST_ANNOUNCEMENTS_URL"


def prepare_data_folder(data_path: Path) -> None:
    """Create Moonraker's data folder layout on first start; StartupError when it cannot be written."""
    try:
        for name in DATA_FOLDERS:
            (data_path / name).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_path):
            pass
        instance_uuid(data_path)
    except OSError as error:
        raise StartupError(f"data folder {data_path} is not writable: {error.strerror or error}") from None


def makeService(raw_options: Any) -> IService:
    """Build the whole daemon from ``twistd moontwist`` options.

    A start-up error, while building (config) or starting (a busy port, a
    locked database), ends the process with one line on stderr and in the log
    and exit status 1, not a traceback.
    """
    try:
        root = build(resolve(raw_options), freeze=True)
    except StartupError as error:
        report(str(error))
        raise SystemExit(EXIT_FAILURE) from None
    exit_when_start_fails(root.ready, root.ctx.reactor)  # type: ignore[attr-defined]
    return root


def build(options: Options, reactor: Any = None, freeze: bool = False, prepare: bool = True) -> OrderedMultiService:
    """The daemon's service tree; ``freeze`` (the real daemon, not the test
    suite's many in one process) hides start-up objects from the garbage
    collector once everything is up (see services/collector.py). Without
    ``prepare`` (``moontwist migrate --check``) the data folder is left as it is."""
    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    if prepare:
        prepare_data_folder(options.data_path)
    log_file = None
    if options.log_file is not None:
        try:
            log_file = start_file_logging(options.log_file, options.verbose)
        except OSError as error:
            raise StartupError(f"cannot write the log file {options.log_file}: {error.strerror or error}") from None
    try:
        config = load_config(options.config_file, options.data_path)
        return _compose(ServerContext(reactor, options, config), log_file, freeze)
    except ConfigError as error:
        raise StartupError(f"Configuration error: {error}") from None


def _compose(ctx: ServerContext, log_file: RollingLogFile | None, freeze: bool) -> OrderedMultiService:
    """The services in start order; an option that cannot be read raises ConfigError."""
    options, config, reactor = ctx.options, ctx.config, ctx.reactor
    ctx.warnings.extend(config.warnings)
    server = SERVER.read(config.section("server"))
    ctx.connections.max_websockets = server["max_websocket_connections"]
    ctx.connections.max_anonymous_websockets = server["max_unauthenticated_websockets"]
    ctx.connections.identify_timeout = server["unauthenticated_websocket_timeout"]

    root = OrderedMultiService()
    root.setName("moontwist")

    def add(name: str, service: IService, named_section: bool = True) -> None:
        service.setName(name)
        service.setServiceParent(root)
        ctx.add_component(name, service)
        # A section named for a served component counts as read even when the
        # component has no options in it ([history]), as in Moonraker.
        if named_section:
            config.section(name)

    add("database", DatabaseService(ctx))
    add("file_manager", FileManagerService(ctx))
    if config.has_section("octoprint_compat"):
        add("octoprint_compat", OctoPrintCompat(ctx))
    add("authorization", AuthorizationService(ctx))
    add("server", ServerService(ctx))
    add("extensions", ExtensionsService(ctx))
    add("machine", MachineService(ctx, log_file))
    add("proc_stats", ProcStatsService(ctx))
    add("announcements", AnnouncementsService(ctx, os.environ.get(ANNOUNCEMENTS_URL_VARIABLE, MOONLIGHT_URL)))
    add("webcam", WebcamService(ctx))
    klippy = KlippyService.from_config(ctx)
    if options.simulate:
        # Imported only when asked for: a printer's daemon never loads the
        # simulator (1.7 MiB of resident memory, 9 ms of start-up).
        from moontwist.simulator.service import SimulatorService

        # Klippy's files as a Moonraker data folder lays them out: config/printer.cfg
        # (an example is written if missing) and logs/klippy.log.
        simulator = SimulatorService.create(
            reactor, klippy.socket_path, str(options.data_path / "gcodes"), speed=options.simulate_speed,
            config_path=str(options.data_path / "config" / "printer.cfg"),
            log_path=str(options.data_path / "logs" / "klippy.log"),
        )
        simulator.setName("simulator")
        simulator.setServiceParent(root)
    add("klippy", klippy)
    _log_header(ctx, klippy.socket_path)
    add("job_state", JobStateService(ctx))
    add("history", HistoryService.create(ctx))
    add("job_queue", JobQueueService.from_config(ctx))
    if config.has_section("mqtt"):
        # Before power and sensor: their mqtt types subscribe through it.
        add("mqtt", _mqtt_service(ctx))
    if config.has_section("spoolman"):
        # Imported only when configured, as every optional component.
        from moontwist.services.spoolman import SpoolmanService

        _add_optional(ctx, add, "spoolman", SpoolmanService.from_config)
    if config.sections_with_prefix("power "):
        from moontwist.services.power import PowerService

        _add_optional(ctx, add, "power", PowerService.from_config)
    if config.sections_with_prefix("wled "):
        from moontwist.services.wled import WledService

        _add_optional(ctx, add, "wled", WledService.from_config)
    if config.sections_with_prefix("notifier "):
        from moontwist.services.notifier import NotifierService

        _add_optional(ctx, add, "notifier", NotifierService.from_config)
    if config.sections_with_prefix("button "):
        from moontwist.services.button import ButtonService

        _add_optional(ctx, add, "button", ButtonService.from_config)
    if config.has_section("update_manager"):
        from moontwist.services.update_manager import UpdateManagerService

        _add_optional(ctx, add, "update_manager", UpdateManagerService)
    add("unix_socket", UnixSocketService(ctx, options.unix_socket))
    if config.sections_with_prefix("sensor "):
        from moontwist.services.sensor import SensorService

        _add_optional(ctx, add, "sensor", SensorService)
    add("metrics", MetricsService(ctx))
    _add_http_listeners(ctx, root, server)
    if config.has_section("zeroconf"):
        # Imported only when configured: it loads the zeroconf package.
        from moontwist.services.zeroconf.service import ZeroconfService

        add("zeroconf", ZeroconfService(ctx))
    collector = CollectorService(reactor, ctx.connections, ctx.events, freeze)
    collector.setName("collector")
    collector.setServiceParent(root)
    if options.systemd.notify_socket:
        systemd = SystemdNotifyService(ctx, Notifier(options.systemd.notify_socket), options.systemd.watchdog_seconds)
        systemd.setServiceParent(root)
        root.ready.addCallback(lambda _: systemd.ready())
    ctx.warnings.extend(config.unread_warnings())
    for warning in ctx.warnings:
        log.warn("{message}", message=warning)
    root.ctx = ctx  # type: ignore[attr-defined]
    return root


def _mqtt_service(ctx: ServerContext) -> IService:
    """Imported only when configured: a printer without a broker pays nothing for MQTT."""
    from moontwist.services.mqtt import MQTTService

    try:
        return MQTTService.from_config(ctx)
    except ConfigError as error:
        raise StartupError(f"Configuration error: {error}") from None


def _log_header(ctx: ServerContext, klippy_socket: str) -> None:
    """What an operator reading the log needs first: which build, which files."""
    options = ctx.options
    log.info("moontwist {version} (Moonraker API {api}) on Python {python}", version=__version__,
             api=".".join(map(str, API_VERSION)), python=platform.python_version())
    log.info("Config file: {config}", config=str(ctx.config.main_file))
    log.info("Data folder: {data}", data=str(options.data_path))
    log.info("Klippy socket: {socket}", socket=klippy_socket)


def _add_optional(ctx: ServerContext, add: Callable[..., None], name: str,
                  make: Callable[[ServerContext], IService]) -> None:
    """An optional component with a configuration error is left out with a
    warning (and listed in ``failed_components``), as Moonraker does."""
    try:
        service = make(ctx)
    except ConfigError as error:
        log.error("Unable to load component ({name}): {error}", name=name, error=error)
        ctx.failed_components.append(name)
        ctx.warnings.append(f"Unable to load component ({name}): {error}")
        return
    # [power NAME]-style components have no section of their own name.
    add(name, service, named_section=ctx.config.has_section(name))


def _add_http_listeners(ctx: ServerContext, root: OrderedMultiService, server: dict[str, Any]) -> None:
    host, port, ssl_port = server["host"], server["port"], server["ssl_port"]
    site = build_site(ctx, server["route_prefix"] or "", server["max_request_body_size"] * 1024 * 1024)
    ListenerService("http", _http_endpoint(ctx, host, port), site, "HTTP").setServiceParent(root)
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


def _tls_files(ctx: ServerContext, server: dict[str, Any]) -> tuple[Path | None, Path | None]:
    certs = ctx.options.data_path / "certs"
    certificate, key = certs / "moonraker.cert", certs / "moonraker.key"
    configured_certificate = server["ssl_certificate_path"]
    configured_key = server["ssl_key_path"]
    if certificate.exists() and key.exists():
        return certificate, key
    if configured_certificate and configured_key:
        return Path(configured_certificate).expanduser(), Path(configured_key).expanduser()
    return None, None


def _http_endpoint(ctx: ServerContext, host: str, port: int) -> ServerEndpoint:
    """The socket systemd passed us (socket activation), else ``host:port``."""
    inherited = ctx.options.systemd.listen_fds
    if inherited:
        return adopted_tcp_endpoint(ctx.reactor, inherited[0], socket_family(inherited[0]))
    return _tcp(ctx.reactor, host, port)


def _interface(host: str) -> str:
    return "::" if host == "all" else host


def _tcp(reactor: Any, host: str, port: int) -> ServerEndpoint:
    return tcp_endpoint(reactor, port, interface=_interface(host))
