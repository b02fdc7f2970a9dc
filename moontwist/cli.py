"""Command-line options: Moonraker's flags, with MOONRAKER_* variables as defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from twisted.python import usage

from moontwist.context import Options

_TRUE = {"y", "yes", "true", "1", "on"}


def _env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


class MoontwistOptions(usage.Options):
    """``twistd moontwist [options]``."""

    optParameters = [
        ["datapath", "d", None, "Data folder (default ~/printer_data)", str],
        ["configfile", "c", None, "moonraker.conf (default <datapath>/config/moonraker.conf)", str],
        ["logfile", "l", None, "Log file (default <datapath>/logs/moonraker.log)", str],
        ["unixsocket", "u", None, "Unix socket (default <datapath>/comms/moonraker.sock)", str],
        ["simulate-speed", None, 1.0, "With --simulate: simulated time (moves, homing, dwells, heating) runs "
         "this many times faster", float],
    ]
    optFlags = [
        ["nologfile", "n", "Log to stdout only"],
        ["verbose", "v", "Debug-level logging"],
        ["debug", "g", "Enable debug endpoints and tracebacks in error replies"],
        ["simulate", None, "Run the built-in Klippy simulator on the Klippy socket"],
    ]

    def postOptions(self) -> None:
        if self["simulate-speed"] <= 0:
            raise usage.UsageError("--simulate-speed must be positive")


def resolve(options: Mapping[str, object], env: Mapping[str, str] | None = None) -> Options:
    """Apply Moonraker's precedence: flag, then environment variable, then default."""
    env = os.environ if env is None else env

    def pick(key: str, variable: str, default: str) -> Path:
        value = options.get(key) or env.get(variable) or default
        return Path(str(value)).expanduser()

    data_path = pick("datapath", "MOONRAKER_DATA_PATH", "~/printer_data").resolve()
    nolog = bool(options.get("nologfile")) or _env_flag(env, "MOONRAKER_DISABLE_FILE_LOG")
    log_file = None if nolog else pick("logfile", "MOONRAKER_LOG_PATH", str(data_path / "logs" / "moonraker.log"))
    return Options(
        data_path=data_path,
        config_file=pick("configfile", "MOONRAKER_CONFIG_PATH", str(data_path / "config" / "moonraker.conf")),
        log_file=log_file,
        unix_socket=pick("unixsocket", "MOONRAKER_UDS_PATH", str(data_path / "comms" / "moonraker.sock")),
        verbose=bool(options.get("verbose")) or _env_flag(env, "MOONRAKER_VERBOSE_LOGGING"),
        debug=bool(options.get("debug")) or _env_flag(env, "MOONRAKER_ENABLE_DEBUG"),
        simulate=bool(options.get("simulate")),
        simulate_speed=float(options.get("simulate-speed") or 1.0),
    )
