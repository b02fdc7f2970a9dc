"""Shared test doubles for the file manager."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.task import Clock

from moontwist.api import Request, Transport
from moontwist.config import load_config
from moontwist.context import Options, ServerContext
from moontwist.services.files import FileManagerService


class ManualThreads:
    """Jobs wait until the test runs them: a thread pool the test steps through."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...], Deferred[Any]]] = []

    def __call__(self, function: Callable[..., Any], *args: Any) -> "Deferred[Any]":
        waiting: Deferred[Any] = Deferred()
        self.jobs.append((function, args, waiting))
        return waiting

    def run_one(self) -> None:
        function, args, waiting = self.jobs.pop(0)
        maybeDeferred(function, *args).chainDeferred(waiting)

    def run_all(self) -> None:
        while self.jobs:
            self.run_one()


class FakeKlippy:
    """What the file manager asks of the Klippy service: state, print_stats, G-code."""

    def __init__(self, state: str = "ready", print_state: str = "standby", filename: str = "") -> None:
        self.state = state
        self.status: dict[str, Any] = {"print_stats": {"state": print_state, "filename": filename}}
        self.scripts: list[str] = []
        self.prints: list[tuple[str, str | None]] = []
        self.subscribers: dict[Any, Any] = {}
        self.info: dict[str, Any] = {}

    def request(self, method: str, params: Any = None) -> "Deferred[Any]":
        assert method == "info"
        return succeed(self.info)

    def subscribe(self, owner: Any, objects: Any) -> "Deferred[Any]":
        self.subscribers[owner] = objects
        return succeed({"eventtime": 0.0, "status": {}})

    def run_gcode(self, script: str) -> "Deferred[Any]":
        self.scripts.append(script)
        return succeed("ok")

    def start_print(self, filename: str, user: str | None = None) -> "Deferred[Any]":
        self.prints.append((filename, user))
        return succeed("ok")


@dataclass
class FilesUnderTest:
    service: FileManagerService
    ctx: ServerContext
    data_path: Path
    announced: list[dict[str, Any]]
    clock: Clock

    def call(self, method: str, transport: Transport = Transport.INTERNAL, **args: Any) -> "Deferred[Any]":
        entry = self.ctx.registry.by_method(method)
        assert entry is not None
        return self.ctx.registry.run(entry, Request(method, args, transport))


def start_files(test: Any, config: str = "", klippy: FakeKlippy | None = None,
                run_in_thread: Callable[..., "Deferred[Any]"] = maybeDeferred,
                gcodes: dict[str, bytes] | None = None) -> FilesUnderTest:
    """A started file manager on a temp data folder, without inotify, threads or a database.

    ``gcodes`` are written to the gcodes folder before the start (and its scan).
    """
    data_path = Path(test.mktemp()).resolve()
    for folder in ("config", "gcodes", "logs", "database"):
        (data_path / folder).mkdir(parents=True)
    for name, data in (gcodes or {}).items():
        (data_path / "gcodes" / name).write_bytes(data)
    config_file = data_path / "config" / "moonraker.conf"
    config_file.write_text("[server]\n[file_manager]\nfile_system_observer: none\n" + config)
    clock = Clock()
    options = Options(data_path=data_path, config_file=config_file, log_file=None,
                      unix_socket=data_path / "comms" / "moonraker.sock")
    ctx = ServerContext(clock, options, load_config(config_file, data_path))
    if klippy is not None:
        ctx.components["klippy"] = klippy  # type: ignore[assignment]
    announced: list[dict[str, Any]] = []
    ctx.events.on("filelist_changed", announced.append)
    service = FileManagerService(ctx, run_in_thread)
    ctx.add_component("file_manager", service)
    service.startService()
    test.addCleanup(service.stopService)
    return FilesUnderTest(service, ctx, data_path, announced, clock)
