"""Command-line options: Moonraker's flags, with MOONRAKER_* variables as defaults.

``MoontwistOptions`` is ``twistd moontwist``'s parser; ``moonraker_parser`` is the
``moontwist`` command's, which also reads ``MOONRAKER_ARGS`` as installers write it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, MutableMapping, Sequence

from twisted.python import usage

from moontwist.context import Options
from moontwist.systemd import SystemdEnvironment

if TYPE_CHECKING:
    import argparse

_TRUE = {"y", "yes", "true", "1", "on"}


def simulate_speed(text: str | float) -> float:
    """``--simulate-speed``'s value, for both command lines: a positive factor."""
    speed = float(text)
    if speed <= 0:
        raise ValueError("--simulate-speed must be positive")
    return speed


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
         "this many times faster", simulate_speed],
    ]
    optFlags = [
        ["nologfile", "n", "Log to stdout only"],
        ["verbose", "v", "Debug-level logging"],
        ["debug", "g", "Enable debug endpoints and tracebacks in error replies"],
        ["simulate", None, "Run the built-in Klippy simulator on the Klippy socket"],
        ["structured-logging", "s", "Accepted for Moonraker's command line; no effect"],
        ["asyncio-debug", "o", "Accepted for Moonraker's command line; no effect"],
    ]

    def parseOptions(self, options: Sequence[str] | None = None) -> None:
        """As usage.Options, once MOONRAKER_ARGS' installer prefix is skipped."""
        super().parseOptions(strip_installer_prefix(sys.argv[1:] if options is None else options))


def resolve(options: Mapping[str, object], env: MutableMapping[str, str] | None = None) -> Options:
    """Apply Moonraker's precedence: flag, then environment variable, then default.

    systemd's variables are taken out of ``env`` (see ``SystemdEnvironment.take``).
    """
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
        systemd=SystemdEnvironment.take(env),
        simulate_speed=float(options.get("simulate-speed") or 1.0),
    )


def strip_installer_prefix(argv: Sequence[str]) -> list[str]:
    """Drop what installers put before Moonraker's own flags in ``MOONRAKER_ARGS``.

    Moonraker's installer writes ``-m moonraker`` (``python -m moonraker``) and
    KIAUH ``/home/pi/moonraker/moonraker/moonraker.py`` (a script path); our
    command is run in place of that Python, so both are skipped.
    """
    args = list(argv)
    if len(args) >= 2 and args[0] == "-m" and args[1].split(".")[0] == "moonraker":
        return args[2:]
    if args and not args[0].startswith("-") and Path(args[0]).name == "moonraker.py":
        return args[1:]
    return args


def moonraker_parser(prog: str = "moontwist") -> argparse.ArgumentParser:
    """Moonraker's command line (plus ``--simulate``), for the ``moontwist`` command."""
    import argparse  # the moontwist command only: twistd's daemon does without it

    parser = argparse.ArgumentParser(prog=prog, description="Moonraker-compatible API server for Klipper")
    parser.add_argument("-d", "--datapath", help="data folder (default ~/printer_data)")
    parser.add_argument("-c", "--configfile", help="moonraker.conf (default <datapath>/config/moonraker.conf)")
    parser.add_argument("-l", "--logfile", help="log file (default <datapath>/logs/moonraker.log)")
    parser.add_argument("-u", "--unixsocket", help="Unix socket (default <datapath>/comms/moonraker.sock)")
    parser.add_argument("-n", "--nologfile", action="store_true", help="log to stdout only")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug-level logging")
    parser.add_argument("-g", "--debug", action="store_true", help="debug endpoints and tracebacks in replies")
    parser.add_argument("-s", "--structured-logging", action="store_true",
                        help="accepted for Moonraker's command line; the log format is unchanged")
    parser.add_argument("-o", "--asyncio-debug", action="store_true",
                        help="accepted for Moonraker's command line; no effect")
    parser.add_argument("--simulate", action="store_true",
                        help="run the built-in Klippy simulator on the Klippy socket")
    parser.add_argument("--simulate-speed", dest="simulate-speed", type=simulate_speed, default=1.0,
                        help="with --simulate: simulated time runs this many times faster")
    parser.add_argument("--version", action="store_true", help="print moontwist's version and API level")
    return parser
