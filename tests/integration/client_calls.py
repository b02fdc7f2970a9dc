"""What each real client sends for each method of data/client_methods.md, and what it gets.

The table (copied from the shared clients.md) says which client calls which method;
this module says how: the params the client sends (read from its source), the
transport it uses, and the shape of Moonraker 0.11's answer (keys and types). The
calls run in ``ORDER`` so that each finds what it needs (a file to print, a user to
delete) the way a client would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

TABLE = Path(__file__).with_name("data") / "client_methods.md"
CLIENTS = ("Mainsail 2.18", "Fluidd 1.37", "KlipperScreen", "Mobileraker (public)", "MR companion",
           "OctoEverywhere", "Obico", "HA (moonraker-api)")

# How each client identifies itself (None: it does not).
IDENTIFY: dict[str, dict[str, Any] | None] = {
    "Mainsail 2.18": {"client_name": "mainsail", "version": "2.18.0", "type": "web", "url": "http://localhost"},
    "Fluidd 1.37": {"client_name": "fluidd", "version": "1.37.0", "type": "web", "url": "http://localhost"},
    "KlipperScreen": {"client_name": "KlipperScreen", "version": "v0.4.7", "type": "display",
                      "url": "https://github.com/KlipperScreen/KlipperScreen"},
    "Mobileraker (public)": {"client_name": "Mobileraker", "version": "2.8.0", "type": "mobile",
                             "url": "https://github.com/Clon1998/mobileraker"},
    "MR companion": {"client_name": "MobilerakerCompanion", "version": "0.5.0", "type": "bot",
                     "url": "https://github.com/Clon1998/mobileraker_companion"},
    "OctoEverywhere": {"client_name": "OctoEverywhere", "version": "4.0.0", "type": "agent",
                       "url": "https://octoeverywhere.com"},
    "Obico": {"client_name": "moonraker-obico", "version": "2.0.0", "type": "agent",
              "url": "https://github.com/TheSpaghettiDetective/moonraker-obico"},
    "HA (moonraker-api)": None,
}

# The transport each client uses for a method when it is not its websocket.
# Fluidd logs in over HTTP (its axios client); KlipperScreen reads a few things over
# HTTP; OctoEverywhere asks for the API key on the Unix socket; Obico uses HTTP with
# X-Api-Key for everything but its remote method and subscriptions.
HTTP = "http"
UNIX = "unix"
WEBSOCKET = "websocket"


def transport_of(client: str, method: str) -> str:
    if client == "Fluidd 1.37" and method.startswith("access."):
        return HTTP
    if client == "KlipperScreen" and method in ("machine.system_info", "server.history.get_job"):
        return HTTP
    if client == "OctoEverywhere" and method == "access.get_api_key":
        return UNIX
    if client == "Obico" and method not in ("connection.register_remote_method", "printer.objects.subscribe",
                                            "server.connection.identify"):
        return HTTP
    return WEBSOCKET


# Method -> (HTTP verb, path): Moonraker's routes for the calls made over HTTP.
HTTP_ROUTES = {
    "access.info": ("GET", "/access/info"),
    "access.post_user": ("POST", "/access/user"),
    "access.get_user": ("GET", "/access/user"),
    "access.delete_user": ("DELETE", "/access/user"),
    "access.users.list": ("GET", "/access/users/list"),
    "access.login": ("POST", "/access/login"),
    "access.logout": ("POST", "/access/logout"),
    "access.refresh_jwt": ("POST", "/access/refresh_jwt"),
    "access.user.password": ("POST", "/access/user/password"),
    "access.oneshot_token": ("GET", "/access/oneshot_token"),
    "access.get_api_key": ("GET", "/access/api_key"),
    "access.post_api_key": ("POST", "/access/api_key"),
    "machine.system_info": ("GET", "/machine/system_info"),
    "machine.update.status": ("GET", "/machine/update/status"),
    "printer.info": ("GET", "/printer/info"),
    "printer.gcode.script": ("POST", "/printer/gcode/script"),
    "printer.objects.list": ("GET", "/printer/objects/list"),
    "printer.objects.query": ("GET", "/printer/objects/query"),
    "printer.print.start": ("POST", "/printer/print/start"),
    "printer.print.pause": ("POST", "/printer/print/pause"),
    "printer.print.resume": ("POST", "/printer/print/resume"),
    "printer.print.cancel": ("POST", "/printer/print/cancel"),
    "server.info": ("GET", "/server/info"),
    "server.database.get_item": ("GET", "/server/database/item"),
    "server.database.post_item": ("POST", "/server/database/item"),
    "server.files.metadata": ("GET", "/server/files/metadata"),
    "server.history.list": ("GET", "/server/history/list"),
    "server.history.get_job": ("GET", "/server/history/job"),
    "server.webcams.list": ("GET", "/server/webcams/list"),
}


def load_table(path: Path = TABLE) -> dict[str, set[str]]:
    """method -> the clients that call it, from the markdown table."""
    rows: dict[str, set[str]] = {}
    header: list[str] = []
    for line in path.read_text().splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "method":
            header = cells
            continue
        rows[cells[0]] = {name for name, cell in zip(header[1:], cells[1:]) if name in CLIENTS and cell == "x"}
    return rows


# --- result shapes: a type, a dict of required keys, a one-item list for "list of" ---

def check_shape(value: Any, spec: Any, where: str = "result") -> list[str]:
    """The differences between ``value`` and ``spec``, as readable lines."""
    if spec is Any:
        return []
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__} {str(value)[:80]}"]
        problems = []
        for key, inner in spec.items():
            if key not in value:
                problems.append(f"{where}: missing {key!r}")
            else:
                problems += check_shape(value[key], inner, f"{where}.{key}")
        return problems
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [p for item in value[:5] for p in check_shape(item, spec[0], f"{where}[]")] if spec else []
    if isinstance(spec, str):
        return [] if value == spec else [f"{where}: expected {spec!r}, got {str(value)[:80]!r}"]
    if isinstance(spec, tuple):
        return [] if isinstance(value, spec) else [f"{where}: expected {spec}, got {type(value).__name__}"]
    if spec is float:
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else \
            [f"{where}: expected a number, got {type(value).__name__}"]
    if spec is int and isinstance(value, bool):
        return [f"{where}: expected int, got bool"]
    return [] if isinstance(value, spec) else [f"{where}: expected {spec.__name__}, got {type(value).__name__}"]


NUMBER = float
OPT_STR = (str, type(None))
FILE_ACTION = {"item": {"path": str, "root": str}, "action": str}
DIR_ACTION = {"item": {"path": str, "root": str}, "action": str}
WEBCAM = {"name": str, "location": str, "service": str, "enabled": bool, "icon": str, "target_fps": int,
          "target_fps_idle": int, "stream_url": str, "snapshot_url": str, "flip_horizontal": bool,
          "flip_vertical": bool, "rotation": int, "aspect_ratio": str, "extra_data": dict, "source": str,
          "uid": str}
JOB = {"job_id": str, "filename": str, "status": str, "start_time": NUMBER, "end_time": (float, int, type(None)),
       "print_duration": NUMBER, "total_duration": NUMBER, "filament_used": NUMBER, "metadata": dict, "exists": bool}
TOTALS = {"total_jobs": int, "total_time": NUMBER, "total_print_time": NUMBER, "total_filament_used": NUMBER,
          "longest_job": NUMBER, "longest_print": NUMBER}
QUEUE = {"queued_jobs": list, "queue_state": str}
USER_TOKENS = {"username": str, "token": str, "refresh_token": str, "action": str}
# Moonraker 0.11 with the test's config has no such method: -32601 on a socket, 404 over HTTP.
NOT_SERVED = "not served"
# The method exists but this call fails on the component's side; "Method not found" is wrong.
COMPONENT_ERROR = "an error of the component"


@dataclass
class Call:
    """One method as clients call it: params (from the session state), the result shape."""

    params: Callable[[dict[str, Any]], dict[str, Any] | None] | dict[str, Any] | None
    shape: Any
    # what the session keeps from the result for later calls
    keep: Callable[[dict[str, Any], Any], None] | None = None
    # a state the printer must be in first: "printing", "paused", "idle"
    needs: str | None = None
    # per-client params where a client sends something of its own
    per_client: dict[str, dict[str, Any]] = field(default_factory=dict)

    def params_for(self, client: str, state: dict[str, Any]) -> dict[str, Any] | None:
        if client in self.per_client:
            return self.per_client[client]
        return self.params(state) if callable(self.params) else self.params


def _keep(name: str, pick: Callable[[Any], Any]) -> Callable[[dict[str, Any], Any], None]:
    def keep(state: dict[str, Any], result: Any) -> None:
        state[name] = pick(result)
    return keep


SUBSCRIBE_ALL = {"objects": {"webhooks": None, "print_stats": None, "virtual_sdcard": None, "toolhead": None,
                             "extruder": None, "heater_bed": None, "gcode_move": None, "display_status": None,
                             "idle_timeout": None, "pause_resume": None, "configfile": ["config"]}}

CALLS: dict[str, Call] = {
    "server.connection.identify": Call(None, {"connection_id": int}),
    "server.info": Call(None, {"klippy_connected": bool, "klippy_state": str, "components": [str],
                               "failed_components": list, "registered_directories": [str], "warnings": list,
                               "websocket_count": int, "moonraker_version": str, "api_version": [int],
                               "api_version_string": str}),
    "server.config": Call(None, {"config": {"server": dict, "file_manager": dict}, "orig": dict, "files": list}),
    "printer.info": Call(None, {"state": str, "state_message": str, "hostname": str, "klipper_path": str,
                                "python_path": str, "log_file": OPT_STR, "config_file": str,
                                "software_version": str, "cpu_info": str}),
    "printer.objects.list": Call(None, {"objects": [str]}),
    "printer.objects.query": Call({"objects": {"webhooks": None, "print_stats": ["state"]}},
                                  {"eventtime": NUMBER, "status": dict},
                                  per_client={
                                      "Mainsail 2.18": {"objects": {"gcode": ["commands"]}},
                                      # Home Assistant polls objects a printer may not have.
                                      "HA (moonraker-api)": {"objects": {"webhooks": None, "print_stats": None,
                                                                         "u": None, "q": None}}}),
    "printer.objects.subscribe": Call(SUBSCRIBE_ALL, {"eventtime": NUMBER,
                                                      "status": {"webhooks": {"state": str},
                                                                 "print_stats": {"state": str}}}),
    "printer.gcode.help": Call(None, {"RESTART": str, "FIRMWARE_RESTART": str, "STATUS": str}),
    "printer.gcode.script": Call({"script": "M118 table test"}, "ok"),
    # Klippy names each endstop by its stepper section (stepper_x), as Klipper 0.13 does.
    "printer.query_endstops.status": Call(None, {"stepper_x": str, "stepper_y": str, "stepper_z": str}),
    "machine.system_info": Call(None, {"system_info": {"cpu_info": dict, "sd_info": dict,
                                                       "distribution": {"name": str, "id": str,
                                                                        "release_info": dict},
                                                       "virtualization": dict, "network": dict,
                                                       "canbus": dict, "python": dict,
                                                       "available_services": list, "service_state": dict,
                                                       "instance_ids": dict}}),
    "machine.proc_stats": Call(None, {"moonraker_stats": [dict], "throttled_state": Any, "cpu_temp": Any,
                                      "network": dict, "system_cpu_usage": dict, "system_memory": dict,
                                      "system_uptime": NUMBER, "websocket_connections": int}),
    "machine.peripherals.usb": Call(None, {"usb_devices": list}),
    "machine.peripherals.serial": Call(None, {"serial_devices": list}),
    "machine.peripherals.video": Call(None, {"v4l2_devices": list, "libcamera_devices": list}),
    "machine.peripherals.canbus": Call({"interface": "can0"}, {"can_uuids": list}),
    "server.temperature_store": Call({"include_monitors": False}, {"extruder": {"temperatures": [NUMBER]}}),
    "server.gcode_store": Call({"count": 100}, {"gcode_store": [{"message": str, "time": NUMBER, "type": str}]}),
    "server.database.list": Call(None, {"namespaces": [str], "backups": [str]},
                                 per_client={"Mainsail 2.18": {"root": "config"}}),
    "server.database.post_item": Call({"namespace": "tabletest", "key": "gui.theme", "value": {"dark": True}},
                                      {"namespace": str, "key": str, "value": dict}),
    "server.database.get_item": Call({"namespace": "tabletest", "key": "gui.theme"},
                                     {"namespace": str, "key": str, "value": {"dark": bool}}),
    "server.database.delete_item": Call({"namespace": "tabletest", "key": "gui.theme"},
                                        {"namespace": str, "key": str, "value": dict}),
    "server.database.post_backup": Call({"filename": "tabletest.db"}, {"backup_path": str}),
    "server.database.compact": Call(None, {"previous_size": int, "new_size": int}),
    "server.database.delete_backup": Call({"filename": "tabletest.db"}, {"backup_path": str}),
    "server.files.roots": Call(None, [{"name": str, "path": str, "permissions": str}]),
    "server.files.list": Call({"root": "gcodes"}, [{"path": str, "modified": NUMBER, "size": int,
                                                    "permissions": str}]),
    "server.files.get_directory": Call({"path": "gcodes", "extended": True},
                                       {"dirs": list, "files": [{"filename": str, "modified": NUMBER,
                                                                 "size": int, "permissions": str}],
                                        "disk_usage": {"total": int, "used": int, "free": int},
                                        "root_info": {"name": str, "permissions": str}}),
    "server.files.post_directory": Call({"path": "gcodes/tabletest"}, DIR_ACTION),
    "server.files.copy": Call({"source": "gcodes/tabletest.gcode", "dest": "gcodes/tabletest/copy.gcode"},
                              FILE_ACTION),
    "server.files.move": Call({"source": "gcodes/tabletest/copy.gcode", "dest": "gcodes/tabletest/moved.gcode"},
                              {"item": {"path": str, "root": str}, "source_item": {"path": str, "root": str},
                               "action": str}),
    "server.files.zip": Call({"items": ["gcodes/tabletest"], "dest": "config/tabletest.zip"},
                             {"destination": {"root": str, "path": str}, "action": str}),
    "server.files.metadata": Call({"filename": "tabletest.gcode"},
                                  {"filename": str, "size": int, "modified": NUMBER, "print_start_time": Any,
                                   "job_id": Any}),
    "server.files.metascan": Call({"filename": "tabletest.gcode"}, {"filename": str, "size": int}),
    "server.files.delete_file": Call({"path": "gcodes/tabletest/moved.gcode"}, FILE_ACTION),
    "server.files.delete_directory": Call({"path": "gcodes/tabletest", "force": True}, DIR_ACTION),
    "server.webcams.post_item": Call({"name": "tablecam", "stream_url": "/webcam/?action=stream",
                                      "snapshot_url": "/webcam/?action=snapshot", "service": "mjpegstreamer"},
                                     {"webcam": WEBCAM}),
    "server.webcams.list": Call(None, {"webcams": [WEBCAM]}),
    "server.webcams.get_item": Call({"name": "tablecam"}, {"webcam": WEBCAM}),
    "server.webcams.delete_item": Call({"name": "tablecam"}, {"webcam": WEBCAM}),
    "server.announcements.list": Call({"include_dismissed": False}, {"entries": list, "feeds": [str]}),
    # No feed can be fetched here, so there is no entry to dismiss: Moonraker answers
    # a 404 (-32601 on a socket) whose message names the entry, not "Method not found".
    "server.announcements.dismiss": Call({"entry_id": "arksine/moontwist/issue/1", "wake_time": 600},
                                         COMPONENT_ERROR),
    "access.info": Call(None, {"default_source": str, "available_sources": [str], "login_required": bool,
                               "trusted": bool}),
    "access.post_user": Call({"username": "tabletest", "password": "table-pass-1"}, USER_TOKENS,
                             keep=_keep("refresh_token", lambda r: r["refresh_token"])),
    "access.users.list": Call(None, {"users": [{"username": str, "source": str, "created_on": NUMBER}]}),
    "access.login": Call({"username": "tabletest", "password": "table-pass-1", "source": "moonraker"},
                         {**USER_TOKENS, "source": str},
                         keep=lambda state, r: state.update(token=r["token"], refresh_token=r["refresh_token"])),
    "access.get_user": Call(None, {"username": str, "source": str, "created_on": NUMBER}),
    "access.refresh_jwt": Call(lambda state: {"refresh_token": state["refresh_token"]},
                               {"username": str, "token": str, "source": str, "action": str},
                               keep=_keep("token", lambda r: r["token"])),
    "access.user.password": Call({"password": "table-pass-1", "new_password": "table-pass-2"},
                                 {"username": str, "action": str}),
    "access.oneshot_token": Call(None, (str,)),
    "access.get_api_key": Call(None, (str,)),
    "access.post_api_key": Call(None, (str,)),
    "access.logout": Call(None, {"username": str, "action": str}),
    "access.delete_user": Call({"username": "tabletest"}, {"username": str, "action": str}),
    "connection.send_event": Call({"event": "tabletest", "data": {"value": 1}}, "ok"),
    "connection.register_remote_method": Call({"method_name": "obico_remote_event"}, "ok"),
    "server.job_queue.status": Call(None, QUEUE),
    "server.job_queue.pause": Call(None, QUEUE),
    "server.job_queue.post_job": Call({"filenames": ["tabletest.gcode"], "reset": False}, QUEUE,
                                      keep=_keep("queued", lambda r: r["queued_jobs"][-1]["job_id"])),
    "server.job_queue.delete_job": Call(lambda state: {"job_ids": [state["queued"]]}, QUEUE),
    "server.job_queue.start": Call(None, QUEUE),
    "printer.print.start": Call({"filename": "tabletest.gcode"}, "ok", needs="idle"),
    "printer.print.pause": Call(None, "ok", needs="printing"),
    "printer.print.resume": Call(None, "ok", needs="paused"),
    "printer.print.cancel": Call(None, "ok", needs="printing"),
    "server.history.list": Call({"start": 0, "limit": 50}, {"count": int, "jobs": [JOB]},
                                keep=_keep("job_id", lambda r: r["jobs"][0]["job_id"] if r["jobs"] else "none"),
                                per_client={"Mainsail 2.18": {"start": 0, "limit": 50, "max": 50}}),
    "server.history.get_job": Call(lambda state: {"uid": state["job_id"]}, {"job": JOB}),
    "server.history.totals": Call(None, {"job_totals": TOTALS, "auxiliary_totals": list}),
    "server.history.delete_job": Call(lambda state: {"uid": state["job_id"]}, {"deleted_jobs": [str]}),
    "server.history.reset_totals": Call(None, {"last_totals": TOTALS}, needs="idle"),
    # Moonraker loads its sensor component only with [sensor NAME] sections.
    "server.sensors.list": Call({"extended": False}, NOT_SERVED),
    "server.logs.rollover": Call({"application": "moonraker"}, {"rolled_over": [str], "failed": dict}),
    "server.spoolman.status": Call(None, {"spoolman_connected": bool, "pending_reports": list,
                                          "spool_id": (int, type(None))}),
    "server.spoolman.post_spool_id": Call({"spool_id": 1}, {"spool_id": (int, type(None))}),
    "server.spoolman.get_spool_id": Call(None, {"spool_id": (int, type(None))}),
    # Spoolman is configured but unreachable here: with use_v2_response Moonraker 0.11
    # answers a result carrying Spoolman's side of the failure, not a JSON-RPC error.
    "server.spoolman.proxy": Call({"request_method": "GET", "path": "/v1/spool", "use_v2_response": True},
                                  {"response": type(None),
                                   "error": {"status_code": int, "message": "Spoolman server not available"}}),
    "machine.device_power.devices": Call(None, NOT_SERVED),
    "machine.device_power.get_device": Call({"device": "printer"}, NOT_SERVED),
    "machine.device_power.post_device": Call({"device": "printer", "action": "on"}, NOT_SERVED),
    "machine.device_power.status": Call({"printer": None}, NOT_SERVED),
    "machine.device_power.on": Call({"printer": None}, NOT_SERVED),
    "machine.device_power.off": Call({"printer": None}, NOT_SERVED),
    "machine.device_power.device": Call({"device": "printer"}, NOT_SERVED),
    "machine.timelapse.get_settings": Call(None, NOT_SERVED),
    "machine.timelapse.post_settings": Call({"enabled": False}, NOT_SERVED),
    "machine.timelapse.lastframeinfo": Call(None, NOT_SERVED),
    "machine.timelapse.render": Call(None, NOT_SERVED),
    "machine.timelapse.saveframes": Call(None, NOT_SERVED),
    "machine.update.status": Call({"refresh": False}, NOT_SERVED),
    "machine.update.refresh": Call(None, NOT_SERVED),
    "machine.update.full": Call(None, NOT_SERVED),
    "machine.update.client": Call({"name": "mainsail"}, NOT_SERVED),
    "machine.update.klipper": Call(None, NOT_SERVED),
    "machine.update.moonraker": Call(None, NOT_SERVED),
    "machine.update.system": Call(None, NOT_SERVED),
    "machine.update.recover": Call({"name": "klipper", "hard": False}, NOT_SERVED),
    "server.analysis.status": Call(None, NOT_SERVED),
    "server.analysis.estimate": Call({"filename": "tabletest.gcode"}, NOT_SERVED),
    "server.analysis.process": Call({"filename": "tabletest.gcode"}, NOT_SERVED),
    # The host's service manager and power go through sudo/systemctl, which the test
    # points at recording stand-ins (a host cannot be rebooted by a test).
    "machine.services.stop": Call({"service": "klipper"}, "ok"),
    "machine.services.start": Call({"service": "klipper"}, "ok"),
    "machine.services.restart": Call({"service": "klipper"}, "ok"),
    "machine.reboot": Call(None, "ok"),
    "machine.shutdown": Call(None, "ok"),
    "printer.emergency_stop": Call(None, "ok"),
    "printer.firmware_restart": Call(None, "ok"),
    "printer.restart": Call(None, "ok"),
    "server.database.restore": Call({"filename": "tabletest-restore.db"},
                                    {"restored_tables": [str], "restored_namespaces": [str]}),
    "server.restart": Call(None, "ok"),
}

# Methods whose call restarts the daemon or Klippy: the session waits for it to come back.
RESTARTS_DAEMON = {"server.restart", "server.database.restore"}
RESTARTS_KLIPPY = {"printer.emergency_stop", "printer.firmware_restart", "printer.restart"}
