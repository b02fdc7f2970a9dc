"""Start the real daemon in-process on port 0 and temporary sockets, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from moontwist.app import build
from moontwist.context import Options, ServerContext
from moontwist.services.ordered import OrderedMultiService

# Loopback is trusted explicitly, as scripts/run's config does (nothing is trusted
# implicitly). [server] comes last so that tests can append server options.
BASE_CONFIG = """\
[authorization]
trusted_clients:
    127.0.0.0/8
    ::1/128

[server]
host: 127.0.0.1
port: 0
ssl_port: 0
"""


@dataclass
class RunningDaemon:
    service: OrderedMultiService
    ctx: ServerContext
    data_path: Path

    def port_of(self, name: str) -> int:
        port = self.service.getServiceNamed(name).port
        assert port is not None
        return int(port.getHost().port)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port_of('http')}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port_of('http')}/websocket"

    @property
    def unix_path(self) -> Path:
        return self.ctx.options.unix_socket


def short_temp_dir(test: TestCase) -> Path:
    """A temp folder with a path short enough for Unix socket names."""
    import tempfile
    import shutil

    path = Path(tempfile.mkdtemp(prefix="mt"))
    test.addCleanup(shutil.rmtree, path, True)
    return path


async def start_daemon(test: TestCase, config: str | None = BASE_CONFIG,
                       prepare: Callable[[Path], None] | None = None, data_path: Path | None = None,
                       **flags: Any) -> RunningDaemon:
    """Build and start the daemon; ``prepare`` fills the data folder first.

    ``data_path`` reuses the data folder of a daemon the test stopped (a restart).
    """
    if data_path is None:
        data_path = short_temp_dir(test)
        (data_path / "config").mkdir()
    if config is not None:
        (data_path / "config" / "moonraker.conf").write_text(config)
    if prepare is not None:
        prepare(data_path)
    options = Options(
        data_path=data_path,
        config_file=data_path / "config" / "moonraker.conf",
        log_file=None,
        unix_socket=data_path / "comms" / "moonraker.sock",
        **flags,
    )
    service = build(options, reactor)
    service.startService()
    test.addCleanup(service.stopService)
    await service.ready
    return RunningDaemon(service, service.ctx, data_path)  # type: ignore[attr-defined]
