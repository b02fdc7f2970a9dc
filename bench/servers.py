"""Start and stop the simulator, moontwist and Moonraker as processes."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUR_PYTHON = REPO / ".venv" / "bin" / "python"
PYCACHE = REPO / ".venv" / "pycache"
MOONRAKER_PYTHON = REPO / "bench" / "venv-moonraker" / "bin" / "python"
POLL = 0.01


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(port: int, path: str, timeout: float = 5.0) -> Any:
    """GET ``path`` on a fresh connection; the decoded JSON body, or an error."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        connection.close()


@dataclass
class Process:
    """A child process with its output in a log file."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.started_at = time.monotonic()
            self.popen = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.environment(), cwd=self.log_path.parent,
            )

    def environment(self) -> dict[str, str]:
        """Ours over the inherited environment; an empty value removes the variable."""
        merged = {**os.environ, **self.env}
        return {name: value for name, value in merged.items() if value}

    def check_alive(self) -> None:
        assert self.popen is not None
        if self.popen.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class Simulator(Process):
    def __init__(self, socket_path: Path, gcodes: Path, log_path: Path) -> None:
        argv = [str(OUR_PYTHON), "-m", "moontwist.simulator", "--socket", str(socket_path), "--gcodes", str(gcodes)]
        super().__init__("simulator", argv, log_path, {"PYTHONPATH": str(REPO)})
        self.socket_path = socket_path

    def wait_listening(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(self.socket_path))
                    return
                except OSError:
                    time.sleep(POLL)
        raise TimeoutError("the simulator did not listen")


class ApiServer(Process):
    """moontwist or Moonraker on ``port`` with a data folder."""

    def __init__(self, name: str, argv: list[str], log_path: Path, port: int, env: dict[str, str]) -> None:
        super().__init__(name, argv, log_path, env)
        self.port = port

    def info(self) -> dict[str, Any]:
        return get_json(self.port, "/server/info")["result"]

    def wait_until(self, ready: bool, timeout: float = 30.0) -> float:
        """Seconds from process start until ``server.info`` answers (and, with
        ``ready``, reports ``klippy_state: ready``), polled every 10 ms."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                info = get_json(self.port, "/server/info", timeout=1.0)["result"]
            except (OSError, RuntimeError, http.client.HTTPException):
                info = None
            if info is not None and (not ready or info.get("klippy_state") == "ready"):
                return time.monotonic() - self.started_at
            time.sleep(POLL)
        raise TimeoutError(f"{self.name} did not {'become ready' if ready else 'answer'} in {timeout} s")


def moontwist(data: Path, port: int, log_path: Path) -> ApiServer:
    """Started as scripts/install's unit starts it: the moontwist command under
    ``-OO``, its bytecode cached under ``PYCACHE`` (bench/run compiles it first)."""
    argv = [str(OUR_PYTHON), "-OO", "-X", f"pycache_prefix={PYCACHE}", "-m", "moontwist", "--datapath", str(data)]
    return ApiServer("moontwist", argv, log_path, port, {"PYTHONPATH": str(REPO)})


def moonraker(data: Path, port: int, log_path: Path) -> ApiServer:
    argv = [str(MOONRAKER_PYTHON), "-m", "moonraker", "--datapath", str(data)]
    return ApiServer("moonraker", argv, log_path, port, {"PYTHONPATH": ""})


SERVERS = {"moontwist": moontwist, "moonraker": moonraker}
