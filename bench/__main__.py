"""Run every line of issue 6 against moontwist, then Moonraker; print the table.

    python -m bench [--runs 3] [--big-mib 1024] [--only moontwist] [--json PATH]

``bench/run`` prepares both virtualenvs and calls this.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench import lines, smallboard
from bench.datafolder import MIB, PRUSA_FILE, make_data_folder, make_many_files, make_prusa_file, write_gcode
from bench.machineload import background_cores
from bench.procstat import rss_mb
from bench.report import SERVERS, machine, render, rows, summary, write_json
from bench.servers import REPO, SERVERS as SERVER_FACTORIES, ApiServer, Simulator, free_port

MANY_FILES = 10_000
SETTLE = 2.0


class ServerRun:
    """Every line for one server: its own data folder and a fresh simulator."""

    def __init__(self, name: str, root: Path, files: dict[str, Path], args: argparse.Namespace) -> None:
        self.name = name
        self.root = root / name
        self.root.mkdir()
        self.args = args
        self.files = files
        self.port = free_port()
        self.klippy_socket = self.root / "klippy.sock"
        self.data = self.root / "data"
        make_data_folder(self.data, self.port, self.klippy_socket, [files["prusa"]])
        self.samples: dict[str, list[float]] = {}
        self.notes: list[str] = []
        self.server: ApiServer | None = None

    def run(self) -> dict[str, Any]:
        simulator = Simulator(self.klippy_socket, self.data / "gcodes", self.root / "simulator.log")
        simulator.start()
        try:
            simulator.wait_listening()
            self.under_load()
            for _ in range(self.args.runs - 1):
                self.start()
                self.stop()
            self.many_files()
        finally:
            if self.server is not None:
                self.server.stop()
            simulator.stop()
        return {key: summary(values) for key, values in self.samples.items()}

    def record(self, key: str, value: float) -> None:
        self.samples.setdefault(key, []).append(value)

    def start(self) -> ApiServer:
        """Start the server, time it to answering and to ready, and take its idle RSS."""
        server = self.server = SERVER_FACTORIES[self.name](self.data, self.port, self.root / "server.log")
        server.start()
        self.record("start_info", server.wait_until(ready=False))
        self.record("start_ready", server.wait_until(ready=True))
        time.sleep(SETTLE)
        self.record("rss_idle", rss_mb(server.pid))
        return server

    def stop(self) -> None:
        assert self.server is not None
        self.server.stop()
        self.server = None

    def measure(self, key: str, sample: Callable[[], float | None]) -> None:
        """``runs`` samples of one line (a sampler returning None records its
        own figures); a missing endpoint makes the line n/a."""
        for _ in range(self.args.runs):
            try:
                value = sample()
            except lines.NotAvailable as reason:
                self.notes.append(f"{key}: n/a ({reason})")
                return
            if value is not None:
                self.record(key, value)

    def under_load(self) -> None:
        server = self.start()
        idle = self.samples["rss_idle"][-1]
        progress(f"{self.name}: HTTP")
        lines.http_server_info(server, 1)
        self.measure("http_info", lambda: lines.http_server_info(server, self.args.seconds))
        progress(f"{self.name}: websocket")
        info: dict[str, Any] = {}
        gcode = {"script": "G4 P0"}
        for clients in (1, 10):
            self.measure(f"ws_info_{clients}", lambda: lines.websocket_rpc(server, clients, self.args.seconds, "server.info", info))
        for clients in (1, 10):
            self.measure(f"gcode_{clients}", lambda: lines.websocket_rpc(server, clients, self.args.seconds, "printer.gcode.script", gcode))
        progress(f"{self.name}: fan-out")
        self.fanout(server)
        progress(f"{self.name}: uploads")
        if self.has_file_manager(server):
            for size, source in (("100m", self.files["upload_100m"]), ("1g", self.files["upload_big"])):
                self.measure(f"upload_{size}", lambda: self.upload(server, source, size))
            progress(f"{self.name}: metadata")
            self.measure("metadata", lambda: lines.metadata(server, PRUSA_FILE))
        lines.wait_idle(server.pid)
        time.sleep(SETTLE)
        after = rss_mb(server.pid)
        self.record("rss_after", after)
        self.record("rss_growth", after - idle)
        self.stop()

    def has_file_manager(self, server: ApiServer) -> bool:
        if "file_manager" in server.info().get("components", []):
            return True
        self.notes.append("lines 5 and 6: n/a (no file_manager component)")
        return False

    def fanout(self, server: ApiServer) -> None:
        windows = lines.fanout(server, self.klippy_socket, [50, 200], self.args.runs, self.args.ticks)
        for clients, results in windows.items():
            for result in results:
                self.record(f"fanout_{clients}_cpu", result["cpu_percent"])
                self.record(f"fanout_{clients}_per_1000", 1000 * result["cpu_seconds"] / (result["delivered"] / 1000))
                self.record(f"fanout_{clients}_missing", result["missing"])

    def upload(self, server: ApiServer, source: Path, size: str) -> None:
        speed, peak = lines.upload(server, source, f"bench_upload_{size}.gcode")
        self.record(f"upload_{size}_speed", speed)
        self.record(f"upload_{size}_peak", peak)

    def many_files(self) -> None:
        progress(f"{self.name}: {MANY_FILES:,} files")
        folder = self.data / "gcodes" / "many"
        make_many_files(folder, MANY_FILES)
        server = SERVER_FACTORIES[self.name](self.data, self.port, self.root / "server.log")
        self.server = server
        server.start()
        server.wait_until(ready=True)
        if self.has_file_manager(server):
            lines.wait_idle(server.pid)
            lines.file_list(server, MANY_FILES)
            self.measure("files_list", lambda: lines.file_list(server, MANY_FILES))
        self.stop()
        shutil.rmtree(folder)


def small_board_figures(board: dict[str, Any]) -> dict[str, Any]:
    """Line 9 from one small-board run (one sample each)."""
    failed = board["killed"] or board["info_failures"] > 0 or board["upload_status"] not in ("200", "201")
    return {
        "small_peak_rss": summary([board["peak_rss_mb"]] if board["peak_rss_mb"] is not None else None),
        "small_cgroup_peak": summary([board["cgroup_peak_mb"]]),
        "small_info_p99": summary([board["info_p99_ms"]] if board["info_p99_ms"] is not None else None),
        "small_killed": summary([1.0 if failed else 0.0]),
    }


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_files(root: Path, big_mib: int) -> dict[str, Path]:
    progress(f"writing test files (500 MB PrusaSlicer, 100 MiB and {big_mib} MiB uploads)")
    files = {"prusa": root / PRUSA_FILE, "upload_100m": root / "upload_100m.gcode", "upload_big": root / "upload_big.gcode"}
    make_prusa_file(files["prusa"], 500 * 1000 * 1000)
    write_gcode(files["upload_100m"], 100 * MIB)
    write_gcode(files["upload_big"], big_mib * MIB)
    return files


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="samples per figure (median, min, max)")
    parser.add_argument("--seconds", type=int, default=4, help="length of each throughput sample")
    parser.add_argument("--ticks", type=int, default=24, help="status updates (250 ms apart) per fan-out sample")
    parser.add_argument("--big-mib", type=int, default=1024, help="size of the large upload")
    parser.add_argument("--only", choices=SERVERS, help="run one server only (no ratios)")
    parser.add_argument("--small-seconds", type=float, default=20.0, help="length of the small-board window")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "latest.json")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="moontwist-bench-"))
    results: dict[str, dict[str, Any]] = {name: {} for name in SERVERS}
    notes: dict[str, list[str]] = {}
    background: dict[str, float] = {"before": background_cores()}
    try:
        files = make_files(root, args.big_mib)
        for name in SERVERS:
            if args.only and name != args.only:
                continue
            run = ServerRun(name, root, files, args)
            results[name] = run.run()
            notes[name] = run.notes
        progress("small board (one core, 128 MiB)")
        names = [args.only] if args.only else list(SERVERS)
        for name, board in smallboard.run(root / "smallboard", names, args.small_seconds).items():
            results[name].update(small_board_figures(board))
            notes.setdefault(name, []).append(f"small board: {json.dumps(board)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    background["after"] = background_cores()
    big_label = f"{args.big_mib / 1024:g} GiB" if args.big_mib >= 1024 else f"{args.big_mib} MiB"
    table = rows(results, big_label)
    print(render(table))
    for name, messages in notes.items():
        for message in messages:
            print(f"{name}: {message}")
    print(f"background CPU use by other processes (cores): before {background['before']:.2f}, after {background['after']:.2f}")
    document = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "background_cores": background,
        "moontwist_commit": git_commit(),
        "moonraker_version": "0.11.0",
        "settings": {"runs": args.runs, "seconds": args.seconds, "ticks": args.ticks, "big_upload_mib": args.big_mib},
        "duration_seconds": round(time.monotonic() - started),
        "lines": table,
        "notes": notes,
    }
    if not args.only:
        write_json(args.json, document)
        print(f"written to {args.json}")


def git_commit() -> str:
    """HEAD, marked "+dirty" when moontwist/ has uncommitted changes (the tree is shared)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "moontwist", "twisted"], cwd=REPO,
                           capture_output=True, text=True)
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main(sys.argv[1:])
