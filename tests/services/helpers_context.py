"""A ServerContext over a real config file, a Clock for time, and notifications recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.task import Clock

from moontwist.api import Request, Transport
from moontwist.config import load_config
from moontwist.context import Options, ServerContext


class RecordingContext(ServerContext):
    """Records broadcasts instead of sending them (there are no client connections)."""

    sent: list[tuple[str, Any]]

    def notify(self, method: str, params: list[Any] | None = None) -> None:
        self.sent.append((method, params))


def context_for(test: Any, config_text: str, debug: bool = False) -> RecordingContext:
    data_path = Path(test.mktemp())
    (data_path / "config").mkdir(parents=True)
    config_file = data_path / "config" / "moonraker.conf"
    config_file.write_text("[server]\n" + config_text)
    options = Options(data_path=data_path, config_file=config_file, log_file=None,
                      unix_socket=data_path / "comms" / "moonraker.sock", debug=debug)
    ctx = RecordingContext(Clock(), options, load_config(config_file, data_path))
    ctx.sent = []
    return ctx


def call(ctx: ServerContext, method: str, **args: Any) -> Any:
    return ctx.registry.dispatch(Request(method, args, Transport.WEBSOCKET))
