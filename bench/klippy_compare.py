"""Drive our Klippy simulator, and a real Klippy when given one, over the same
script of API calls, and print where their answers differ.

    bench/klippy-compare [--config CFG] [--klipper DIR --dict DICT --klippy-python PY]

The script: identification, endpoint and object lists, a query of every
object, an idle subscription, G-code (with errors, macros, probe and mesh
commands), endpoint errors, prints paused (by the file and the API), resumed,
cancelled and started again, RESTART and FIRMWARE_RESTART. Each target
runs in a folder of its own with the same printer.cfg; paths, clocks,
temperatures and machine details are masked before comparing. Timings are
printed apart and never count as differences. The real Klippy runs in batch
mode (``-o /dev/null -d DICT``): build it outside the repository (see
docs/klippy-compare.md). Exit status 1 when there are differences.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.klippyclient import Closed, KlippyClient, connect_when_ready
from bench.servers import OUR_PYTHON, REPO, Process

DEFAULT_CONFIG = REPO / "bench" / "klippy-compare.cfg"
# Two PAUSEs in the file make the job's states independent of how fast it runs
# (a batch-mode Klippy runs a file at once).
MOVES = "".join(f"G1 X{20 + i % 40} Y{20 + i % 30} F6000\n" for i in range(20))
PRINT_FILE = "G28\n" + MOVES + "PAUSE\n" + MOVES + "PAUSE\n" + MOVES
INFO_VALUES = ("state", "state_message")
# Objects whose values depend on the machine or the clock: only their field names count.
FIELDS_ONLY = {"mcu", "system_stats", "motion_report"}
# Fields that move with time or temperature: only their type counts.
VOLATILE = {"toolhead": {"print_time", "estimated_print_time", "stalls"},
            "extruder": {"temperature", "power", "can_extrude"}, "heater_bed": {"temperature", "power"},
            "print_stats": {"total_duration", "print_duration"}, "idle_timeout": {"printing_time"},
            "heater_generic": {"temperature", "power"}, "temperature_fan": {"temperature", "speed"},
            # A batch-mode Klippy reads no switch: its sensors never see filament.
            "filament_switch_sensor": {"filament_detected"}, "filament_motion_sensor": {"filament_detected"}}
BATCH_MODE_ONLY_MISSING = {"last_stats"}
NUMBER = re.compile(r"-?\d+\.\d+")
SCRIPTS = [
    "M118 hi", "ECHO hi", "STATUS", "FOO", "M105", "M115", "M114", "G1 X10", "G4 P-5", "M106 S1.2.3",
    "M104 S999", "SET_DISPLAY_TEXT oops", "M117 hello world", "RESPOND TYPE=error MSG=oops",
    "RESPOND TYPE=bogus MSG=x", "SET_GCODE_VARIABLE MACRO=PRINT_START VARIABLE=nope VALUE=1",
    "SET_GCODE_VARIABLE MACRO=NOPE VARIABLE=runs VALUE=1", "PRINT_START BED=60", "RAISE",
    "SET_PIN PIN=caselight VALUE=100", "SET_PIN PIN=caselight", "SET_PIN PIN=nothing VALUE=1",
    "PROBE", "QUERY_ENDSTOPS", "G28", "M114", "G1 X9999", "G1 Z-50", "M114", "QUERY_PROBE",
    "BED_MESH_PROFILE LOAD=default", "BED_MESH_PROFILE LOAD=nope", "BED_MESH_MAP", "BED_MESH_CLEAR",
    "BED_MESH_PROFILE", "SET_GCODE_OFFSET Z=0.1", "M114", "SET_VELOCITY_LIMIT", "SET_KINEMATIC_POSITION Z=5",
    "M220 S150", "M221 S90", "G91", "G1 X5", "G90", "M114", "SAVE_GCODE_STATE NAME=a",
    "RESTORE_GCODE_STATE NAME=b", "M84", "M400", "SET_IDLE_TIMEOUT TIMEOUT=900", "M27", "M20",
    "SDCARD_PRINT_FILE FILENAME=missing.gcode", "M28 x", "PAUSE", "RESUME", "CANCEL_PRINT",
    "EXCLUDE_OBJECT_DEFINE NAME=cube_1 CENTER=100,100 POLYGON=[[90,90],[110,90],[110,110]]",
    "EXCLUDE_OBJECT_DEFINE NAME=cube_2 CENTER=150,150", "EXCLUDE_OBJECT_DEFINE", "EXCLUDE_OBJECT NAME=cube_2",
    "EXCLUDE_OBJECT", "EXCLUDE_OBJECT CURRENT=1", "EXCLUDE_OBJECT_START NAME=cube_1",
    "EXCLUDE_OBJECT_END NAME=cube_9", "EXCLUDE_OBJECT RESET=1 NAME=cube_2", "EXCLUDE_OBJECT_DEFINE RESET=1",
    "SET_FAN_SPEED FAN=exhaust SPEED=0.5", "SET_FAN_SPEED FAN=exhaust", "SET_HEATER_TEMPERATURE HEATER=chamber TARGET=99",
    "SET_HEATER_TEMPERATURE HEATER=chamber TARGET=0", "QUERY_FILAMENT_SENSOR SENSOR=runout",
    "SET_FILAMENT_SENSOR SENSOR=runout ENABLE=0", "QUERY_ADC", "SET_PRESSURE_ADVANCE ADVANCE=0.05",
    "SET_EXTRUDER_ROTATION_DISTANCE EXTRUDER=extruder", "ACTIVATE_EXTRUDER EXTRUDER=extruder",
    "TUNING_TOWER COMMAND=SET_PRESSURE_ADVANCE PARAMETER=ADVANCE START=0 FACTOR=.005",
    "SDCARD_RESET_FILE", "G2 X120 Y100", "G2 X120 Y100 R5", "G1 X100 Y100 Z10 F6000", "G2 X120 Y100 I10 J0 F3000",
    "M114", "G3 X100 Y100 I-10 J0 E2", "M114", "G18", "G2 X110 Z10 I5 K0", "M114", "G17", "G91", "G2 X5 I5",
    "G90", "GET_RETRACTION", "SET_RETRACTION RETRACT_LENGTH=1 UNRETRACT_SPEED=20", "GET_RETRACTION", "G10", "G11",
    "SAVE_VARIABLE VARIABLE=count VALUE=3", "SAVE_VARIABLE VARIABLE=Bad VALUE=1",
    "SAVE_VARIABLE VARIABLE=name VALUE=\"'cube'\"", "SAVE_VARIABLE VARIABLE=c VALUE=oops",
    "SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=electronics_bay TARGET=95",
    "SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=electronics_bay TARGET=50 MIN_SPEED=0.9 MAX_SPEED=0.5",
    "SET_TEMPERATURE_FAN_TARGET TEMPERATURE_FAN=electronics_bay TARGET=50 MIN_SPEED=0.2",
    "SET_LED LED=status RED=1 SYNC=0", "SET_LED LED=status INDEX=2 BLUE=0.5 TRANSMIT=0", "SET_LED LED=status INDEX=4",
    "SET_LED LED=nope RED=1",
]
ENDPOINT_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("nothing/here", {}), ("objects/query", {}), ("objects/query", {"objects": {"toolhead": "x"}}),
    ("gcode/script", {"script": 5}), ("query_endstops/status", {}), ("register_remote_method", {}),
    ("bed_mesh/dump_mesh", {}),
]


def masked(value: Any, root: str) -> Any:
    """``value`` with this target's folder written as <root>."""
    return json.loads(json.dumps(value).replace(root, "<root>"))


def kind(value: Any) -> str:
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def comparable_status(name: str, status: dict[str, Any]) -> Any:
    kind_of_object = name.split()[0]
    if name in FIELDS_ONLY or name.startswith("temperature_sensor"):
        # A batch-mode Klippy runs no statistics timer, so its mcu never has the
        # last_stats a printer's Klippy (and the simulator) refreshes each second.
        return sorted(field for field in status if field not in BATCH_MODE_ONLY_MISSING)
    volatile = VOLATILE.get(name, VOLATILE.get(kind_of_object, set()))
    return {field: kind(value) if field in volatile else value for field, value in status.items()}


class Target:
    """One Klippy (ours or the real one) in a folder of its own."""

    def __init__(self, name: str, root: Path, config: Path, argv: list[str]) -> None:
        self.name, self.root = name, root
        (root / "config").mkdir(parents=True)
        (root / "gcodes").mkdir()
        text = config.read_text().replace("{gcodes}", str(root / "gcodes"))
        (root / "config" / "printer.cfg").write_text(text)
        (root / "gcodes" / "part.gcode").write_text(PRINT_FILE)
        self.socket = str(root / "klippy.sock")
        self.process = Process(name, argv, root / "output.log")
        self.results: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.notes: dict[str, Any] = {}

    def record(self, step: str, value: Any) -> None:
        self.results[step] = masked(value, str(self.root))


def simulator(root: Path, config: Path, speed: float) -> Target:
    argv = [str(OUR_PYTHON), "-m", "moontwist.simulator", "-a", str(root / "klippy.sock"),
            "--config", str(root / "config" / "printer.cfg"), "--gcodes", str(root / "gcodes"),
            "-l", str(root / "klippy.log"), "--speed", str(speed)]
    target = Target("simulator", root, config, argv)
    target.process.env = {"PYTHONPATH": str(REPO)}
    return target


def real_klippy(root: Path, config: Path, klipper: Path, dictionary: Path, python: str) -> Target:
    argv = [python, str(klipper / "klippy" / "klippy.py"), str(root / "config" / "printer.cfg"), "-o", "/dev/null",
            "-d", str(dictionary), "-a", str(root / "klippy.sock"), "-l", str(root / "klippy.log")]
    return Target("klippy", root, config, argv)


def outputs(client: KlippyClient) -> list[str]:
    return [params["response"] for params in client.take_pushes("out")]


def answer(reply: dict[str, Any]) -> Any:
    return reply["result"] if "result" in reply else {"error": reply["error"]}


def run_scripts(target: Target, client: KlippyClient) -> None:
    for script in SCRIPTS:
        reply = answer(client.call("gcode/script", script=script))
        client.pump(0.1)
        lines = outputs(client)
        if script in ("M105", "M115"):
            lines = [NUMBER.sub("#", line.split("FIRMWARE_VERSION")[0]) for line in lines]
        if script.startswith("QUERY_FILAMENT_SENSOR"):
            lines = [line.replace("filament not detected", "filament detected") for line in lines]
        target.record(f"gcode {script}", {"reply": reply, "output": lines})


def run_print(target: Target, client: KlippyClient) -> None:
    client.call("objects/subscribe", objects={"print_stats": ["state"], "pause_resume": ["is_paused"]},
                response_template={"method": "st"})
    steps: list[Any] = []
    start = ("gcode/script", {"script": "SDCARD_PRINT_FILE FILENAME=part.gcode"})
    pause, resume, cancel = ("pause_resume/pause", {}), ("pause_resume/resume", {}), ("pause_resume/cancel", {})
    for method, params in (start, pause, resume, cancel, start, resume, resume, start, cancel):
        reply = answer(client.call(method, **params))
        client.pump(1.0)
        after = client.call("objects/query", objects={"print_stats": ["state"], "pause_resume": ["is_paused"],
                                                      "virtual_sdcard": ["is_active", "file_position"]})
        steps.append([method, params, reply, after["result"]["status"]])
    client.pump(1.0)
    # Which states a subscriber sees between steps depends on where the 250 ms
    # ticks fall: printed, not compared.
    target.notes["print: states pushed"] = [
        (status.get("print_stats", {}).get("state"), status.get("pause_resume", {}).get("is_paused"))
        for status in (push["status"] for push in client.take_pushes("st"))]
    target.record("print: each step's reply and the state after it", steps)
    target.record("print: output", [line for line in outputs(client) if not line.startswith("// probe")])
    status = client.call("objects/query", objects={"print_stats": ["state", "filename", "message"],
                                                   "virtual_sdcard": ["file_path", "is_active"]})
    target.record("print: final status", status["result"]["status"])


def run_restart(target: Target, client: KlippyClient, method: str) -> KlippyClient:
    started = time.monotonic()
    reply = client.call(method)
    target.timings[f"{method}: reply"] = time.monotonic() - started
    try:
        client.wait_closed()
    except Closed:
        pass
    target.timings[f"{method}: socket closed"] = time.monotonic() - started
    target.record(f"{method}: reply and output", {"reply": answer(reply), "output": outputs(client)})
    client.close()
    fresh, waited = connect_when_ready(target.socket)
    target.timings[f"{method}: ready again"] = time.monotonic() - started
    target.record(f"{method}: first info state", fresh.call("info")["result"]["state"])
    return fresh


def run(target: Target) -> None:
    target.process.start()
    client, waited = connect_when_ready(target.socket, timeout=60.0)
    target.timings["start: ready"] = waited
    info = client.call("info", client_info={"program": "klippy-compare"})["result"]
    target.record("info: keys", sorted(info))
    target.record("info: state", {key: info[key] for key in INFO_VALUES})
    target.record("list_endpoints", sorted(client.call("list_endpoints")["result"]["endpoints"]))
    objects = client.call("objects/list")["result"]["objects"]
    target.record("objects/list", objects)
    target.record("gcode/help", client.call("gcode/help")["result"])
    status = client.call("objects/query", objects={name: None for name in objects})["result"]["status"]
    for name in objects:
        target.record(f"status {name}", comparable_status(name, status[name]))
    # Before any motion: a batch-mode Klippy's MCU clock stands still, so after its
    # first move idle_timeout stays "Printing" and printing_time changes every tick.
    quiet = [name for name in objects if name not in FIELDS_ONLY and not name.startswith("temperature_sensor")]
    client.call("objects/subscribe", objects={name: None for name in quiet}, response_template={"method": "idle"})
    client.pump(0.5)
    client.take_pushes("idle")
    client.pump(3.0)
    target.record("idle subscription: pushes in 3 s", len(client.take_pushes("idle")))
    client.call("gcode/subscribe_output", response_template={"method": "out"})
    for method, params in ENDPOINT_CALLS:
        target.record(f"endpoint {method} {json.dumps(params)}", answer(client.call(method, **params)))
    run_scripts(target, client)
    run_print(target, client)
    client = run_restart(target, client, "gcode/restart")
    client = run_restart(target, client, "gcode/firmware_restart")
    client.close()


def compare(ours: Target, theirs: Target) -> list[str]:
    found = []
    for step in list(dict.fromkeys([*ours.results, *theirs.results])):
        a, b = ours.results.get(step), theirs.results.get(step)
        if a != b:
            found.append(f"{step}\n    simulator: {json.dumps(a)[:600]}\n    klippy:    {json.dumps(b)[:600]}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/klippy-compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="printer.cfg ({gcodes} is filled in)")
    parser.add_argument("--speed", type=float, default=1000.0,
                        help="the simulator's --speed (a batch-mode Klippy runs a file at once)")
    parser.add_argument("--klipper", type=Path, help="a Klipper checkout to run klippy/klippy.py from")
    parser.add_argument("--dict", type=Path, help="the MCU data dictionary (out/klipper.dict)")
    parser.add_argument("--klippy-python", default=sys.executable, help="Python with Klippy's requirements")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs) and print its path")
    parser.add_argument("--json", type=Path, help="also write every target's recorded answers to this file")
    args = parser.parse_args()
    if (args.klipper is None) != (args.dict is None):
        parser.error("--klipper and --dict go together")
    work = Path(tempfile.mkdtemp(prefix="klippy-compare-"))
    targets = [simulator(work / "simulator", args.config, args.speed)]
    if args.klipper is not None:
        targets.append(real_klippy(work / "klippy", args.config, args.klipper, args.dict, args.klippy_python))
    try:
        for target in targets:
            try:
                run(target)
            finally:
                target.process.stop()
    finally:
        if args.keep:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.json is not None:
        args.json.write_text(json.dumps({target.name: target.results for target in targets}, indent=1))
    for target in targets:
        print(f"{target.name}: " + ", ".join(f"{step} {seconds * 1000:.0f} ms" for step, seconds in target.timings.items()))
        for step, note in target.notes.items():
            print(f"  {step}: {json.dumps(note)}")
    if len(targets) == 1:
        print(f"simulator only: {len(targets[0].results)} steps recorded (give --klipper and --dict to compare)")
        return 0
    found = compare(*targets)
    for difference in found:
        print(f"DIFFERENCE {difference}")
    print(f"{len(found)} differences in {len(targets[0].results)} steps")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
