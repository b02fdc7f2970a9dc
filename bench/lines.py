"""One function per measurement; each returns one sample (or raises)."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.datafolder import MIB
from bench.procstat import cpu_seconds, memory_mb, reset_peak, rss_mb
from bench.servers import OUR_PYTHON, REPO, ApiServer


class NotAvailable(Exception):
    """The server has no such endpoint (yet): the line reads "n/a"."""


class WrongMethod(Exception):
    """HTTP 405: the path exists under another verb."""


def request(port: int, method: str, path: str, timeout: float = 120.0) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status == 404:
        raise NotAvailable(f"{method} {path}: 404")
    if response.status == 405:
        raise WrongMethod(f"{method} {path}: 405")
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {response.status} {body[:300]!r}")
    return response.status, json.loads(body)


def http_server_info(server: ApiServer, seconds: int) -> float:
    """wrk, one thread, 10 keep-alive connections: requests per second."""
    url = f"http://127.0.0.1:{server.port}/server/info"
    out = subprocess.run(["wrk", "-t1", "-c10", f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
    failures = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failures or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def load(*args: str) -> dict[str, Any]:
    """Run the load generator process and return what it printed."""
    done = subprocess.run([str(OUR_PYTHON), "-m", "bench.load", *args], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def websocket_rpc(server: ApiServer, clients: int, seconds: float, method: str, params: dict[str, Any]) -> float:
    result = load("rpc", "--port", str(server.port), "--clients", str(clients), "--seconds", str(seconds),
                  "--method", method, "--params", json.dumps(params))
    if result["errors"]:
        raise RuntimeError(f"{method}: {result['errors']} errors, first {result['first_error']}")
    return float(result["rate"])


def fanout(server: ApiServer, klippy_socket: Path, clients: list[int], windows: int, ticks: int) -> dict[str, Any]:
    """Per client count, ``windows`` measured windows (see bench/load.py)."""
    result = load("fanout", "--port", str(server.port), "--clients", ",".join(map(str, clients)),
                  "--klippy", str(klippy_socket), "--pid", str(server.pid), "--windows", str(windows), "--ticks", str(ticks))
    if result["move_errors"]:
        raise RuntimeError(f"the simulator refused moves: {result['first_move_error']}")
    return dict(result["windows"])


def upload(server: ApiServer, source: Path, name: str) -> tuple[float, float]:
    """curl a multipart upload; (MiB/s, peak RSS above the RSS before it, MiB)."""
    pid = server.pid
    reset_peak(pid)
    before = rss_mb(pid)
    url = f"http://127.0.0.1:{server.port}/server/files/upload"
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-F", f"file=@{source};filename={name}", url],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    peak = memory_mb(pid)["VmHWM"]
    status, seconds = int(out[0]), float(out[1])
    if status == 404:
        raise NotAvailable("no upload endpoint")
    if status not in (200, 201):
        raise RuntimeError(f"upload: HTTP {status}")
    request(server.port, "DELETE", f"/server/files/gcodes/{name}")
    return source.stat().st_size / MIB / seconds, peak - before


def file_list(server: ApiServer, expected: int) -> float:
    """Milliseconds for ``server.files.list`` of the gcodes root."""
    started = time.perf_counter()
    _, body = request(server.port, "GET", "/server/files/list?root=gcodes")
    elapsed = time.perf_counter() - started
    if len(body["result"]) < expected:
        raise RuntimeError(f"file list holds {len(body['result'])} files, expected {expected}")
    return elapsed * 1000


def metadata(server: ApiServer, filename: str) -> float:
    """Milliseconds for ``server.files.metascan`` (a fresh extraction) of ``filename``.

    Moonraker 0.11.0 serves it as POST, its API document says GET: whichever
    the server refuses with 405, the other is used.
    """
    path = f"/server/files/metascan?filename={filename}"
    started = time.perf_counter()
    try:
        _, body = request(server.port, "POST", path)
    except WrongMethod:
        started = time.perf_counter()
        _, body = request(server.port, "GET", path)
    elapsed = time.perf_counter() - started
    result = body["result"]
    if result.get("slicer") != "PrusaSlicer" or not result.get("thumbnails"):
        raise RuntimeError(f"metadata incomplete: {sorted(result)}")
    return elapsed * 1000


def wait_idle(pid: int, threshold: float = 0.02, window: float = 0.5, timeout: float = 60.0) -> None:
    """Until ``pid`` uses under ``threshold`` of a core over ``window`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < threshold * window:
            return
    raise TimeoutError("the server did not settle")
