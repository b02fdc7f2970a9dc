"""Proof of fidelity (issue 3): Moonraker 0.11.0 on our Klippy simulator.

Both servers also run a whole print on it; Moonraker must end it ``complete``,
record it ``completed`` and warn about nothing.

One simulator, one data folder; moontwist, then Moonraker, each started on it
in turn. Moonraker must reach ``klippy_state: ready`` with no missing-object
warnings, and both servers must answer ``printer.info``,
``printer.objects.list`` and ``printer.objects.query`` (every object) with the
same shape: the same keys, value kinds and list lengths; printer.info with the
same values too. Values that move (temperatures, times) are not compared.
Exit status 1 on any difference.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.datafolder import make_data_folder
from bench.lines import request
from bench.servers import SERVERS, ApiServer, Simulator, free_port, get_json

MISSING_OBJECTS_WARNING = "unable to detect the following printer objects"
# A whole print each server runs on the simulator: 3 s of dwells (no homing, no heating),
# long enough for the job to be seen printing.
PRINT_FILE = "fidelity-print.gcode"
PRINT_TEXT = "M117 fidelity\n" + "G4 P1000\n" * 3 + "M117\n"


def shape(value: Any) -> Any:
    """What a client relies on: keys, kinds, and list lengths."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Where the shape of ``ours`` (moontwist) departs from ``theirs`` (Moonraker)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = [f"{path}.{key}: only in Moonraker's answer" for key in theirs.keys() - ours.keys()]
        found += [f"{path}.{key}: only in moontwist's answer" for key in ours.keys() - theirs.keys()]
        for key in sorted(ours.keys() & theirs.keys()):
            found += differences(ours[key], theirs[key], f"{path}.{key}")
        return sorted(found)
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{path}: {len(ours)} items from moontwist, {len(theirs)} from Moonraker"]
        return [found for index, pair in enumerate(zip(ours, theirs)) for found in differences(*pair, f"{path}[{index}]")]
    if ours != theirs:
        return [f"{path}: moontwist gives {ours}, Moonraker {theirs}"]
    return []


def run_print(server: ApiServer) -> dict[str, Any]:
    """Print PRINT_FILE to the end; the job's history status and the warnings then."""
    time.sleep(1.0)  # "ready" is reported a moment before Moonraker's job_state subscribes
    request(server.port, "POST", f"/printer/print/start?filename={PRINT_FILE}")
    deadline = time.monotonic() + 30.0
    state = None
    while time.monotonic() < deadline:
        state = get_json(server.port, "/printer/objects/query?print_stats=state")["result"]["status"]["print_stats"]["state"]
        if state in ("complete", "error", "cancelled"):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    jobs = get_json(server.port, "/server/history/list?limit=1")["result"]["jobs"]
    return {"state": state, "history": [job["status"] for job in jobs], "warnings": server.info().get("warnings", [])}


def answers(server: ApiServer) -> dict[str, Any]:
    """The server's answers once ready: server.info, printer.info, objects list and
    query; then a whole print."""
    server.wait_until(ready=True)
    objects = get_json(server.port, "/printer/objects/list")["result"]["objects"]
    query = "&".join(quote(name) for name in objects)
    found = {
        "server.info": server.info(),
        "printer.info": get_json(server.port, "/printer/info")["result"],
        "printer.objects.list": sorted(objects),
        "printer.objects.query": get_json(server.port, f"/printer/objects/query?{query}")["result"],
    }
    found["print"] = run_print(server)
    return found


def collect(root: Path) -> dict[str, dict[str, Any]]:
    data, socket_path = root / "data", root / "klippy.sock"
    port = free_port()
    make_data_folder(data, port, socket_path, [])
    (data / "gcodes" / PRINT_FILE).write_text(PRINT_TEXT)
    simulator = Simulator(socket_path, data / "gcodes", root / "simulator.log")
    simulator.start()
    collected: dict[str, dict[str, Any]] = {}
    try:
        simulator.wait_listening()
        for name, factory in SERVERS.items():
            server = factory(data, port, root / f"{name}.log")
            server.start()
            try:
                collected[name] = answers(server)
            finally:
                server.stop()
            time.sleep(0.5)
    finally:
        simulator.stop()
    return collected


def readiness_problems(info: dict[str, Any]) -> list[str]:
    problems = []
    if info.get("klippy_state") != "ready":
        problems.append(f"Moonraker's klippy_state is {info.get('klippy_state')!r}, not 'ready'")
    if info.get("missing_klippy_requirements"):
        problems.append(f"Moonraker misses Klippy objects: {info['missing_klippy_requirements']}")
    problems += [f"Moonraker warns: {text}" for text in info.get("warnings", []) if MISSING_OBJECTS_WARNING in text.lower()]
    return problems


def report(collected: dict[str, dict[str, Any]]) -> int:
    ours, theirs = collected["moontwist"], collected["moonraker"]
    problems = readiness_problems(theirs["server.info"])
    print(f"Moonraker: klippy_state {theirs['server.info'].get('klippy_state')}, "
          f"missing_klippy_requirements {theirs['server.info'].get('missing_klippy_requirements')}")
    for text in theirs["server.info"].get("warnings", []):
        print(f"  Moonraker warning (not about Klippy objects): {' '.join(text.split())}")
    print(f"moontwist: klippy_state {ours['server.info'].get('klippy_state')}")
    for text in ours["server.info"].get("warnings", []):
        print(f"  moontwist warning: {' '.join(text.split())}")
    if ours["printer.objects.list"] != theirs["printer.objects.list"]:
        problems.append("printer.objects.list differs: "
                        f"{sorted(set(ours['printer.objects.list']) ^ set(theirs['printer.objects.list']))}")
    for key in sorted(ours["printer.info"].keys() & theirs["printer.info"].keys()):
        if ours["printer.info"][key] != theirs["printer.info"][key]:
            problems.append(f"printer.info.{key}: moontwist gives {ours['printer.info'][key]!r}, "
                            f"Moonraker {theirs['printer.info'][key]!r}")
    for query in ("printer.info", "printer.objects.query"):
        found = differences(shape(ours[query]), shape(theirs[query]), query)
        problems += found
        print(f"{query}: {'same shape' if not found else f'{len(found)} differences'}")
    for name, found in (("moontwist", ours), ("Moonraker", theirs)):
        outcome = found["print"]
        print(f"{name}: a whole print ends {outcome['state']}, history {outcome['history']}")
        if outcome["state"] != "complete" or outcome["history"] != ["completed"]:
            problems.append(f"{name}'s print ended {outcome['state']} (history {outcome['history']})")
    problems += [f"Moonraker warns after the print: {' '.join(text.split())}" for text in theirs["print"]["warnings"]]
    for problem in problems:
        print(f"DIFFERENCE: {problem}")
    print("fidelity: ok" if not problems else f"fidelity: {len(problems)} differences")
    return 1 if problems else 0


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="moontwist-fidelity-"))
    try:
        return report(collect(root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
