"""The "small board" line: a server on one core in 128 MiB, under a printer's load.

The server runs pinned to one core (``taskset -c 0``) inside a memory cgroup
of 128 MiB (swap included where the kernel accounts it), as on a 128-256 MiB
printer board. While five websockets are subscribed to every printer object,
a print is running and a 30 MB file is uploaded, ``server.info`` is asked
over HTTP every 100 ms. Reported: the peak RSS (VmHWM) and the cgroup's peak
(RSS plus the page cache it is charged for), the ``server.info`` p50/p99
latency, and whether the server was killed (OOM or otherwise) or stopped
answering.

    python -m bench.smallboard [--only moontwist] [--seconds 30]

``python -m bench`` runs it as line 9. Needs root (a cgroup) and ``taskset``.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.datafolder import MIB, make_data_folder, write_gcode
from bench.procstat import memory_mb, reset_peak
from bench.servers import SERVERS as SERVER_FACTORIES, ApiServer, Simulator, free_port
from bench.wsclient import WebSocketClient, connect

LIMIT = 128 * MIB
SUBSCRIBERS = 5
UPLOAD_BYTES = 30 * 1000 * 1000
PROBE_PERIOD = 0.1
PRINT_FILE = "smallboard_print.gcode"


class MemoryCgroup:
    """A child of this process's memory cgroup (v1 or v2) with a hard limit."""

    def __init__(self, name: str, limit: int) -> None:
        self.v2, parent = _own_memory_cgroup()
        self.path = parent / name
        self.path.mkdir(exist_ok=True)
        if self.v2:
            (self.path / "memory.max").write_text(str(limit))
            if (self.path / "memory.swap.max").exists():
                (self.path / "memory.swap.max").write_text("0")
        else:
            (self.path / "memory.limit_in_bytes").write_text(str(limit))
            if (self.path / "memory.memsw.limit_in_bytes").exists():
                (self.path / "memory.memsw.limit_in_bytes").write_text(str(limit))

    @property
    def procs(self) -> Path:
        return self.path / "cgroup.procs"

    def peak_mb(self) -> float:
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        try:
            return int((self.path / name).read_text()) / MIB
        except (FileNotFoundError, ValueError):
            return float("nan")

    def oom_kills(self) -> int:
        source = "memory.events" if self.v2 else "memory.oom_control"
        for line in (self.path / source).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def remove(self) -> None:
        try:
            self.path.rmdir()
        except OSError:
            pass


def _own_memory_cgroup() -> tuple[bool, Path]:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return False, Path("/sys/fs/cgroup/memory") / path.lstrip("/")
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return True, Path("/sys/fs/cgroup") / line[3:].lstrip("/")
    raise RuntimeError("no memory cgroup found")


def confine(server: ApiServer, cgroup: MemoryCgroup) -> None:
    """Start ``server`` in ``cgroup``, pinned to CPU 0: the shell joins the cgroup
    and execs taskset, which execs the server (one pid throughout)."""
    server.argv = ["sh", "-c", 'echo $$ > "$0" && exec taskset -c 0 "$@"', str(cgroup.procs), *server.argv]


class Subscriber:
    """One websocket subscribed to every object Klippy lists; counts notifications."""

    def __init__(self, client: WebSocketClient) -> None:
        self.client = client
        self.notifications = 0
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        client.on_message = self.on_message
        self.send(1, "printer.objects.list", {})

    def send(self, request_id: int, method: str, params: dict[str, Any]) -> None:
        self.client.send_text(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}).encode())

    def on_message(self, payload: bytes) -> None:
        message = json.loads(payload)
        if message.get("id") == 1:
            objects = {name: None for name in message["result"]["objects"]}
            self.send(2, "printer.objects.subscribe", {"objects": objects})
        elif message.get("id") == 2 and not self.subscribed.done():
            self.subscribed.set_result(None)
        elif "method" in message:
            self.notifications += 1


class InfoProbe(threading.Thread):
    """GET /server/info every ``PROBE_PERIOD``; latencies in ms, failures counted."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.latencies: list[float] = []
        self.failures = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", "/server/info")
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    raise RuntimeError(response.status)
                self.latencies.append((time.perf_counter() - started) * 1000)
            except (OSError, RuntimeError, http.client.HTTPException):
                self.failures += 1
            self.stopping.wait(max(0.0, PROBE_PERIOD - (time.perf_counter() - started)))


def post(port: int, path: str) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"POST {path}: HTTP {response.status} {body[:300]!r}")
    return dict(json.loads(body))


def print_state(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/printer/objects/query?print_stats=state")
        body = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    return str(body["result"]["status"]["print_stats"]["state"])


async def load(server: ApiServer, upload: Path, seconds: float) -> dict[str, Any]:
    subscribers = [Subscriber(await connect("127.0.0.1", server.port)) for _ in range(SUBSCRIBERS)]
    await asyncio.wait_for(asyncio.gather(*(s.subscribed for s in subscribers)), 30)
    post(server.port, f"/printer/print/start?filename={PRINT_FILE}")
    probe = InfoProbe(server.port)
    probe.start()
    await asyncio.sleep(1.0)
    curl = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", f"file=@{upload};filename=smallboard_upload.gcode",
        f"http://127.0.0.1:{server.port}/server/files/upload", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    await asyncio.sleep(seconds - 1.0)
    upload_status, _ = await curl.communicate()
    state = await asyncio.get_running_loop().run_in_executor(None, print_state, server.port)
    probe.stopping.set()
    probe.join()
    for subscriber in subscribers:
        subscriber.client.close()
    latencies = sorted(probe.latencies)
    return {
        "upload_status": upload_status.decode().strip(),
        "print_state_at_end": state,
        "notifications": sum(s.notifications for s in subscribers),
        "info_answers": len(latencies),
        "info_failures": probe.failures,
        "info_p50_ms": statistics.median(latencies) if latencies else None,
        "info_p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else None,
    }


def run_one(name: str, root: Path, upload: Path, print_file: Path, seconds: float) -> dict[str, Any]:
    folder = root / name
    folder.mkdir()
    port, socket_path, data = free_port(), folder / "klippy.sock", folder / "data"
    make_data_folder(data, port, socket_path, [print_file])
    simulator = Simulator(socket_path, data / "gcodes", folder / "simulator.log")
    cgroup = MemoryCgroup(f"moontwist-bench-{name}-{os.getpid()}", LIMIT)
    server = SERVER_FACTORIES[name](data, port, folder / "server.log")
    confine(server, cgroup)
    simulator.start()
    try:
        simulator.wait_listening()
        server.start()
        server.wait_until(ready=True, timeout=60)
        reset_peak(server.pid)
        result = asyncio.run(load(server, upload, seconds))
        assert server.popen is not None
        alive = server.popen.poll() is None
        result.update({
            "killed": not alive or cgroup.oom_kills() > 0,
            "exit_status": server.popen.returncode,
            "oom_kills": cgroup.oom_kills(),
            "peak_rss_mb": memory_mb(server.pid)["VmHWM"] if alive else None,
            "cgroup_peak_mb": cgroup.peak_mb(),
        })
        return result
    finally:
        server.stop()
        simulator.stop()
        cgroup.remove()


def make_files(root: Path) -> tuple[Path, Path]:
    upload, print_file = root / "smallboard_upload.gcode", root / PRINT_FILE
    write_gcode(upload, UPLOAD_BYTES)
    # Travel moves only: extruding would need a heated nozzle first.
    moves = "".join(f"G1 X{20 + index % 160} Y{20 + index * 7 % 160} F3000\n" for index in range(100_000))
    print_file.write_text("G28\nG90\n" + moves)
    return upload, print_file


def run(root: Path, names: list[str], seconds: float) -> dict[str, dict[str, Any]]:
    root.mkdir(parents=True, exist_ok=True)
    upload, print_file = make_files(root)
    return {name: run_one(name, root, upload, print_file, seconds) for name in names}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smallboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(SERVER_FACTORIES))
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the loaded window")
    args = parser.parse_args(argv)
    if shutil.which("taskset") is None:
        sys.exit("bench.smallboard needs taskset (util-linux)")
    root = Path(tempfile.mkdtemp(prefix="moontwist-smallboard-"))
    try:
        names = [args.only] if args.only else list(SERVER_FACTORIES)
        print(json.dumps(run(root, names, args.seconds), indent=2))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
