"""Where moontwist's resident memory grows: bench/run's load, phase by phase, in rounds.

    python -m bench.growth [--rounds 6] [--runs 3] [--seconds 4] [--big-mib 1024] [--port P] [--json PATH]

One moontwist (started as bench/run starts it) and one simulator for the whole
run. Each round runs the load of bench/run's "RSS growth after the load" line
(HTTP, websocket RPCs, G-code, fan-out, uploads, metascan) one phase at a time;
after each phase, once the daemon is idle again and two seconds later (as
bench/run reads its after-load RSS), it records VmRSS and how it splits:

- ``anon``: anonymous memory (smaps_rollup ``Anonymous``): Python's objects and
  arenas, glibc's heaps, thread stacks;
- ``heap``: of that, glibc's main heap (``[heap]``, grown by brk);
- ``file``: file-backed pages (VmRSS less ``anon``): code, shared libraries, and
- ``lmdb``: the database file's pages, mapped by lmdb.

Growth is each figure less the idle one (2 s after ready, as bench/run). A
leak keeps rising round after round; a high-water mark rises in the first
round and then stays. Prints one table; ``--json`` also writes every sample.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench import lines
from bench.datafolder import MIB, PRUSA_FILE, make_data_folder, make_prusa_file, write_gcode
from bench.procstat import rss_mb
from bench.servers import SERVERS, ApiServer, Simulator, free_port

SETTLE = 2.0
KIB_PER_MIB = 1024
FIGURES = ("rss", "anon", "heap", "file", "lmdb")


def memory_split(pid: int) -> dict[str, float]:
    """VmRSS and its parts (see the module docstring), in MiB."""
    anon = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            anon = int(line.split()[1])
    rss = rss_mb(pid)
    return {"rss": rss, "anon": anon / KIB_PER_MIB, "file": rss - anon / KIB_PER_MIB,
            "heap": mapping_rss(pid, lambda name: name == "[heap]"),
            "lmdb": mapping_rss(pid, lambda name: name.endswith("/data.mdb"))}


def mapping_rss(pid: int, wanted: Callable[[str], bool]) -> float:
    """The resident MiB of the mappings whose name ``wanted`` accepts."""
    total, counting = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):
            counting = len(fields) > 5 and wanted(fields[5])
        elif counting and fields[0] == "Rss:":
            total += int(fields[1])
    return total / KIB_PER_MIB


class Rounds:
    """The load phases against one server, ``rounds`` times over."""

    def __init__(self, server: ApiServer, klippy_socket: Path, files: dict[str, Path], args: argparse.Namespace) -> None:
        self.server = server
        self.klippy_socket = klippy_socket
        self.files = files
        self.args = args
        self.samples: list[dict[str, Any]] = []

    def phases(self) -> list[tuple[str, Callable[[], None]]]:
        """bench/run's under_load, in its order, each line ``--runs`` times."""
        return [
            ("http", self.http),
            ("ws_info", lambda: self.rpc("server.info", {})),
            ("gcode", lambda: self.rpc("printer.gcode.script", {"script": "G4 P0"})),
            ("fanout", self.fanout),
            ("upload_100m", lambda: self.upload("upload_100m")),
            ("upload_big", lambda: self.upload("upload_big")),
            ("metadata", self.metadata),
        ]

    def http(self) -> None:
        lines.http_server_info(self.server, 1)
        for _ in range(self.args.runs):
            lines.http_server_info(self.server, self.args.seconds)

    def rpc(self, method: str, params: dict[str, Any]) -> None:
        for clients in (1, 10):
            for _ in range(self.args.runs):
                lines.websocket_rpc(self.server, clients, self.args.seconds, method, params)

    def fanout(self) -> None:
        lines.fanout(self.server, self.klippy_socket, [50, 200], self.args.runs, self.args.ticks)

    def upload(self, key: str) -> None:
        for _ in range(self.args.runs):
            lines.upload(self.server, self.files[key], f"bench_{key}.gcode")

    def metadata(self) -> None:
        for _ in range(self.args.runs):
            lines.metadata(self.server, PRUSA_FILE)

    def sample(self, round_number: int, phase: str, seconds: float) -> None:
        if round_number:
            lines.wait_idle(self.server.pid)
        time.sleep(SETTLE)
        figures = memory_split(self.server.pid)
        self.samples.append({"round": round_number, "phase": phase, "seconds": round(seconds, 1), **figures})
        idle = self.samples[0]
        growth = "  ".join(f"{name} {figures[name] - idle[name]:+6.2f}" for name in FIGURES)
        print(f"[{time.strftime('%H:%M:%S')}] round {round_number} {phase:<12} {growth}", file=sys.stderr, flush=True)

    def run(self) -> None:
        self.sample(0, "idle", 0.0)
        for round_number in range(1, self.args.rounds + 1):
            for name, phase in self.phases():
                started = time.monotonic()
                phase()
                self.sample(round_number, name, time.monotonic() - started)


def render(samples: list[dict[str, Any]]) -> str:
    """Growth over idle after each phase, MiB."""
    idle = samples[0]
    header = f"{'round':>5}  {'phase':<12}" + "".join(f"{name:>8}" for name in FIGURES)
    rows = [f"{'':>5}  {'idle (MiB)':<12}" + "".join(f"{idle[name]:8.2f}" for name in FIGURES)]
    for sample in samples[1:]:
        rows.append(f"{sample['round']:>5}  {sample['phase']:<12}"
                    + "".join(f"{sample[name] - idle[name]:+8.2f}" for name in FIGURES))
    return "\n".join([header, *rows])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6, help="times the whole load runs")
    parser.add_argument("--runs", type=int, default=3, help="samples per line in a round (bench/run: 3)")
    parser.add_argument("--seconds", type=int, default=4, help="length of each throughput sample")
    parser.add_argument("--ticks", type=int, default=24, help="status updates per fan-out window")
    parser.add_argument("--big-mib", type=int, default=1024, help="size of the large upload")
    parser.add_argument("--port", type=int, default=0, help="moontwist's port (default: a free one)")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="moontwist-growth-"))
    simulator = server = None
    try:
        files = {"prusa": root / PRUSA_FILE, "upload_100m": root / "upload_100m.gcode", "upload_big": root / "upload_big.gcode"}
        make_prusa_file(files["prusa"], 500 * 1000 * 1000)
        write_gcode(files["upload_100m"], 100 * MIB)
        write_gcode(files["upload_big"], args.big_mib * MIB)
        port, klippy_socket, data = args.port or free_port(), root / "klippy.sock", root / "data"
        make_data_folder(data, port, klippy_socket, [files["prusa"]])
        simulator = Simulator(klippy_socket, data / "gcodes", root / "simulator.log")
        simulator.start()
        simulator.wait_listening()
        server = SERVERS["moontwist"](data, port, root / "server.log")
        server.start()
        server.wait_until(ready=True)
        rounds = Rounds(server, klippy_socket, files, args)
        rounds.run()
        print(render(rounds.samples))
        if args.json is not None:
            args.json.write_text(json.dumps(rounds.samples, indent=1) + "\n")
    finally:
        for process in (server, simulator):
            if process is not None:
                process.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
